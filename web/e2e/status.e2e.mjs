#!/usr/bin/env node
// End-to-end check of the embedded web UI in a real headless Chromium against a real server.
//
//   LLM_MANAGER_BIN=target/debug/llm-manager node web/e2e/status.e2e.mjs
//
// Starts `$LLM_MANAGER_BIN serve` on a free loopback port with a fresh data dir, waits for
// /health, then drives Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium; never a
// downloaded browser) through the System Status page, language and theme switching, the SPA
// fallback, the offline API docs and a phone viewport. Prints one line per check and a final
// "N passed, M failed" line; exits 1 when a check failed, 2 when LLM_MANAGER_BIN is not set.
// Screenshots go to E2E_SCREENSHOT_DIR (default web/e2e/screenshots).

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER_BIN = process.env.LLM_MANAGER_BIN;
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SCREENSHOT_DIR = path.resolve(process.env.E2E_SCREENSHOT_DIR || path.join(HERE, 'screenshots'));
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
const UI_TIMEOUT_MS = 15_000;
const SHUTDOWN_DEADLINE_MS = 15_000;
/** Server output kept for the failure report (the tail, in characters). */
const MAX_LOG_CHARS = 200_000;

if (!SERVER_BIN) {
  console.error(
    'LLM_MANAGER_BIN is not set: point it at the llm-manager server binary, e.g.\n' +
      '  LLM_MANAGER_BIN=target/debug/llm-manager node web/e2e/status.e2e.mjs',
  );
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

function assertEqual(actual, expected, what) {
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
    this.log = '';
    this.exit = null; // { code, signal } once it has exited
    this.spawnError = null;
    this.child = spawn(bin, ['serve'], {
      env: {
        ...process.env,
        LLM_MANAGER_ADDR: `127.0.0.1:${port}`,
        LLM_MANAGER_DATA_DIR: dataDir,
        LOG_FORMAT: 'json',
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

async function getJson(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  assert(response.ok, `GET ${url} answered HTTP ${response.status}`);
  return response.json();
}

// ---------------------------------------------------------------------------------------------
// The browser side

/** Every URL any page of the run asked for, to prove the UI stays on the server's origin. */
const requestedUrls = [];

async function newContext(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...options });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  context.on('request', (request) => requestedUrls.push(request.url()));
  return context;
}

/** Collects console errors and uncaught exceptions of a page. */
function watchErrors(page) {
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  return errors;
}

async function text(page, testId) {
  return (await page.getByTestId(testId).textContent())?.trim();
}

async function screenshot(page, name) {
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, name), fullPage: true });
}

/** Waits until the status page shows loaded server facts and readiness. */
async function waitForStatus(page) {
  await page.getByTestId('status-version').waitFor();
  await page.getByTestId('status-ready').waitFor();
}

// ---------------------------------------------------------------------------------------------
// Checks

function defineChecks(ctx) {
  const { browser, baseUrl } = ctx;
  return [
    {
      name: '/ redirects to /status, which shows the version, SQLite and Ready',
      async run() {
        const context = await newContext(browser);
        try {
          const page = await context.newPage();
          ctx.statusPageErrors = watchErrors(page);
          await page.goto(`${baseUrl}/`);
          await page.waitForURL(`${baseUrl}/status`);
          await waitForStatus(page);
          assertEqual(await text(page, 'status-version'), ctx.info.version, 'version');
          assertEqual(await text(page, 'status-backend'), 'SQLite', 'database backend');
          assertEqual(await text(page, 'status-ready'), 'Ready', 'readiness');
          assertEqual(await text(page, 'status-check-database'), 'OK', 'database check');
          assertEqual(await text(page, 'status-check-migrations'), 'OK', 'migrations check');
          const uptime = await text(page, 'status-uptime');
          assert(/\d/.test(uptime ?? ''), `uptime shows no number: ${JSON.stringify(uptime)}`);
          assertEqual(await page.locator('html').getAttribute('lang'), 'en', 'html lang');
          await screenshot(page, 'status-en.png');
          // Let one more round of API calls land before judging the console.
          await Promise.all([
            page.waitForResponse((response) => new URL(response.url()).pathname === '/ready'),
            page.getByTestId('status-refresh').click(),
          ]);
          await waitForStatus(page);
        } finally {
          await context.close();
        }
      },
    },
    {
      name: 'no console errors on the status page',
      async run() {
        assert(ctx.statusPageErrors, 'the status page check did not run');
        assert(ctx.statusPageErrors.length === 0, ctx.statusPageErrors.join('\n'));
      },
    },
    {
      name: 'switching to 简体中文 translates the page, sets html lang and survives a reload',
      async run() {
        const context = await newContext(browser, { colorScheme: 'light' });
        try {
          const page = await context.newPage();
          await page.goto(`${baseUrl}/status`);
          await waitForStatus(page);
          await page.getByTestId('lang-switch').selectOption('zh-CN');
          await page.getByRole('heading', { level: 1, name: '系统状态' }).waitFor();
          assertEqual(await page.locator('html').getAttribute('lang'), 'zh-CN', 'html lang');
          assertEqual(await text(page, 'nav-status'), '状态', 'navigation label');
          assertEqual(await text(page, 'status-ready'), '就绪', 'readiness');

          await page.reload();
          await waitForStatus(page);
          await page.getByRole('heading', { level: 1, name: '系统状态' }).waitFor();
          assertEqual(await page.locator('html').getAttribute('lang'), 'zh-CN', 'html lang after reload');
          assertEqual(await page.getByTestId('lang-switch').inputValue(), 'zh-CN', 'switcher after reload');
        } finally {
          await context.close();
        }
      },
    },
    {
      name: 'the theme toggle changes data-theme and the choice survives a reload',
      async run() {
        const context = await newContext(browser, { colorScheme: 'light' });
        try {
          const page = await context.newPage();
          const html = page.locator('html');
          await page.goto(`${baseUrl}/status`);
          await waitForStatus(page);
          const before = await html.getAttribute('data-theme');
          assertEqual(before, 'light', 'initial theme with a light system preference');

          await page.getByTestId('theme-toggle').click();
          await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');

          await page.reload();
          await waitForStatus(page);
          assertEqual(await html.getAttribute('data-theme'), 'dark', 'theme after reload');
          const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
          assert(background !== 'rgb(246, 247, 251)', `dark theme still has the light background ${background}`);

          // The zh-CN dark screenshot.
          await page.getByTestId('lang-switch').selectOption('zh-CN');
          await page.getByRole('heading', { level: 1, name: '系统状态' }).waitFor();
          await screenshot(page, 'status-zh-CN-dark.png');
        } finally {
          await context.close();
        }
      },
    },
    {
      name: 'the status page fits a 375x812 phone screen',
      async run() {
        const context = await newContext(browser, {
          viewport: { width: 375, height: 812 },
          isMobile: true,
          hasTouch: true,
          deviceScaleFactor: 2,
        });
        try {
          const page = await context.newPage();
          await page.goto(`${baseUrl}/status`);
          await waitForStatus(page);
          for (const testId of ['nav-status', 'nav-docs', 'lang-switch', 'theme-toggle', 'status-version']) {
            assert(await page.getByTestId(testId).isVisible(), `${testId} is not visible on a phone`);
          }
          const width = await page.evaluate(() => document.documentElement.scrollWidth);
          assert(width <= 375, `page is ${width}px wide on a 375px screen (horizontal scrolling)`);
          await screenshot(page, 'status-phone.png');
        } finally {
          await context.close();
        }
      },
    },
    {
      name: 'an unknown client route (/chat/123) shows the app with the not-found message',
      async run() {
        const context = await newContext(browser);
        try {
          const page = await context.newPage();
          const response = await page.goto(`${baseUrl}/chat/123`);
          assert(response && response.status() < 400, `GET /chat/123 answered HTTP ${response?.status()}`);
          await page.getByTestId('not-found').waitFor();
          assert((await text(page, 'not-found'))?.includes('/chat/123'), 'not-found message does not name the path');
          assert(await page.getByTestId('nav-status').isVisible(), 'the layout navigation is missing');
        } finally {
          await context.close();
        }
      },
    },
    {
      name: '/docs shows Swagger UI with the title from /api/openapi.json',
      async run() {
        const context = await newContext(browser);
        try {
          const page = await context.newPage();
          const errors = watchErrors(page);
          await page.goto(`${baseUrl}/status`);
          await page.getByTestId('nav-docs').click();
          await page.waitForURL(`${baseUrl}/docs`);
          const title = page.locator('.swagger-ui .info .title');
          await title.waitFor();
          const shown = (await title.textContent()) ?? '';
          assert(shown.includes(ctx.openapi.info.title), `docs title ${JSON.stringify(shown)} lacks ${ctx.openapi.info.title}`);
          await screenshot(page, 'docs.png');
          assert(errors.length === 0, errors.join('\n'));
        } finally {
          await context.close();
        }
      },
    },
    {
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
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Run

async function main() {
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
  const server = new Server(SERVER_BIN, port, dataDir);
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
        baseUrl: server.baseUrl,
        info: await getJson(`${server.baseUrl}/api/system/info`),
        openapi: await getJson(`${server.baseUrl}/api/openapi.json`),
        statusPageErrors: null,
      };
      for (const check of defineChecks(ctx)) {
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

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
