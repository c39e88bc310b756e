#!/usr/bin/env node
// End-to-end check of the embedded web UI in a real headless Chromium against a real server.
//
//   FAKE_LLM_URL=http://127.0.0.1:PORT SDK_PYTHON=.venv/bin/python \
//   LLM_MANAGER_BIN=target/debug/llm-manager node web/e2e/status.e2e.mjs
//
// Runs the suites against one fresh server (see harness.mjs for how it is started and judged):
// this file's (the System Status page, language and theme switching, the SPA fallback, the
// offline API docs and a phone viewport), accounts.e2e.mjs's (first-admin setup, registration,
// login/logout, settings, password change, sessions, user admin, audit log),
// providers.e2e.mjs's (providers against the fake upstream at FAKE_LLM_URL, API keys),
// sdk.e2e.mjs's (the official openai Python SDK through /v1), chat.e2e.mjs's (the chat page,
// sharing, export, guests), models.e2e.mjs's (hub search, a download through kill -9),
// deployments.e2e.mjs's (SmolLM2 at LLM_MANAGER_TEST_GGUF imported, deployed on the built-in
// engine, chatted with, monitored, killed and restarted, deleted) and security.e2e.mjs's.
// Prints one line per check and a final "N passed, M failed" line; exits 1 when a check failed,
// 2 when LLM_MANAGER_BIN is not set. Screenshots go to E2E_SCREENSHOT_DIR (default
// web/e2e/screenshots).

import { pathToFileURL } from 'node:url';
import { defineAccountChecks } from './accounts.e2e.mjs';
import { defineSecurityChecks } from './security.e2e.mjs';
import { defineProviderChecks } from './providers.e2e.mjs';
import { defineSdkChecks } from './sdk.e2e.mjs';
import { defineChatChecks } from './chat.e2e.mjs';
import { defineChatResumeChecks } from './chat-resume.e2e.mjs';
import { defineUsageChecks } from './usage.e2e.mjs';
import { defineModelChecks } from './models.e2e.mjs';
import { defineDeploymentChecks } from './deployments.e2e.mjs';
import { assert, assertEqual, main, newContext, screenshot, text, watchErrors } from './harness.mjs';

/** Waits until the status page shows loaded server facts and readiness. */
async function waitForStatus(page) {
  await page.getByTestId('status-version').waitFor();
  await page.getByTestId('status-ready').waitFor();
}

// ---------------------------------------------------------------------------------------------
// Checks

/** The System Status page, language and theme, the SPA fallback, the API docs, a phone. */
export function defineStatusChecks(ctx) {
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
      name: 'an unknown client route (/nowhere/123) shows the app with the not-found message',
      async run() {
        const context = await newContext(browser);
        try {
          const page = await context.newPage();
          const response = await page.goto(`${baseUrl}/nowhere/123`);
          assert(response && response.status() < 400, `GET /nowhere/123 answered HTTP ${response?.status()}`);
          await page.getByTestId('not-found').waitFor();
          assert((await text(page, 'not-found'))?.includes('/nowhere/123'), 'not-found message does not name the path');
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
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main([defineStatusChecks, defineAccountChecks, defineProviderChecks, defineSdkChecks, defineChatChecks, defineChatResumeChecks, defineUsageChecks, defineModelChecks, defineDeploymentChecks, defineSecurityChecks]);
}
