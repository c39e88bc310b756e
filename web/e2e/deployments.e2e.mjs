#!/usr/bin/env node
// End-to-end check of a local deployment, the admin's story from a fresh server to a model that
// answers: SmolLM2-135M (the real GGUF at LLM_MANAGER_TEST_GGUF, whose directory the harness
// puts in MODELS_IMPORT_DIRS) is imported on Admin → Models; Admin → Deployments deploys it as
// `smol` on the built-in engine with a 2048-token context after showing the resource estimate,
// and the list shows it running; "Try it" opens the chat with `smol` picked, where it answers
// "What is the capital of France?" with Paris; an API key made in the settings finds `smol` in
// /v1/models and gets the same answer through /v1; Admin → Usage shows smol's calls with their
// tokens; Admin → System shows the CPU, the memory and smol's process; the engine killed with
// SIGKILL is started again by the supervisor (running, one restart); at the end the admin stops
// and deletes it, and its process is gone.
//
// The question goes with a persona made here (the system prompt "You are a helpful assistant.",
// temperature 0): without a system prompt SmolLM2's chat template puts in its own, after which
// the 135M model answers greedily with French nonsense, and at the engine's default temperature
// (0.8, a random seed) it names Paris about every second time. The persona form has no field for
// parameters, so the persona is made through the API with the admin's session.
//
// Needs the admin of accounts.e2e.mjs. Alone, with that suite:
//
//   LLM_MANAGER_TEST_GGUF=…/SmolLM2-135M-Instruct.Q4_1.gguf \
//   LLM_MANAGER_BIN=target/debug/llm-manager node web/e2e/deployments.e2e.mjs

import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UI_TIMEOUT_MS, assert, assertEqual, delay, main, newContext, screenshot, text, watchErrors } from './harness.mjs';

const ADMIN = { username: 'admin', password: 'Admin passphrase 1' };
const NAME = 'smol';
const QUESTION = 'What is the capital of France?';
const SYSTEM_PROMPT = 'You are a helpful assistant.';
/** Deadline of a deployment's start (the engine loads the model) and of its restart after a kill. */
const DEPLOY_DEADLINE_MS = 90_000;
/** Deadline of a reply of the built-in engine (a debug build on a busy machine is slow). */
const ANSWER_DEADLINE_MS = 120_000;
/** Of each sample of the System page (MONITOR_INTERVAL is 5 s by default). */
const MONITOR_DEADLINE_MS = 30_000;
const OLLAMA_UNSET = /^console: Failed to load resource: the server responded with a status of 409 \(Conflict\) \(http:\/\/127\.0\.0\.1:\d+\/api\/models\/ollama\)$/;

async function logIn(page, baseUrl) {
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId('login-username').fill(ADMIN.username);
  await page.getByTestId('login-password').fill(ADMIN.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-menu').waitFor();
}

/** Bytes as the UI shows memory (web/src/lib/format.ts `formatBinaryBytes`). */
function binaryBytes(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** A call to the API with the page's session (cookie, and the CSRF token for writes). */
async function api(page, method, url, body) {
  const cookies = await page.context().cookies(url);
  const csrf = cookies.find((cookie) => cookie.name === 'llmm_csrf')?.value;
  const response = await page.request.fetch(url, {
    method,
    headers: csrf ? { 'X-CSRF-Token': csrf } : {},
    data: body,
  });
  const answer = await response.text();
  assert(response.ok(), `${method} ${new URL(url).pathname} answered HTTP ${response.status()}: ${answer.slice(0, 300)}`);
  return answer ? JSON.parse(answer) : null;
}

/** `smol` as GET /api/deployments lists it (null when it is not there). */
async function deployment(page, baseUrl) {
  const { items } = await api(page, 'GET', `${baseUrl}/api/deployments`);
  return items.find((d) => d.name === NAME) ?? null;
}

/** Waits until the usage statistics count `count` calls of smol; answers its figures. */
async function waitForRequests(page, count) {
  const deadline = Date.now() + ANSWER_DEADLINE_MS;
  for (;;) {
    const { rows } = await api(page, 'GET', `${new URL(page.url()).origin}/api/admin/statistics?group_by=model`);
    const figures = rows.find((r) => r.key === NAME);
    if (figures && figures.requests >= count) return figures;
    assert(Date.now() < deadline, `${NAME} has ${figures?.requests ?? 0} calls in the usage statistics, expected ${count}`);
    // Poll interval of a wait with a deadline.
    await delay(500);
  }
}

/** Whether process `pid` exists. */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if (error.code === 'ESRCH') return false;
    throw error;
  }
}

/** POST /v1/chat/completions with an API key, greedy. */
async function askThroughGateway(baseUrl, key) {
  const response = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      model: NAME,
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: QUESTION },
      ],
      temperature: 0,
      max_tokens: 48,
    }),
    signal: AbortSignal.timeout(ANSWER_DEADLINE_MS),
  });
  const body = await response.json().catch(() => null);
  assertEqual(response.status, 200, `POST /v1/chat/completions (${JSON.stringify(body)})`);
  return body;
}

export function defineDeploymentChecks(ctx) {
  const { baseUrl } = ctx;
  const state = {};

  function assertNoErrors() {
    assert(state.errors, 'the admin browser was not opened');
    // The Models page asks for the Ollama daemon's models, a 409 when OLLAMA_HOST is not set
    // (the page then says so), which the browser logs as a failed request.
    const errors = state.errors.filter((error) => !OLLAMA_UNSET.test(error));
    assert(errors.length === 0, errors.join('\n'));
  }

  /** The row of `smol` on Admin → Deployments. */
  const row = () => state.page.locator(`[data-testid="deployment-row"][data-name="${NAME}"]`);

  /** Waits (up to `deadline`) until smol's row says Running, and, with `restarted`, that it restarted. */
  async function waitUntilRunning(deadline, { restarted = false } = {}) {
    await state.page.waitForFunction(
      ([name, restartShown]) => {
        const item = document.querySelector(`[data-testid="deployment-row"][data-name="${name}"]`);
        const status = item?.querySelector('[data-testid="deployment-status"]')?.textContent?.trim();
        return status === 'Running' && (!restartShown || /\d+ restarts?/.test(item.textContent));
      },
      [NAME, restarted],
      { timeout: deadline },
    );
  }

  return [
    {
      name: 'the admin imports SmolLM2 from an allowed directory on Admin → Models and sees it listed as llama Q4_1',
      async run() {
        const gguf = process.env.LLM_MANAGER_TEST_GGUF;
        assert(gguf, 'LLM_MANAGER_TEST_GGUF is not set (scripts/test.sh installs SmolLM2 and sets it)');
        await access(gguf, constants.R_OK).catch((error) => {
          throw new Error(`LLM_MANAGER_TEST_GGUF=${gguf} cannot be read: ${error.message}`);
        });
        state.context = await newContext(ctx.browser);
        state.page = await state.context.newPage();
        state.errors = watchErrors(state.page);
        const { page } = state;
        await logIn(page, baseUrl);
        await page.goto(`${baseUrl}/admin/models`);
        await page.getByTestId('local-models').waitFor();
        await page.getByTestId('import-path').fill(gguf);
        const [imported] = await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/models/import'),
          page.getByTestId('import-submit').click(),
        ]);
        assertEqual(imported.status(), 201, `POST /api/models/import (${await imported.text()})`);
        state.model = await imported.json();
        const listed = page.locator(`[data-testid="local-model"][data-name="${path.basename(gguf)}"]`);
        await listed.waitFor();
        assert((await listed.getByTestId('local-arch').innerText()).includes('llama'), 'the architecture is not llama');
        assertEqual((await listed.getByTestId('local-quant').innerText()).trim(), 'Q4_1', 'quantisation');
        assertEqual(await listed.getByTestId('local-invalid').count(), 0, 'the model is marked invalid');
        assertEqual(await page.getByTestId('import-path').inputValue(), '', 'the path field after the import');
        assertNoErrors();
      },
    },
    {
      name: 'the admin fills the deploy form (smol, SmolLM2, built-in engine, 2048 tokens), sees the estimate, deploys, and the list shows it running',
      async run() {
        assert(state.model, 'SmolLM2 was not imported');
        const { page } = state;
        // From the Models page, where the import left the admin.
        await page.getByTestId('admin-tab-deployments').click();
        await page.waitForURL(`${baseUrl}/admin/deployments`);
        await page.getByTestId('deploy-form').waitFor();
        await page.locator(`[data-testid="deploy-model"] option[value="${state.model.id}"]`).waitFor({ state: 'attached' });

        // The estimate is asked for once the form has been still for a moment: the one that
        // counts is for this model, backend and context length.
        const asked = page.waitForResponse((r) => {
          if (r.request().method() !== 'POST' || new URL(r.url()).pathname !== '/api/deployments/estimate') return false;
          const question = r.request().postDataJSON();
          return question.model_id === state.model.id && question.backend === 'builtin' && question.context_length === 2048;
        });
        await page.getByTestId('deploy-model').selectOption(state.model.id);
        await page.getByTestId('deploy-name').fill(NAME);
        await page.getByTestId('deploy-backend').selectOption('builtin');
        await page.getByTestId('deploy-ctx').fill('2048');
        const estimateResponse = await asked;
        assertEqual(estimateResponse.status(), 200, 'POST /api/deployments/estimate');
        const estimate = await estimateResponse.json();
        assert(estimate.model_bytes > 0 && estimate.context_bytes > 0, `an estimate without numbers: ${JSON.stringify(estimate)}`);
        assertEqual(estimate.required_bytes >= estimate.model_bytes + estimate.context_bytes, true, 'required ≥ weights + context');
        assertEqual(estimate.fits, true, `SmolLM2 does not fit (${estimate.message})`);
        const needs = `Needs about ${binaryBytes(estimate.required_bytes)} (${binaryBytes(estimate.model_bytes)} weights + ${binaryBytes(estimate.context_bytes)} context)`;
        const shown = page.locator('[data-testid="deploy-estimate"][data-fits="true"]');
        await shown.filter({ hasText: needs }).waitFor();
        const line = (await shown.innerText()).trim();
        assert(/free/.test(line), `the estimate does not say how much memory is free: ${JSON.stringify(line)}`);
        await screenshot(page, 'deployments-form.png');

        const [created] = await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/deployments'),
          page.getByTestId('deploy-submit').click(),
        ]);
        assertEqual(created.status(), 201, `POST /api/deployments (${await created.text()})`);
        const body = await created.json();
        assertEqual(body.name, NAME, 'name of the deployment');
        assertEqual(body.backend, 'builtin', 'backend');
        assertEqual(body.context_length, 2048, 'context length');
        await row().waitFor();
        await waitUntilRunning(DEPLOY_DEADLINE_MS);
        const listedAs = (await row().innerText()).replace(/\s+/g, ' ');
        assert(listedAs.includes(path.basename(process.env.LLM_MANAGER_TEST_GGUF)), `the row does not name the model: ${listedAs}`);
        assert(/port \d+/.test(listedAs), `the row shows no port: ${listedAs}`);
        const running = await deployment(page, baseUrl);
        assert(Number.isInteger(running?.pid) && alive(running.pid), `no live engine process: ${JSON.stringify(running)}`);
        assertEqual(running.restarts, 0, 'restarts of a fresh deployment');
        state.deployment = running;
        await screenshot(page, 'deployments-running.png');
        assertNoErrors();
      },
    },
    {
      name: '"Try it" opens a chat with smol picked; asked "What is the capital of France?", it answers with Paris',
      async run() {
        assert(state.deployment, 'smol is not running');
        const { page } = state;
        // A persona with a plain system prompt and greedy decoding (see the head of this file).
        state.persona = await api(page, 'POST', `${baseUrl}/api/llm/personas`, {
          name: 'Plain assistant',
          avatar: '🧭',
          system_prompt: SYSTEM_PROMPT,
          params: { temperature: 0, max_tokens: 48 },
        });
        await page.getByTestId(`deployment-try-${NAME}`).click();
        await page.waitForURL(`${baseUrl}/chat?model=${NAME}`);
        await page.getByTestId('chat-welcome').waitFor();
        await page.locator(`[data-testid="composer-model"] option[value="${NAME}"]`).waitFor({ state: 'attached' });
        assertEqual(await page.getByTestId('composer-model').inputValue(), NAME, 'model picked by "Try it"');
        await page.locator(`[data-testid="composer-persona"] option[value="${state.persona.id}"]`).waitFor({ state: 'attached' });
        await page.getByTestId('composer-persona').selectOption(state.persona.id);

        await page.getByTestId('composer-input').fill(QUESTION);
        const [sent] = await Promise.all([
          page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/llm/chat'),
          page.getByTestId('composer-input').press('Enter'),
        ]);
        assertEqual(sent.postDataJSON().model, NAME, 'model of the chat request');
        const answer = page.locator('[data-testid="message"][data-role="assistant"]').last();
        await page.waitForFunction(
          () => {
            const answers = document.querySelectorAll('[data-testid="message"][data-role="assistant"]');
            const last = answers[answers.length - 1];
            return last !== undefined && last.getAttribute('data-status') !== 'streaming' && !last.getAttribute('data-id')?.startsWith('local-');
          },
          undefined,
          { timeout: ANSWER_DEADLINE_MS },
        );
        assertEqual(await answer.getAttribute('data-status'), 'complete', 'status of the answer');
        const reply = (await answer.getByTestId('message-content').innerText()).trim();
        assert(reply.includes('Paris'), `smol's answer does not name Paris: ${JSON.stringify(reply)}`);
        assertEqual(await text(page, 'session-model'), NAME, 'model in the header');
        state.reply = reply;
        // After the first answer smol writes the conversation's title in the background; that
        // call is waited for (it is accounted, failed or not), so that nothing is in flight when
        // the engine is killed later: calls that fail then rest the route after its restart.
        await waitForRequests(page, 2);
        await screenshot(page, 'deployments-chat.png');
        assertNoErrors();
      },
    },
    {
      name: 'an API key from the settings finds smol in /v1/models and gets Paris from it; Admin → Usage shows smol with its tokens',
      async run() {
        assert(state.reply, 'the chat with smol did not answer');
        const { page } = state;
        await page.goto(`${baseUrl}/settings/api-keys`);
        await page.getByTestId('api-key-name').fill('e2e smol');
        await page.getByTestId('api-key-create').click();
        const secret = page.getByTestId('api-key-secret');
        await secret.waitFor();
        state.apiKey = (await secret.innerText()).trim();
        await page.getByTestId('api-key-done').click();

        const models = await fetch(`${baseUrl}/v1/models`, {
          headers: { Authorization: `Bearer ${state.apiKey}` },
          signal: AbortSignal.timeout(10_000),
        });
        assertEqual(models.status, 200, 'GET /v1/models');
        const ids = (await models.json()).data.map((m) => m.id);
        assert(ids.includes(NAME), `/v1/models does not list ${NAME}: ${ids.join(', ')}`);

        const completion = await askThroughGateway(baseUrl, state.apiKey);
        const content = completion.choices?.[0]?.message?.content ?? '';
        assert(content.includes('Paris'), `/v1 answer without Paris: ${JSON.stringify(content)}`);
        assert(completion.usage?.prompt_tokens > 0 && completion.usage?.completion_tokens > 0, `/v1 usage: ${JSON.stringify(completion.usage)}`);

        // The chat, its title and the /v1 call, all accounted to the model smol.
        const figures = await waitForRequests(page, 3);
        assert(figures.prompt_tokens > 0 && figures.completion_tokens > 0, `${NAME} without tokens: ${JSON.stringify(figures)}`);

        await page.goto(`${baseUrl}/admin/usage`);
        await page.getByTestId('usage-table').waitFor();
        await Promise.all([
          page.waitForResponse((r) => new URL(r.url()).searchParams.get('group_by') === 'model'),
          page.getByTestId('usage-group').selectOption('model'),
        ]);
        const usage = page.locator(`[data-testid="usage-row"][data-key="${NAME}"]`);
        await usage.waitFor();
        const tokens = Number((await usage.locator('td').nth(3).innerText()).replace(/[^\d]/g, ''));
        assert(tokens > 0, `the usage row of ${NAME} shows ${tokens} tokens`);
        const requests = Number((await usage.locator('td').nth(1).innerText()).replace(/[^\d]/g, ''));
        assert(requests >= 3, `the usage row of ${NAME} shows ${requests} requests`);
        assertNoErrors();
      },
    },
    {
      name: "Admin → System shows the CPU, the memory and smol's process",
      async run() {
        assert(state.deployment, 'smol is not running');
        const { page } = state;
        await page.goto(`${baseUrl}/admin/system`);
        await page.getByTestId('system-page').waitFor();
        await page.getByTestId('system-cpu').waitFor({ timeout: MONITOR_DEADLINE_MS });
        const cpu = await text(page, 'system-cpu-now');
        assert(/CPU \d+% of \d+ cores?/.test(cpu ?? ''), `CPU line: ${JSON.stringify(cpu)}`);
        await page.getByTestId('system-memory').waitFor();
        const memory = await text(page, 'system-memory-now');
        assert(/Memory [\d.]+ \w+ of [\d.]+ \w+/.test(memory ?? ''), `memory line: ${JSON.stringify(memory)}`);
        await page.getByTestId('system-deployments').waitFor();
        const engine = page.locator(`[data-testid="system-deployments"] [data-testid="system-deployment"][data-name="${NAME}"]`);
        await engine.waitFor({ timeout: MONITOR_DEADLINE_MS });
        const line = (await engine.innerText()).trim();
        const { pid } = await deployment(page, baseUrl);
        assert(line.startsWith(`${NAME} (pid ${pid}): CPU `), `process line: ${JSON.stringify(line)} (engine pid ${pid})`);
        assert(/memory [\d.]+ \w+$/.test(line), `process line without memory: ${JSON.stringify(line)}`);
        // The charts of the hour are drawn (loaded lazily).
        await page.locator('[data-testid="chart-cpu"] svg').first().waitFor();
        await page.locator('[data-testid="chart-deployment-rss"] svg').first().waitFor();
        await screenshot(page, 'admin-system.png');
        assertNoErrors();
      },
    },
    {
      name: 'the engine killed with SIGKILL is started again: the list shows smol running with a restart',
      async run() {
        assert(state.deployment, 'smol is not running');
        const { page } = state;
        await page.goto(`${baseUrl}/admin/deployments`);
        await row().waitFor();
        await waitUntilRunning(UI_TIMEOUT_MS);
        const before = await deployment(page, baseUrl);
        // Only the engine this check started: its command line says so.
        const command = (await readFile(`/proc/${before.pid}/cmdline`, 'utf8')).split('\0');
        assert(command.includes('engine') && command.includes(NAME), `pid ${before.pid} is not smol's engine: ${command.join(' ')}`);
        process.kill(before.pid, 'SIGKILL');

        await waitUntilRunning(DEPLOY_DEADLINE_MS, { restarted: true });
        const after = await deployment(page, baseUrl);
        assert(after.restarts >= 1, `restarts after the kill: ${after.restarts}`);
        assert(after.pid !== before.pid && alive(after.pid), `no new engine process (${before.pid} → ${after.pid})`);
        assert(!alive(before.pid), `the killed engine ${before.pid} is still there`);
        const listedAs = (await row().innerText()).replace(/\s+/g, ' ');
        assert(listedAs.includes(`${after.restarts} restart`), `the row does not show the restarts: ${listedAs}`);
        await screenshot(page, 'deployments-restarted.png');

        // And it answers again through /v1.
        const completion = await askThroughGateway(baseUrl, state.apiKey);
        const content = completion.choices?.[0]?.message?.content ?? '';
        assert(content.includes('Paris'), `/v1 answer after the restart: ${JSON.stringify(content)}`);
        state.deployment = after;
        assertNoErrors();
      },
    },
    {
      name: 'the admin stops and deletes smol; its engine is gone and /v1/models no longer lists it',
      async run() {
        assert(state.page, 'the admin browser was not opened');
        const { page } = state;
        try {
          await page.goto(`${baseUrl}/admin/deployments`);
          await row().waitFor();
          const { pid } = (await deployment(page, baseUrl)) ?? {};
          await row().getByTestId('deployment-stop').click();
          await row().getByTestId('deployment-start').waitFor({ timeout: DEPLOY_DEADLINE_MS });
          await page.waitForFunction(
            (name) =>
              document.querySelector(`[data-testid="deployment-row"][data-name="${name}"] [data-testid="deployment-status"]`)?.textContent?.trim() === 'Stopped',
            NAME,
            { timeout: DEPLOY_DEADLINE_MS },
          );
          if (pid) assert(!alive(pid), `the engine ${pid} still runs after Stop`);

          page.once('dialog', (dialog) => {
            assertEqual(dialog.message(), `Stop and delete ${NAME}?`, 'confirmation');
            void dialog.accept();
          });
          const [deleted] = await Promise.all([
            page.waitForResponse((r) => r.request().method() === 'DELETE' && new URL(r.url()).pathname.startsWith('/api/deployments/')),
            row().getByTestId('deployment-delete').click(),
          ]);
          assertEqual(deleted.status(), 204, 'DELETE /api/deployments/{id}');
          await row().waitFor({ state: 'detached' });
          assertEqual(await deployment(page, baseUrl), null, `${NAME} in GET /api/deployments after the delete`);
          if (state.apiKey) {
            const models = await fetch(`${baseUrl}/v1/models`, { headers: { Authorization: `Bearer ${state.apiKey}` } });
            const ids = (await models.json()).data.map((m) => m.id);
            assert(!ids.includes(NAME), `/v1/models still lists ${NAME}`);
          }
          assertNoErrors();
        } finally {
          await state.context.close().catch(() => {});
        }
      },
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { defineAccountChecks } = await import('./accounts.e2e.mjs');
  main([defineAccountChecks, defineDeploymentChecks]);
}
