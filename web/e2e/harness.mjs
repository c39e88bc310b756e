// Shared machinery of the end-to-end checks: starts `$LLM_MANAGER_BIN serve` on a free loopback
// port with a fresh data dir and JSON logs, waits for /health, launches Debian's Chromium
// (CHROMIUM_PATH, default /usr/bin/chromium; never a downloaded browser), runs the checks of
// each suite in order, then checks that every request stayed on 127.0.0.1. Prints one line per
// check and a final "N passed, M failed" line; exits 1 when a check failed, 2 when
// LLM_MANAGER_BIN is not set. Screenshots go to E2E_SCREENSHOT_DIR (default web/e2e/screenshots).
// With LLM_MANAGER_TEST_GGUF set (the real model scripts/test.sh installs), the server may import
// models from that file's directory (MODELS_IMPORT_DIRS).

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER_BIN = process.env.LLM_MANAGER_BIN;
const TEST_GGUF = process.env.LLM_MANAGER_TEST_GGUF;
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.resolve(process.env.E2E_SCREENSHOT_DIR || path.join(HERE, 'screenshots'));
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const HEALTH_DEADLINE_MS = 60_000;
export const UI_TIMEOUT_MS = 15_000;
const SHUTDOWN_DEADLINE_MS = 15_000;
/** Server output kept for the failure report and for reading log lines (the tail, in characters). */
const MAX_LOG_CHARS = 1_000_000;

// ---------------------------------------------------------------------------------------------
// Small helpers

export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

export function assertEqual(actual, expected, what) {
  if (actual !== expected) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** A port the OS says is free on 127.0.0.1 (bound to port 0, read, released). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The server under test

class Server {
  constructor(bin, port, dataDir) {
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.dataDir = dataDir;
    this.log = '';
    this.exit = null; // { code, signal } once it has exited
    this.spawnError = null;
    this.child = spawn(bin, ['serve'], {
      env: {
        ...process.env,
        LLM_MANAGER_ADDR: `127.0.0.1:${port}`,
        LLM_MANAGER_DATA_DIR: dataDir,
        LOG_FORMAT: 'json',
        ...(TEST_GGUF ? { MODELS_IMPORT_DIRS: path.dirname(path.resolve(TEST_GGUF)) } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const capture = (chunk) => {
      this.log += chunk.toString();
      if (this.log.length > MAX_LOG_CHARS) this.log = this.log.slice(-MAX_LOG_CHARS);
    };
    this.child.stdout.on('data', capture);
    this.child.stderr.on('data', capture);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.child.once('error', (error) => {
        this.spawnError = error;
        this.exit = { code: null, signal: null };
        resolve(this.exit);
      });
    });
  }

  /** The server's JSON log lines so far, parsed (other lines are skipped). */
  logLines() {
    return this.log
      .split('\n')
      .map((line) => {
        try {
          return JSON.parse(line);
        } catch {
          return null;
        }
      })
      .filter((line) => line !== null && typeof line === 'object');
  }

  /** Polls GET /health until it answers 200, the process dies, or the deadline passes. */
  async waitHealthy(deadlineMs) {
    const deadline = Date.now() + deadlineMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (this.spawnError) throw new Error(`could not start ${SERVER_BIN}: ${this.spawnError.message}`);
      if (this.exit) throw new Error(`server exited before it was healthy (${describeExit(this.exit)})`);
      try {
        const response = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
        if (response.status === 200) return;
        last = `HTTP ${response.status}`;
      } catch (error) {
        last = error.cause?.code ?? error.message;
      }
      // Poll interval, not a wait for readiness: the loop ends as soon as /health answers.
      await delay(100);
    }
    throw new Error(`GET /health did not answer 200 within ${deadlineMs / 1000} s (last: ${last})`);
  }

  /** SIGTERM, then wait for the exit (SIGKILL if it does not come in time). */
  async stop() {
    if (this.exit) return this.exit;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), SHUTDOWN_DEADLINE_MS);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

function describeExit({ code, signal }) {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

export async function getJson(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  assert(response.ok, `GET ${url} answered HTTP ${response.status}`);
  return response.json();
}

// ---------------------------------------------------------------------------------------------
// The browser side

/** Every URL any page of the run asked for, to prove the UI stays on the server's origin. */
const requestedUrls = [];

export async function newContext(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...options });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  context.on('request', (request) => requestedUrls.push(request.url()));
  return context;
}

/**
 * Collects console errors and uncaught exceptions of a page. `allow` lists patterns of console
 * errors a check causes on purpose (e.g. the browser's "status of 401" line for a session the
 * check has just ended); uncaught exceptions are never allowed.
 */
export function watchErrors(page, { allow = [] } = {}) {
  const errors = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (allow.some((pattern) => pattern.test(text))) return;
    errors.push(`console: ${text} (${message.location().url ?? ''})`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  return errors;
}

export async function text(page, testId) {
  return (await page.getByTestId(testId).textContent())?.trim();
}

export async function screenshot(page, name) {
  // From the top, so that the sticky header is not pictured in the middle of a long page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, name), fullPage: true });
}

// ---------------------------------------------------------------------------------------------
// Run

/**
 * Runs the checks of every suite against one server and browser. A suite is a function
 * `(ctx) => [{ name, run }]`; `ctx` holds `browser`, `baseUrl`, `server`, `info` (system info)
 * and `openapi`, and suites may keep their own state on it. Checks run in order.
 */
export async function runSuites(suites) {
  if (!SERVER_BIN) {
    console.error(
      'LLM_MANAGER_BIN is not set: point it at the llm-manager server binary, e.g.\n' +
        '  LLM_MANAGER_BIN=target/debug/llm-manager node web/e2e/status.e2e.mjs',
    );
    return 2;
  }

  let passed = 0;
  let failed = 0;
  const report = (ok, name, error) => {
    if (ok) {
      passed += 1;
      console.log(`PASS  ${name}`);
    } else {
      failed += 1;
      console.log(`FAIL  ${name}\n      ${String(error?.message ?? error).split('\n').join('\n      ')}`);
    }
  };

  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'llm-manager-e2e-'));
  const port = await freePort();
  let server = new Server(SERVER_BIN, port, dataDir);
  let browser = null;

  const stopEverything = async () => {
    if (browser) await browser.close().catch(() => {});
    const exit = await server.stop();
    await rm(dataDir, { recursive: true, force: true });
    return exit;
  };
  const onSignal = (signal) => {
    console.log(`\n${signal}: stopping the server`);
    void stopEverything().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const startName = `server starts on ${server.baseUrl} and GET /health answers 200`;
    try {
      await server.waitHealthy(HEALTH_DEADLINE_MS);
      report(true, startName);
    } catch (error) {
      report(false, startName, error);
    }

    if (failed === 0) {
      browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
      const ctx = {
        browser,
        server,
        baseUrl: server.baseUrl,
        /** `kill -9` of the server, then a new one on the same port and data dir. */
        async killAndRestart() {
          server.child.kill('SIGKILL');
          await server.exited;
          server = new Server(SERVER_BIN, port, dataDir);
          ctx.server = server;
          await server.waitHealthy(HEALTH_DEADLINE_MS);
        },
        info: await getJson(`${server.baseUrl}/api/system/info`),
        openapi: await getJson(`${server.baseUrl}/api/openapi.json`),
      };
      const checks = [...suites.flatMap((suite) => suite(ctx)), requestsStayedLocal()];
      for (const check of checks) {
        try {
          await check.run();
          report(true, check.name);
        } catch (error) {
          report(false, check.name, error);
        }
      }
    }
  } catch (error) {
    report(false, 'run the checks', error);
  } finally {
    const exit = await stopEverything();
    if (failed > 0) {
      console.log(`\n--- server output (${describeExit(exit)}) ---\n${server.log.trimEnd()}\n--- end of server output ---`);
    }
    console.log(`screenshots: ${SCREENSHOT_DIR}`);
    console.log(`${passed} passed, ${failed} failed`);
  }
  return failed === 0 ? 0 : 1;
}

function requestsStayedLocal() {
  return {
    name: 'every request the pages made went to 127.0.0.1',
    async run() {
      assert(requestedUrls.length > 0, 'no requests were recorded');
      const offsite = requestedUrls.filter((url) => {
        const { protocol, hostname } = new URL(url);
        if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return false;
        return hostname !== '127.0.0.1';
      });
      assert(offsite.length === 0, `requests left the machine: ${[...new Set(offsite)].join(', ')}`);
    },
  };
}

/** Entry point of a runner script: runs the suites and exits with their status. */
export function main(suites) {
  runSuites(suites).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error);
      console.log('0 passed, 1 failed');
      process.exit(1);
    },
  );
}
