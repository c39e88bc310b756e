#!/usr/bin/env node
// End-to-end checks of the accounts UI against the real server: the first admin through the
// setup link from the server's JSON log, registration, login/logout, profile settings (display
// name, language), a password change ending the user's older session, ending a session from
// the sessions page, user admin (search, role, disable → the user's session dies) and the
// audit log. Run by status.e2e.mjs after its own checks; runs alone too:
//
//   LLM_MANAGER_BIN=target/debug/llm-manager node web/e2e/accounts.e2e.mjs
//
// The checks build on each other (one server, one story) and keep their browser contexts on
// `ctx.accounts`. Console errors fail a check, except the browser's own "status of 401" line in
// the contexts whose session a check ends on purpose.

import { pathToFileURL } from 'node:url';
import { assert, assertEqual, main, newContext, screenshot, text, watchErrors } from './harness.mjs';

const ADMIN = { username: 'admin', email: 'admin@example.com', password: 'Admin passphrase 1' };
const USER = { username: 'eve', email: 'eve@example.com', password: 'Eve first passphrase', newPassword: 'Eve second passphrase' };
/** The browser's console line for a failed (401) fetch: expected where a check ends a session. */
const EXPECTED_401 = [/status of 401/];

/** A browser context with one page whose console errors are collected. */
async function openBrowser(ctx, name, { allow = [], ...options } = {}) {
  const context = await newContext(ctx.browser, options);
  const page = await context.newPage();
  const errors = watchErrors(page, { allow });
  const browserSession = { name, context, page, errors };
  ctx.accounts.browsers.push(browserSession);
  return browserSession;
}

function assertNoErrors(...sessions) {
  const errors = sessions.flatMap((session) => session.errors.map((error) => `${session.name}: ${error}`));
  assert(errors.length === 0, errors.join('\n'));
}

/** Path and query of the page's URL. */
function where(page) {
  const url = new URL(page.url());
  return `${url.pathname}${url.search}`;
}

async function waitForPath(page, path) {
  await page.waitForURL((url) => `${url.pathname}${url.search}` === path);
}

async function logIn(page, baseUrl, username, password, next = '') {
  await page.goto(`${baseUrl}/login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-menu').waitFor();
}

/** Waits for the login page that a dead session leads to, with its notice. */
async function expectSentToLogin(page, from) {
  await waitForPath(page, `/login?next=${encodeURIComponent(from)}`);
  await page.getByTestId('login-session-ended').waitFor();
}

function row(page, username) {
  return page.locator(`[data-testid="user-row"][data-username="${username}"]`);
}

/** The checks; they run in order and share `ctx.accounts`. */
export function defineAccountChecks(ctx) {
  const { baseUrl } = ctx;
  ctx.accounts = { browsers: [] };
  const state = ctx.accounts;

  return [
    {
      name: 'the server logs a setup URL while no admin exists',
      async run() {
        const line = ctx.server.logLines().find((entry) => entry.fields?.setup_url);
        assert(line, 'no JSON log line with fields.setup_url');
        const url = new URL(line.fields.setup_url);
        assertEqual(url.pathname, '/setup', 'setup URL path');
        state.setupToken = url.searchParams.get('token');
        assert(state.setupToken, `setup URL without a token: ${url}`);
      },
    },
    {
      name: '/setup creates the first admin, logs them in and opens /admin/users',
      async run() {
        assert(state.setupToken, 'no setup token');
        const admin = await openBrowser(ctx, 'admin');
        state.admin = admin;
        const { page } = admin;
        await page.goto(`${baseUrl}/setup?token=${encodeURIComponent(state.setupToken)}`);
        await page.getByTestId('setup-username').fill(ADMIN.username);
        await page.getByTestId('setup-email').fill(ADMIN.email);
        await page.getByTestId('setup-password').fill(ADMIN.password);
        await page.getByTestId('setup-confirm').fill(ADMIN.password);
        await page.getByTestId('setup-submit').click();
        await waitForPath(page, '/admin/users');
        await row(page, ADMIN.username).waitFor();
        assertEqual(await text(page, 'user-menu-name'), ADMIN.username, 'user menu');
        assert(await page.getByTestId('nav-admin').isVisible(), 'no Admin link in the navigation');

        // The token worked once.
        const again = await openBrowser(ctx, 'setup again', { allow: [/status of 403/] });
        await again.page.goto(`${baseUrl}/setup?token=${encodeURIComponent(state.setupToken)}`);
        await again.page.getByTestId('setup-username').fill('second');
        await again.page.getByTestId('setup-email').fill('second@example.com');
        await again.page.getByTestId('setup-password').fill(ADMIN.password);
        await again.page.getByTestId('setup-confirm').fill(ADMIN.password);
        await again.page.getByTestId('setup-submit').click();
        await again.page.getByTestId('setup-error').waitFor();
        await again.context.close();
        assertNoErrors(admin);
      },
    },
    {
      name: 'a visitor registers, is logged in, logs out and logs in again',
      async run() {
        const first = await openBrowser(ctx, 'user, first session', { allow: EXPECTED_401 });
        state.first = first;
        const { page } = first;
        await page.goto(`${baseUrl}/status`);
        await page.getByTestId('nav-register').click();
        await waitForPath(page, '/register');
        await page.getByTestId('register-username').fill(USER.username);
        await page.getByTestId('register-email').fill(USER.email);
        await page.getByTestId('register-password').fill(USER.password);
        await page.getByTestId('register-confirm').fill(USER.password);
        await page.getByTestId('register-submit').click();
        await waitForPath(page, '/status');
        await page.getByTestId('user-menu').waitFor();
        assertEqual(await text(page, 'user-menu-name'), USER.username, 'user menu after registering');
        assert((await page.getByTestId('nav-admin').count()) === 0, 'a user sees the Admin link');

        await page.getByTestId('user-menu').click();
        await page.getByTestId('menu-logout').click();
        await waitForPath(page, '/login');
        await page.getByTestId('nav-login').waitFor();
        await screenshot(page, 'login-en.png');

        await logIn(page, baseUrl, USER.email, USER.password, '/settings/profile');
        await waitForPath(page, '/settings/profile');
        // A user is not let into the admin pages.
        await page.goto(`${baseUrl}/admin/users`);
        await page.getByTestId('forbidden').waitFor();
        assertNoErrors(first);
      },
    },
    {
      name: 'the user changes display name and language in the settings',
      async run() {
        const { page } = state.first;
        await page.goto(`${baseUrl}/settings/profile`);
        await page.getByTestId('profile-form').waitFor();
        await screenshot(page, 'settings-en.png');
        await page.getByTestId('profile-display-name').fill('Eve Example');
        await page.getByTestId('profile-language').selectOption('zh-CN');
        await page.getByTestId('profile-save').click();
        await page.getByTestId('profile-saved').waitFor();
        await page.getByRole('heading', { level: 1, name: '设置' }).waitFor();
        assertEqual(await page.locator('html').getAttribute('lang'), 'zh-CN', 'html lang after saving');
        assertEqual(await text(page, 'user-menu-name'), 'Eve Example', 'user menu after saving');
        await screenshot(page, 'settings-zh-CN.png');

        await page.reload();
        await page.getByTestId('profile-form').waitFor();
        assertEqual(await page.getByTestId('profile-display-name').inputValue(), 'Eve Example', 'display name after reload');
        assertEqual(await page.getByTestId('profile-language').inputValue(), 'zh-CN', 'language after reload');
        assertNoErrors(state.first);
      },
    },
    {
      name: "changing the password ends the user's older session",
      async run() {
        const second = await openBrowser(ctx, 'user, second session', { allow: EXPECTED_401 });
        state.second = second;
        const { page } = second;
        await logIn(page, baseUrl, USER.username, USER.password);
        // The saved language applies at login.
        assertEqual(await page.locator('html').getAttribute('lang'), 'zh-CN', 'language after login');

        await page.goto(`${baseUrl}/settings/security`);
        await page.getByTestId('password-old').fill(USER.password);
        await page.getByTestId('password-new').fill(USER.newPassword);
        await page.getByTestId('password-confirm').fill(USER.newPassword);
        await page.getByTestId('password-submit').click();
        await page.getByTestId('password-done').waitFor();

        // The first session is gone: its next page load lands on the login page.
        await state.first.page.goto(`${baseUrl}/settings/sessions`);
        await expectSentToLogin(state.first.page, '/settings/sessions');

        // This one lives on.
        await page.reload();
        await page.getByTestId('password-form').waitFor();
        assert(await page.getByTestId('user-menu').isVisible(), 'the session that changed the password ended too');
        assertNoErrors(state.first, second);
      },
    },
    {
      name: 'a session ended from the sessions page is logged out',
      async run() {
        const third = await openBrowser(ctx, 'user, third session', { allow: EXPECTED_401 });
        state.third = third;
        await logIn(third.page, baseUrl, USER.username, USER.newPassword);

        const { page } = state.second;
        await page.goto(`${baseUrl}/settings/sessions`);
        await page.getByTestId('sessions-table').waitFor();
        const rows = page.getByTestId('session-row');
        assertEqual(await rows.count(), 2, 'live sessions (this one and the third)');
        assertEqual(await page.getByTestId('session-current').count(), 1, '"this device" markers');
        await page.locator('[data-testid="session-row"]:not([data-current])').getByTestId('session-end').click();
        await page.getByTestId('sessions-ended').waitFor();
        await page.waitForFunction(() => document.querySelectorAll('[data-testid="session-row"]').length === 1);

        // The third browser finds out on its next page load.
        await third.page.goto(`${baseUrl}/settings/profile`);
        await expectSentToLogin(third.page, '/settings/profile');
        assertNoErrors(state.second, third);
      },
    },
    {
      name: 'the admin searches the user and changes their role',
      async run() {
        const { page } = state.admin;
        await page.goto(`${baseUrl}/admin/users`);
        await row(page, USER.username).waitFor();
        await screenshot(page, 'admin-users-en.png');

        await Promise.all([
          page.waitForResponse((response) => {
            const url = new URL(response.url());
            return url.pathname === '/api/admin/users' && url.searchParams.get('q') === USER.username;
          }),
          page.getByTestId('users-search').fill(USER.username),
        ]);
        await page.waitForFunction(() => document.querySelectorAll('[data-testid="user-row"]').length === 1);
        assertEqual(await page.getByTestId('user-row').getAttribute('data-username'), USER.username, 'search result');
        assert(where(page).includes(`q=${USER.username}`), `search not kept in the URL: ${where(page)}`);

        await row(page, USER.username).getByTestId('user-role').selectOption('guest');
        await page.getByTestId('users-message').waitFor();
        await page.reload();
        await row(page, USER.username).waitFor();
        assertEqual(await row(page, USER.username).getByTestId('user-role').inputValue(), 'guest', 'role after reload');
        assertNoErrors(state.admin);
      },
    },
    {
      name: "disabling the user ends their session and they cannot log in",
      async run() {
        const { page } = state.admin;
        await row(page, USER.username).getByTestId('user-toggle-active').click();
        await page.getByTestId('users-message').waitFor();
        assertEqual(await row(page, USER.username).getByTestId('user-status').getAttribute('class'), 'badge badge-error', 'status badge');

        const user = state.second.page;
        await user.goto(`${baseUrl}/settings/sessions`);
        await expectSentToLogin(user, '/settings/sessions');
        await user.getByTestId('login-username').fill(USER.username);
        await user.getByTestId('login-password').fill(USER.newPassword);
        await user.getByTestId('login-submit').click();
        await user.getByTestId('login-error').waitFor();
        assertNoErrors(state.admin, state.second);
      },
    },
    {
      name: 'the audit log shows the story, filtered by prefix, details as text',
      async run() {
        const { page } = state.admin;
        await page.getByTestId('admin-tab-audit').click();
        await waitForPath(page, '/admin/audit-log');
        await page.getByTestId('audit-table').waitFor();
        const actions = await page.getByTestId('audit-row').evaluateAll((rows) => rows.map((r) => r.dataset.action));
        for (const action of [
          'admin.bootstrapped',
          'user.registered',
          'auth.login',
          'auth.logout',
          'auth.password_changed',
          'auth.session_revoked',
          'admin.user_updated',
          'auth.login_failed',
        ]) {
          assert(actions.includes(action), `no ${action} in the audit log: ${actions.join(', ')}`);
        }
        const details = await page.getByTestId('audit-details').allTextContents();
        assert(details.some((detail) => detail.includes('"to":"guest"')), `no role change in the details: ${details.join(' | ')}`);

        await page.getByTestId('audit-prefix-admin').click();
        await page.waitForFunction(() => {
          const rows = [...document.querySelectorAll('[data-testid="audit-row"]')];
          return rows.length > 0 && rows.every((r) => r.dataset.action?.startsWith('admin.'));
        });
        assert(where(page).includes('action=admin.'), `filter not kept in the URL: ${where(page)}`);
        assertNoErrors(state.admin);
      },
    },
    {
      name: 'login, settings and user admin in Chinese (screenshots)',
      async run() {
        const { page } = state.admin;
        await page.goto(`${baseUrl}/admin/users`);
        await row(page, USER.username).waitFor();
        await page.getByTestId('lang-switch').selectOption('zh-CN');
        await page.getByRole('heading', { level: 1, name: '系统管理' }).waitFor();
        assertEqual(await text(page, 'admin-tab-users'), '用户', 'users tab');
        await screenshot(page, 'admin-users-zh-CN.png');
        await page.getByTestId('lang-switch').selectOption('en');

        const visitor = await openBrowser(ctx, 'visitor');
        await visitor.page.goto(`${baseUrl}/login`);
        await visitor.page.getByTestId('lang-switch').selectOption('zh-CN');
        await visitor.page.getByRole('heading', { level: 1, name: '登录' }).waitFor();
        await screenshot(visitor.page, 'login-zh-CN.png');
        assertNoErrors(state.admin, visitor);
      },
    },
    {
      name: 'the account pages fit a 375px phone screen',
      async run() {
        const phone = await openBrowser(ctx, 'phone', {
          viewport: { width: 375, height: 812 },
          isMobile: true,
          hasTouch: true,
          deviceScaleFactor: 2,
          storageState: await state.admin.context.storageState(),
        });
        const { page } = phone;
        for (const [path, testId] of [
          ['/admin/users', 'users-table'],
          ['/admin/audit-log', 'audit-table'],
          ['/settings/profile', 'profile-form'],
          ['/settings/security', 'password-form'],
          ['/settings/sessions', 'sessions-table'],
        ]) {
          await page.goto(`${baseUrl}${path}`);
          await page.getByTestId(testId).waitFor();
          assert(await page.getByTestId('user-menu').isVisible(), `${path}: the user menu is not visible`);
          const width = await page.evaluate(() => document.documentElement.scrollWidth);
          assert(width <= 375, `${path} is ${width}px wide on a 375px screen`);
          if (path === '/admin/users') await screenshot(page, 'admin-users-phone.png');
        }
        const visitor = await openBrowser(ctx, 'phone visitor', { viewport: { width: 375, height: 812 }, isMobile: true });
        await visitor.page.goto(`${baseUrl}/login`);
        await visitor.page.getByTestId('login-page').waitFor();
        const width = await visitor.page.evaluate(() => document.documentElement.scrollWidth);
        assert(width <= 375, `/login is ${width}px wide on a 375px screen`);
        assertNoErrors(phone, visitor);
      },
    },
    {
      name: 'no console errors in any accounts page (other than the 401s of ended sessions)',
      async run() {
        assert(state.browsers.length > 0, 'no browser was opened');
        assertNoErrors(...state.browsers);
        await Promise.all(state.browsers.map((session) => session.context.close().catch(() => {})));
      },
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main([defineAccountChecks]);
}
