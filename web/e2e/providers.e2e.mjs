#!/usr/bin/env node
// End-to-end checks of providers and API keys against the real server and a fake upstream:
// the admin (made by the accounts suite) adds an OpenAI-compatible and an Anthropic provider
// pointing at the fake LLM server, tests the first (a real one-token call), switches it off and
// on, and the pages never show the full provider keys; a new user sees the shared providers
// read-only, is refused a personal provider on a loopback address (SSRF guard), creates an API
// key in the settings, copies it from the once-only panel, and revokes a second key, which the
// gateway then refuses.
//
// Needs FAKE_LLM_URL (e.g. http://127.0.0.1:PORT: OpenAI base `${FAKE_LLM_URL}/v1`, Anthropic
// base `${FAKE_LLM_URL}`, models `fake-model`/`claude-fake`) and the admin of accounts.e2e.mjs.
// Leaves for later suites on `ctx.providers`:
//   apiKey       the user's live gateway key (`sk-llmm-…`), for calls to `${gatewayUrl}`
//   gatewayUrl   `${baseUrl}/v1`
//   revokedKey   a key that was revoked (the gateway must answer 401)
//   user         { username, password } of the key's owner
//   providers    { openai: { name, id, model }, anthropic: { name, id, model } }
//
//   FAKE_LLM_URL=http://127.0.0.1:PORT LLM_MANAGER_BIN=target/debug/llm-manager node web/e2e/providers.e2e.mjs

import { pathToFileURL } from 'node:url';
import { assert, assertEqual, main, newContext, screenshot, text, watchErrors } from './harness.mjs';

const ADMIN = { username: 'admin', password: 'Admin passphrase 1' };
const USER = { username: 'ivy', email: 'ivy@example.com', password: 'Ivy first passphrase' };
const OPENAI = { name: 'Fake OpenAI', kind: 'openai_compatible', key: 'sk-e2e-canary-key-000111', model: 'fake-model' };
const ANTHROPIC = { name: 'Fake Anthropic', kind: 'anthropic', key: 'sk-ant-e2e-key-222333', model: 'claude-fake' };
/** Parts of the provider keys that no page or answer may contain (a hint has 3 + 4 characters). */
const KEY_FRAGMENTS = ['e2e-canary', 'canary-key', 'ant-e2e-key', 'e2e-key-2'];
const GATEWAY_KEY = /^sk-llmm-[0-9A-Za-z]{43}$/;

async function logIn(page, baseUrl, username, password) {
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-menu').waitFor();
}

function providerRow(page, name) {
  return page.locator(`[data-testid="provider-row"][data-name="${name}"]`);
}

function apiKeyRow(page, name) {
  return page.locator(`[data-testid="api-key-row"][data-name="${name}"]`);
}

/** Fails when `textOrHtml` holds any part of a provider key. */
function assertNoProviderKey(textOrHtml, where) {
  const leaked = KEY_FRAGMENTS.filter((fragment) => textOrHtml.includes(fragment));
  assert(leaked.length === 0, `${where} shows a provider key (${leaked.join(', ')})`);
}

async function addProvider(page, provider, baseUrl) {
  await page.getByTestId('provider-add').click();
  const form = page.getByTestId('provider-form');
  await form.getByTestId('provider-kind').selectOption(provider.kind);
  await form.getByTestId('provider-name').fill(provider.name);
  await form.getByTestId('provider-base-url').fill(baseUrl);
  await form.getByTestId('provider-api-key').fill(provider.key);
  await form.getByTestId('provider-models').fill(provider.model);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/admin/providers'),
    form.getByTestId('provider-save').click(),
  ]);
  assertEqual(response.status(), 201, `POST /api/admin/providers for ${provider.name}`);
  provider.id = (await response.json()).id;
  await page.getByTestId('provider-saved').waitFor();
  await providerRow(page, provider.name).waitFor();
}

/** Clicks the enabled switch of `name` and waits for its PATCH. */
async function toggleEnabled(page, name, expected) {
  const row = providerRow(page, name);
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PATCH' && new URL(r.url()).pathname.startsWith('/api/admin/providers/')),
    row.getByTestId('provider-enabled').click(),
  ]);
  await page.waitForSelector(`[data-testid="provider-row"][data-name="${name}"][data-enabled="${expected}"]`);
  assertEqual(await row.getByTestId('provider-enabled').isChecked(), expected, `${name} switch`);
}

/** Creates an API key named `name` in the settings; returns the key shown once. */
async function createApiKey(page, name) {
  await page.getByTestId('api-key-name').fill(name);
  await page.getByTestId('api-key-create').click();
  const secret = page.getByTestId('api-key-secret');
  await secret.waitFor();
  const key = (await secret.innerText()).trim();
  assert(GATEWAY_KEY.test(key), `the new key does not look like sk-llmm-<43 base62>: ${JSON.stringify(key)}`);
  return key;
}

async function gatewayStatus(baseUrl, key) {
  const response = await fetch(`${baseUrl}/v1/models`, {
    headers: { Authorization: `Bearer ${key}` },
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** The checks; they run in order and share `ctx.providers`. */
export function defineProviderChecks(ctx) {
  const { baseUrl } = ctx;
  const fake = (process.env.FAKE_LLM_URL ?? '').replace(/\/+$/, '');
  const state = { browsers: [] };
  ctx.providers = {
    apiKey: null,
    revokedKey: null,
    gatewayUrl: `${baseUrl}/v1`,
    user: { username: USER.username, password: USER.password },
    providers: { openai: OPENAI, anthropic: ANTHROPIC },
  };

  async function openBrowser(name, { allow = [], ...options } = {}) {
    const context = await newContext(ctx.browser, options);
    const page = await context.newPage();
    const session = { name, context, page, errors: watchErrors(page, { allow }) };
    state.browsers.push(session);
    return session;
  }

  function assertNoErrors(...sessions) {
    const errors = sessions.flatMap((session) => session.errors.map((error) => `${session.name}: ${error}`));
    assert(errors.length === 0, errors.join('\n'));
  }

  return [
    {
      name: 'the admin adds an OpenAI-compatible and an Anthropic provider pointing at the fake upstream',
      async run() {
        assert(fake, 'FAKE_LLM_URL is not set (the fake upstream, e.g. http://127.0.0.1:PORT)');
        const admin = await openBrowser('admin');
        state.admin = admin;
        const { page } = admin;
        await logIn(page, baseUrl, ADMIN.username, ADMIN.password);
        await page.goto(`${baseUrl}/admin/users`);
        await page.getByTestId('admin-tab-providers').click();
        await page.waitForURL(`${baseUrl}/admin/providers`);
        await page.getByTestId('admin-providers').waitFor();

        await addProvider(page, OPENAI, `${fake}/v1`);
        await addProvider(page, ANTHROPIC, fake);
        for (const [provider, last4] of [
          [OPENAI, '0111'],
          [ANTHROPIC, '2333'],
        ]) {
          const row = providerRow(page, provider.name);
          const hints = (await row.getByTestId('provider-key-hints').innerText()).trim();
          assert(hints.endsWith(last4), `${provider.name}: key hint ${JSON.stringify(hints)} does not end in ${last4}`);
          assertEqual(await row.getAttribute('data-enabled'), 'true', `${provider.name} enabled`);
        }
        assertNoProviderKey(await page.content(), '/admin/providers');
        await screenshot(page, 'admin-providers-en.png');
        assertNoErrors(admin);
      },
    },
    {
      name: 'Test on the OpenAI-compatible provider answers OK with a latency',
      async run() {
        const { page } = state.admin;
        await providerRow(page, OPENAI.name).getByTestId('provider-test').click();
        const result = page.locator(`[data-testid="provider-test-result"][data-provider="${OPENAI.name}"]`);
        await result.waitFor();
        const shown = (await result.innerText()).trim();
        assertEqual(await result.getAttribute('data-ok'), 'true', `test result (${shown})`);
        const latency = (await result.getByTestId('provider-test-latency').innerText()).trim();
        assert(/^\d+ ms$/.test(latency), `latency shown as ${JSON.stringify(latency)}`);
        await screenshot(page, 'admin-providers-tested-en.png');
        assertNoErrors(state.admin);
      },
    },
    {
      name: 'the enabled switch turns the provider off and on, and the server keeps it',
      async run() {
        const { page } = state.admin;
        await toggleEnabled(page, OPENAI.name, false);
        await page.reload();
        await providerRow(page, OPENAI.name).waitFor();
        assertEqual(await providerRow(page, OPENAI.name).getAttribute('data-enabled'), 'false', 'after reload');
        await toggleEnabled(page, OPENAI.name, true);
        await page.reload();
        await providerRow(page, OPENAI.name).waitFor();
        assertEqual(await providerRow(page, OPENAI.name).getAttribute('data-enabled'), 'true', 'after reload');
        assertNoErrors(state.admin);
      },
    },
    {
      name: 'no page or answer shows the full provider keys: the list, the edit form, the API',
      async run() {
        const { page } = state.admin;
        await providerRow(page, OPENAI.name).getByTestId('provider-edit').click();
        const keys = page.getByTestId('provider-keys');
        await keys.waitFor();
        const hint = (await keys.getByTestId('provider-key').first().innerText()).trim();
        assert(hint.includes('0111'), `the edit form lists no hint of the key: ${JSON.stringify(hint)}`);
        assertEqual(await page.getByTestId('provider-api-key').count(), 0, 'API key inputs in the edit form');
        assertNoProviderKey(await page.content(), 'the edit form');
        await page.getByTestId('provider-cancel').click();

        for (const path of ['/api/admin/providers', `/api/admin/providers/${OPENAI.id}`, '/api/providers']) {
          const response = await page.request.get(`${baseUrl}${path}`);
          assertEqual(response.status(), 200, `GET ${path}`);
          assertNoProviderKey(await response.text(), `GET ${path}`);
        }

        await page.getByTestId('lang-switch').selectOption('zh-CN');
        await page.getByRole('heading', { level: 1, name: '系统管理' }).waitFor();
        assertEqual(await text(page, 'admin-tab-providers'), '模型供应商', 'providers tab');
        await screenshot(page, 'admin-providers-zh-CN.png');
        await page.getByTestId('lang-switch').selectOption('en');
        assertNoErrors(state.admin);
      },
    },
    {
      name: 'a user sees the shared providers read-only and is refused a personal provider on loopback',
      async run() {
        const register = await fetch(`${baseUrl}/api/auth/register`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ username: USER.username, email: USER.email, password: USER.password }),
        });
        assertEqual(register.status, 201, `registering ${USER.username}`);
        // The refused save logs the browser's own "status of 422" line.
        const user = await openBrowser('user', { allow: [/status of 422/] });
        state.user = user;
        const { page } = user;
        await logIn(page, baseUrl, USER.username, USER.password);
        await page.goto(`${baseUrl}/settings/profile`);
        await page.getByTestId('settings-tab-providers').click();
        await page.waitForURL(`${baseUrl}/settings/providers`);

        const shared = page.getByTestId('shared-providers');
        await shared.getByTestId('shared-provider-row').first().waitFor();
        const names = await shared.getByTestId('shared-provider-row').evaluateAll((rows) => rows.map((r) => r.dataset.name));
        for (const provider of [OPENAI, ANTHROPIC]) {
          assert(names.includes(provider.name), `shared providers lack ${provider.name}: ${names.join(', ')}`);
          const row = shared.locator(`[data-name="${provider.name}"]`);
          assert((await row.innerText()).includes(provider.model), `${provider.name} does not list ${provider.model}`);
        }
        assertEqual(await shared.getByRole('button').count(), 0, 'buttons in the shared section');
        await page.getByTestId('providers-empty').waitFor();

        await page.getByTestId('provider-add').click();
        const form = page.getByTestId('provider-form');
        await form.getByTestId('provider-kind').selectOption('openai_compatible');
        await form.getByTestId('provider-name').fill('My loopback');
        await form.getByTestId('provider-base-url').fill(`${fake}/v1`);
        await form.getByTestId('provider-save').click();
        await page.getByTestId('provider-base-url-error').waitFor();
        assertEqual(await page.getByTestId('provider-row').count(), 0, 'personal providers after the refusal');
        assertNoProviderKey(await page.content(), '/settings/providers');
        await page.getByTestId('provider-cancel').click();
        await screenshot(page, 'settings-providers-en.png');
        assertNoErrors(user);
      },
    },
    {
      name: 'the user creates an API key, copies it from the once-only panel, and Done takes it off the page',
      async run() {
        const { page, context } = state.user;
        await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
        await page.getByTestId('settings-tab-api-keys').click();
        await page.waitForURL(`${baseUrl}/settings/api-keys`);
        await page.getByTestId('api-usage').waitFor();
        assertEqual(await text(page, 'api-base-url'), `${baseUrl}/v1`, 'base URL in the usage guide');

        const key = await createApiKey(page, 'e2e gateway');
        await page.getByTestId('api-key-copy').click();
        await page.getByTestId('api-key-copied').waitFor();
        assertEqual(await text(page, 'api-key-copied'), 'Copied', 'copy status');
        const copied = await page.evaluate(() => navigator.clipboard.readText()).catch(() => null);
        if (copied !== null) assertEqual(copied, key, 'the clipboard');
        await screenshot(page, 'api-key-created-en.png');

        await page.getByTestId('api-key-done').click();
        await page.getByTestId('api-key-created').waitFor({ state: 'detached' });
        assert(!(await page.content()).includes(key), 'the key is still in the page after Done');
        const row = apiKeyRow(page, 'e2e gateway');
        await row.waitFor();
        const hint = (await row.getByTestId('api-key-hint').innerText()).trim();
        assert(hint.startsWith('sk-llmm-') && hint.endsWith(key.slice(-4)), `hint ${JSON.stringify(hint)} does not match the key`);
        ctx.providers.apiKey = key;
        assertNoErrors(state.user);
      },
    },
    {
      name: 'the user revokes a second key, which leaves the list and is refused by /v1',
      async run() {
        const { page } = state.user;
        const key = await createApiKey(page, 'e2e revoked');
        await page.getByTestId('api-key-done').click();
        const row = apiKeyRow(page, 'e2e revoked');
        await row.waitFor();
        await row.getByTestId('api-key-revoke').click();
        await page.getByTestId('api-key-revoke-dialog-confirm').click();
        await row.waitFor({ state: 'detached' });
        await page.getByTestId('api-keys-message').waitFor();
        await apiKeyRow(page, 'e2e gateway').waitFor();
        await page.reload();
        await apiKeyRow(page, 'e2e gateway').waitFor();
        assertEqual(await apiKeyRow(page, 'e2e revoked').count(), 0, 'revoked key rows after reload');
        await screenshot(page, 'settings-api-keys-en.png');
        ctx.providers.revokedKey = key;

        const revoked = await gatewayStatus(baseUrl, key);
        assertEqual(revoked.status, 401, 'GET /v1/models with the revoked key');
        const live = await gatewayStatus(baseUrl, ctx.providers.apiKey);
        assertEqual(live.status, 200, 'GET /v1/models with the live key');
        const ids = (live.body?.data ?? []).map((model) => model.id);
        assert(ids.includes(OPENAI.model) && ids.includes(ANTHROPIC.model), `/v1/models lists ${ids.join(', ')}`);
        assertNoErrors(state.user);
      },
    },
    {
      name: 'the provider and API key pages fit a 375px phone screen',
      async run() {
        const phone = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
        const adminPhone = await openBrowser('admin phone', { ...phone, storageState: await state.admin.context.storageState() });
        const userPhone = await openBrowser('user phone', { ...phone, storageState: await state.user.context.storageState() });
        for (const [session, path, testId, shot] of [
          [adminPhone, '/admin/providers', 'providers-table', 'admin-providers-phone.png'],
          [userPhone, '/settings/providers', 'shared-providers-table', 'settings-providers-phone.png'],
          [userPhone, '/settings/api-keys', 'api-keys-table', 'settings-api-keys-phone.png'],
        ]) {
          const { page } = session;
          await page.goto(`${baseUrl}${path}`);
          await page.getByTestId(testId).waitFor();
          if (path === '/admin/providers') {
            // With the form open too: it is the widest thing on the page.
            await page.getByTestId('provider-add').click();
            await page.getByTestId('provider-form').waitFor();
          }
          const width = await page.evaluate(() => document.documentElement.scrollWidth);
          assert(width <= 375, `${path} is ${width}px wide on a 375px screen`);
          await screenshot(page, shot);
        }
        assertNoErrors(adminPhone, userPhone);
      },
    },
    {
      name: 'no console errors on the provider and API key pages',
      async run() {
        assert(state.browsers.length > 0, 'no browser was opened');
        assertNoErrors(...state.browsers);
        await Promise.all(state.browsers.map((session) => session.context.close().catch(() => {})));
      },
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { defineAccountChecks } = await import('./accounts.e2e.mjs');
  main([defineAccountChecks, defineProviderChecks]);
}
