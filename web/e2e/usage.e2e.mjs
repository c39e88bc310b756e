#!/usr/bin/env node
// End-to-end checks of usage and prices: after the chat suites made real calls through the
// server, the admin opens Administration → Usage, sees the calls grouped by day and by model,
// sets a price for the fake model and removes it again; the chat user's statistics page shows
// the cost of their calls; both pages chart the calls (and fit a phone). Needs the admin of accounts.e2e.mjs and the user of providers.e2e.mjs.

import { pathToFileURL } from 'node:url';
import { assert, assertEqual, main, newContext, screenshot, watchErrors } from './harness.mjs';

const ADMIN = { username: 'admin', password: 'Admin passphrase 1' };

async function logIn(page, baseUrl, username, password) {
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-menu').waitFor();
}

export function defineUsageChecks(ctx) {
  const { baseUrl } = ctx;
  return [
    {
      name: 'the admin sees the calls by day and by model, sets a price for fake-model and removes it',
      async run() {
        const context = await newContext(ctx.browser);
        try {
          const page = await context.newPage();
          // The refused price (422) is logged by the browser as a failed request.
          const errors = watchErrors(page, { allow: [/status of 422/] });
          await logIn(page, baseUrl, ADMIN.username, ADMIN.password);
          await page.goto(`${baseUrl}/admin/usage`);
          await page.getByTestId('usage-table').waitFor();
          assert((await page.getByTestId('usage-row').count()) >= 1, 'no usage row for today');
          // The dashboard draws today's calls: bars of requests, and fake-model among the top models.
          await page.locator('[data-testid="chart-requests"] .recharts-bar-rectangle path').first().waitFor();
          await page.locator('[data-testid="chart-tokens"] .recharts-bar-rectangle path').first().waitFor();
          await page.locator('[data-testid="chart-cost"] .recharts-line').first().waitFor();
          await page.locator('[data-testid="chart-top-model"] .recharts-bar-rectangle path[name="fake-model"]').waitFor();
          await page.locator('[data-testid="chart-top-user"] .recharts-bar-rectangle path').first().waitFor();
          const csv = await page.getByTestId('usage-csv').getAttribute('href');
          assertEqual(csv, '/api/admin/statistics?group_by=day&format=csv', 'CSV link');
          await Promise.all([
            page.waitForResponse((r) => new URL(r.url()).searchParams.get('group_by') === 'model'),
            page.getByTestId('usage-group').selectOption('model'),
          ]);
          await page.locator('[data-testid="usage-row"][data-key="fake-model"]').waitFor();
          // A model's rate limit: set, listed, removed (a real fake-model call limit would
          // slow the later suites).
          await page.getByTestId('model-limit-model').fill('fake-model');
          await page.getByTestId('model-limit-rpm').fill('1000');
          await page.getByTestId('model-limit-save').click();
          const limit = page.locator('[data-testid="model-limit-row"][data-model="fake-model"]');
          await limit.waitFor();
          await limit.getByTestId('model-limit-delete').click();
          await limit.waitFor({ state: 'detached' });
          await page.getByTestId('price-model').fill('fake-model');
          await page.getByTestId('price-input').fill('2,50');
          await page.getByTestId('price-output').fill('10');
          await page.getByTestId('price-save').click();
          await page.getByText('must be a decimal number').waitFor();
          await page.getByTestId('price-input').fill('2.50');
          const [saved] = await Promise.all([
            page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === '/api/admin/prices/fake-model'),
            page.getByTestId('price-save').click(),
          ]);
          assertEqual(saved.status(), 200, 'PUT /api/admin/prices/fake-model');
          const row = page.locator('[data-testid="price-row"][data-model="fake-model"]');
          await row.waitFor();
          assert((await row.innerText()).includes('2.5 USD'), 'the new price is not listed');
          await screenshot(page, 'admin-usage.png');
          await page.setViewportSize({ width: 390, height: 844 });
          await page.waitForFunction(() => {
            const svg = document.querySelector('[data-testid="chart-requests"] svg');
            return svg !== null && svg.getBoundingClientRect().width <= 390;
          });
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert(overflow <= 0, `the dashboard is ${overflow}px wider than a phone`);
          await page.getByTestId('chart-requests').scrollIntoViewIfNeeded();
          await screenshot(page, 'admin-usage-phone.png');
          await page.setViewportSize({ width: 1280, height: 800 });
          await row.getByTestId('price-delete').click();
          await row.waitFor({ state: 'detached' });
          assert(errors.length === 0, errors.join('\n'));
        } finally {
          await context.close();
        }
      },
    },
    {
      name: 'the chat user sees the cost of their calls and that no budget is set',
      async run() {
        assert(ctx.providers?.user, 'ctx.providers.user is missing: run providers.e2e.mjs first');
        const context = await newContext(ctx.browser);
        try {
          const page = await context.newPage();
          const errors = watchErrors(page);
          await logIn(page, baseUrl, ctx.providers.user.username, ctx.providers.user.password);
          await page.goto(`${baseUrl}/chat/statistics`);
          await page.getByTestId('statistics-cost').waitFor();
          await page.getByTestId('statistics-no-budget').waitFor();
          assert((await page.getByTestId('statistics-cost-model').count()) >= 1, 'no cost per model');
          await page.locator('[data-testid="chart-my-days"] .recharts-bar-rectangle path').first().waitFor();
          await page.locator('[data-testid="chart-my-models"] .recharts-bar-rectangle path').first().waitFor();
          await page.getByTestId('statistics-charts').scrollIntoViewIfNeeded();
          await screenshot(page, 'statistics-cost.png');
          assert(errors.length === 0, errors.join('\n'));
        } finally {
          await context.close();
        }
      },
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { defineAccountChecks } = await import('./accounts.e2e.mjs');
  const { defineProviderChecks } = await import('./providers.e2e.mjs');
  const { defineChatChecks } = await import('./chat.e2e.mjs');
  main([defineAccountChecks, defineProviderChecks, defineChatChecks, defineUsageChecks]);
}
