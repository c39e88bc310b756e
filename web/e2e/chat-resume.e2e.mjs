#!/usr/bin/env node
// End-to-end check of "nothing lost": a reply streams slowly from a second fake upstream
// (FAKE_LLM_SLOW_URL, started with a low --tokens-per-second and serving `slow-model`); the user
// reloads the page in the middle of it and sees the same reply continue where it was and end
// complete — the reply runs on the server, and the page re-attaches to it.
//
// Then the emotion reader: a third fake (FAKE_LLM_VISION_URL, serving `vision-model`) answers
// every message with an emotion reading as JSON; the user attaches a photo, picks the emotion
// persona and sees the seven scores as a chart with the dominant one marked.
//
// Needs the admin of accounts.e2e.mjs and `ctx.providers.user` from providers.e2e.mjs.

import { makePng } from './chat.e2e.mjs';
import { assert, assertEqual, newContext, screenshot, watchErrors } from './harness.mjs';

const ADMIN = { username: 'admin', password: 'Admin passphrase 1' };
const QUESTION = 'please answer slowly';

async function api(baseUrl, path, { method = 'GET', token, body } = {}) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function addSharedProvider(baseUrl, name, base, model) {
  const login = await api(baseUrl, '/api/auth/login', { method: 'POST', body: { username: ADMIN.username, password: ADMIN.password } });
  assertEqual(login.status, 200, 'admin login');
  const created = await api(baseUrl, '/api/admin/providers', {
    method: 'POST',
    token: login.body.access_token,
    body: { name, kind: 'openai_compatible', base_url: `${base}/v1`, api_key: 'sk-e2e-0000', models: [model] },
  });
  assertEqual(created.status, 201, `adding the provider ${name}`);
}

async function logInAs(page, baseUrl, user) {
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId('login-username').fill(user.username);
  await page.getByTestId('login-password').fill(user.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-menu').waitFor();
}

export function defineChatResumeChecks(ctx) {
  const { baseUrl } = ctx;
  return [
    {
      name: 'a photo sent to the emotion reader comes back as a chart of the seven emotions',
      async run() {
        const vision = process.env.FAKE_LLM_VISION_URL;
        assert(vision, 'FAKE_LLM_VISION_URL is not set (a fake-llm replying with an emotion reading, model vision-model)');
        assert(ctx.providers?.user, 'ctx.providers.user is missing: run providers.e2e.mjs first');
        await addSharedProvider(baseUrl, 'Vision fake', vision, 'vision-model');
        const context = await newContext(ctx.browser);
        try {
          const page = await context.newPage();
          const errors = watchErrors(page);
          await logInAs(page, baseUrl, ctx.providers.user);
          await page.goto(`${baseUrl}/chat`);
          await page.locator('[data-testid="composer-persona"] option[value="emotion"]').waitFor({ state: 'attached' });
          await page.locator('[data-testid="composer-model"] option[value="vision-model"]').waitFor({ state: 'attached' });
          await page.getByTestId('composer-persona').selectOption('emotion');
          await page.getByTestId('composer-model').selectOption('vision-model');
          const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('composer-attach').click()]);
          const [upload] = await Promise.all([
            page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/files'),
            chooser.setFiles({ name: 'party.png', mimeType: 'image/png', buffer: makePng(32) }),
          ]);
          assertEqual(upload.status(), 201, 'image upload');
          await page.getByTestId('composer-input').fill('How does this person feel?');
          await page.getByTestId('composer-input').press('Enter');
          const chart = page.getByTestId('emotion-chart').last();
          await chart.waitFor();
          assertEqual(await chart.getByTestId('emotion-bar').count(), 7, 'bars');
          const dominant = chart.locator('[data-testid="emotion-bar"][data-dominant="true"]');
          assertEqual(await dominant.getAttribute('data-emotion'), 'happy', 'dominant emotion');
          await screenshot(page, 'chat-emotion-en.png');
          assert(errors.length === 0, errors.join('\n'));
        } finally {
          await context.close();
        }
      },
    },
    {
      name: 'a reload in the middle of a streamed reply re-attaches: the reply continues and ends complete',
      async run() {
        const slow = process.env.FAKE_LLM_SLOW_URL;
        assert(slow, 'FAKE_LLM_SLOW_URL is not set (a fake-llm with --tokens-per-second and model slow-model)');
        assert(ctx.providers?.user, 'ctx.providers.user is missing: run providers.e2e.mjs first');
        const login = await api(baseUrl, '/api/auth/login', { method: 'POST', body: { username: ADMIN.username, password: ADMIN.password } });
        assertEqual(login.status, 200, 'admin login');
        const created = await api(baseUrl, '/api/admin/providers', {
          method: 'POST',
          token: login.body.access_token,
          body: { name: 'Slow fake', kind: 'openai_compatible', base_url: `${slow}/v1`, api_key: 'sk-slow-e2e-0000', models: ['slow-model'] },
        });
        assertEqual(created.status, 201, 'adding the slow provider');

        const context = await newContext(ctx.browser);
        try {
          const page = await context.newPage();
          const errors = watchErrors(page);
          const { username, password } = ctx.providers.user;
          await page.goto(`${baseUrl}/login`);
          await page.getByTestId('login-username').fill(username);
          await page.getByTestId('login-password').fill(password);
          await page.getByTestId('login-submit').click();
          await page.getByTestId('user-menu').waitFor();
          await page.goto(`${baseUrl}/chat`);
          await page.locator('[data-testid="composer-model"] option[value="slow-model"]').waitFor({ state: 'attached' });
          await page.getByTestId('composer-model').selectOption('slow-model');
          await page.getByTestId('composer-input').fill(QUESTION);
          await page.getByTestId('composer-input').press('Enter');
          await page.waitForURL(/\/chat\/[0-9a-f-]{36}$/);
          const answer = page.locator('[data-testid="message"][data-role="assistant"]').last();
          // Some words have arrived, the reply is still being written: reload now.
          await page.waitForFunction(() => {
            const answers = document.querySelectorAll('[data-testid="message"][data-role="assistant"]');
            const last = answers[answers.length - 1];
            return last && (last.textContent ?? '').includes('Hello!');
          });
          const before = (await answer.textContent()) ?? '';
          assert(!before.includes(QUESTION), 'the reply was already complete before the reload: the fake is too fast');
          await page.reload();
          await page.locator('[data-testid="message"][data-role="assistant"][data-status="streaming"]').first().waitFor();
          await screenshot(page, 'chat-resumed-en.png');
          await page.waitForFunction(() => {
            const answers = document.querySelectorAll('[data-testid="message"][data-role="assistant"]');
            const last = answers[answers.length - 1];
            return last && last.getAttribute('data-status') === 'complete';
          }, undefined, { timeout: 30_000 });
          const after = (await answer.textContent()) ?? '';
          assert(after.includes(`Hello! You said: ${QUESTION}`), `the reply did not continue: ${JSON.stringify(after)}`);
          // Exactly one answer: re-attaching did not start a second reply.
          assertEqual(await page.locator('[data-testid="message"][data-role="assistant"]').count(), 1, 'answers on the page');
          assert(errors.length === 0, errors.join('\n'));
        } finally {
          await context.close();
        }
      },
    },
  ];
}
