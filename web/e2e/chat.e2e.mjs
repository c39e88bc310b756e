#!/usr/bin/env node
// End-to-end checks of the chat UI against the real server and the fake upstream: the user of
// providers.e2e.mjs opens Chat, picks the fox persona and the model `fake-model`, sends
// "hello fox" and sees the streamed reply (the fake answers `Hello! You said: <text>` word by
// word); the conversation is in the sidebar and survives a reload; it is renamed, shared (the
// link opens the transcript in a logged-out browser, and answers the friendly "revoked" page once
// revoked), exported as Markdown and JSON; a message full of HTML and javascript: links renders
// inert; screenshots in zh-CN and on a 375px phone (drawer closed and open) without horizontal
// scrolling.
//
// Needs `ctx.providers` from providers.e2e.mjs (`user`, `providers.openai.model`); runs after it
// in one server run. Alone, with the suites it builds on:
//
//   FAKE_LLM_URL=http://127.0.0.1:PORT LLM_MANAGER_BIN=target/debug/llm-manager node web/e2e/chat.e2e.mjs
//
// Leaves on `ctx.chat`: `sessionId` (the "hello fox" conversation) and `shareUrl` (revoked).

import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { assert, assertEqual, main, newContext, screenshot, text, watchErrors } from './harness.mjs';

const RENAMED = 'Fox greetings';
/** Markup and script URLs that must reach the page as text, never as elements or links. */
const XSS = '<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> [click me](javascript:window.__xss=3) <b>bold?</b>';
const PHONE = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const SESSION_PATH = /^\/chat\/[0-9a-f-]{36}$/;

async function logIn(page, baseUrl, username, password) {
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-menu').waitFor();
}

function sessionItem(page, id) {
  return page.locator(`[data-testid="session-item"][data-id="${id}"]`);
}

/** The last assistant message. */
function lastAnswer(page) {
  return page.locator('[data-testid="message"][data-role="assistant"]').last();
}

/** Waits until the last answer has ended (stored, not `streaming`) and Send is back. */
async function waitForAnswerEnd(page) {
  await page.waitForFunction(() => {
    const answers = document.querySelectorAll('[data-testid="message"][data-role="assistant"]');
    const last = answers[answers.length - 1];
    return (
      last !== undefined &&
      last.getAttribute('data-status') !== 'streaming' &&
      !last.getAttribute('data-id')?.startsWith('local-') &&
      document.querySelector('[data-testid="composer-send"]') !== null
    );
  });
}

/** Picks persona and model in the composer once their lists have loaded. */
async function pick(page, persona, model) {
  await page.locator(`[data-testid="composer-persona"] option[value="${persona}"]`).waitFor({ state: 'attached' });
  await page.locator(`[data-testid="composer-model"] option[value="${model}"]`).waitFor({ state: 'attached' });
  await page.getByTestId('composer-persona').selectOption(persona);
  await page.getByTestId('composer-model').selectOption(model);
}

/** Sends `message` with Enter; returns the chat response (an event stream). */
async function send(page, message) {
  await page.getByTestId('composer-input').fill(message);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/llm/chat'),
    page.getByTestId('composer-input').press('Enter'),
  ]);
  return response;
}

/** Fails when the page is wider than its viewport (horizontal scrolling). */
async function assertFits(page, where) {
  const { width, viewport } = await page.evaluate(() => ({ width: document.documentElement.scrollWidth, viewport: window.innerWidth }));
  assert(width <= viewport, `${where} is ${width}px wide on a ${viewport}px screen`);
}

/** The checks; they run in order and share `ctx.chat`. */
export function defineChatChecks(ctx) {
  const { baseUrl } = ctx;
  const state = { browsers: [] };
  ctx.chat = { sessionId: null, shareUrl: null };

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
      name: 'the user opens Chat, picks the fox and fake-model, sends "hello fox" and sees the reply stream in',
      async run() {
        assert(ctx.providers?.user, 'ctx.providers.user is missing: run providers.e2e.mjs first');
        const model = ctx.providers.providers?.openai?.model ?? 'fake-model';
        const user = await openBrowser('chat user', { acceptDownloads: true });
        state.user = user;
        const { page } = user;
        await logIn(page, baseUrl, ctx.providers.user.username, ctx.providers.user.password);
        await page.getByTestId('nav-chat').click();
        await page.waitForURL(`${baseUrl}/chat`);
        await page.getByTestId('chat-welcome').waitFor();
        await pick(page, 'fox', model);

        const response = await send(page, 'hello fox');
        assertEqual(response.status(), 200, 'POST /api/llm/chat');
        assert(
          (response.headers()['content-type'] ?? '').startsWith('text/event-stream'),
          `the chat answered ${response.headers()['content-type']}, not an event stream`,
        );
        // The first event gives the conversation its URL, while the reply is still coming.
        await page.waitForURL((url) => SESSION_PATH.test(url.pathname));
        ctx.chat.sessionId = new URL(page.url()).pathname.split('/').pop();
        await waitForAnswerEnd(page);

        const answer = lastAnswer(page);
        assertEqual(await answer.getAttribute('data-status'), 'complete', 'status of the answer');
        const reply = (await answer.getByTestId('message-content').innerText()).trim();
        assert(reply.includes('hello fox'), `the reply does not repeat the question: ${JSON.stringify(reply)}`);
        assert(reply.startsWith('Hello!'), `unexpected reply: ${JSON.stringify(reply)}`);
        assert((await text(page, 'session-persona'))?.length, 'the header names no persona');
        assertEqual(await text(page, 'session-model'), model, 'model in the header');
        await sessionItem(page, ctx.chat.sessionId).waitFor();
        await screenshot(page, 'chat-en.png');
        assertNoErrors(user);
      },
    },
    {
      name: 'after a reload the conversation is in the sidebar with its messages',
      async run() {
        const { page } = state.user;
        await page.reload();
        await sessionItem(page, ctx.chat.sessionId).waitFor();
        await lastAnswer(page).waitFor();
        const messages = await page.getByTestId('message').allInnerTexts();
        assertEqual(messages.length, 2, 'messages after the reload');
        assert(messages[0].includes('hello fox'), `the question is gone: ${JSON.stringify(messages[0])}`);
        assert(messages[1].includes('You said: hello fox'), `the answer is gone: ${JSON.stringify(messages[1])}`);
        assertEqual(
          await sessionItem(page, ctx.chat.sessionId).getByTestId('session-link').getAttribute('aria-current'),
          'page',
          'the open conversation is marked in the sidebar',
        );
        assertNoErrors(state.user);
      },
    },
    {
      name: 'the user renames the conversation in the sidebar, and the new title stays',
      async run() {
        const { page } = state.user;
        const item = sessionItem(page, ctx.chat.sessionId);
        await item.getByTestId('session-rename').click();
        await item.getByTestId('session-rename-input').fill(RENAMED);
        await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'PATCH' && new URL(r.url()).pathname === `/api/llm/sessions/${ctx.chat.sessionId}`),
          item.getByTestId('session-rename-input').press('Enter'),
        ]);
        await page.locator(`[data-testid="session-item"][data-id="${ctx.chat.sessionId}"][data-title="${RENAMED}"]`).waitFor();
        await page.reload();
        await page.locator(`[data-testid="session-item"][data-id="${ctx.chat.sessionId}"][data-title="${RENAMED}"]`).waitFor();
        await page.waitForFunction((title) => document.querySelector('[data-testid="session-title"]')?.textContent === title, RENAMED);
        assertNoErrors(state.user);
      },
    },
    {
      name: 'a share link shows the transcript to a logged-out browser; revoked, it says so kindly',
      async run() {
        const { page } = state.user;
        await page.getByTestId('session-share').click();
        await page.getByTestId('share-create').click();
        const link = await page.getByTestId('share-url').inputValue();
        assert(link.startsWith(`${baseUrl}/s/`), `share link ${JSON.stringify(link)} is not under ${baseUrl}/s/`);
        assert(link.length >= `${baseUrl}/s/`.length + 22, `the share token looks short: ${link}`);
        ctx.chat.shareUrl = link;
        await screenshot(page, 'chat-share-en.png');

        // The revoked link's 404 is logged by the browser: expected there.
        const visitor = await openBrowser('visitor', { allow: [/status of 404/] });
        await visitor.page.goto(link);
        await visitor.page.getByTestId('shared-page').waitFor();
        assertEqual(await text(visitor.page, 'shared-title'), RENAMED, 'shared title');
        const shared = (await visitor.page.getByTestId('shared-messages').innerText()).trim();
        assert(shared.includes('hello fox') && shared.includes('You said: hello fox'), `the transcript lacks the messages: ${shared}`);
        assertEqual(await visitor.page.getByTestId('user-menu').count(), 0, 'the visitor is logged in');
        assertEqual(await visitor.page.getByTestId('composer').count(), 0, 'a composer on the shared page');
        await screenshot(visitor.page, 'chat-shared-en.png');

        await page.getByTestId('share-revoke').click();
        await page.getByTestId('share-revoked').waitFor();
        await page.getByTestId('share-close').click();
        await visitor.page.reload();
        await visitor.page.getByTestId('shared-not-found').waitFor();
        assertNoErrors(state.user, visitor);
      },
    },
    {
      name: 'Export downloads the conversation as Markdown and as JSON',
      async run() {
        const { page } = state.user;
        const [markdown] = await Promise.all([page.waitForEvent('download'), page.getByTestId('session-export-md').click()]);
        const md = await readFile(await markdown.path(), 'utf8');
        assert(md.includes('hello fox'), `the Markdown export lacks the question: ${md.slice(0, 200)}`);
        assert(md.includes('You said: hello fox'), `the Markdown export lacks the answer: ${md.slice(0, 200)}`);

        const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('session-export-json').click()]);
        const exported = await readFile(await json.path(), 'utf8');
        let parsed;
        try {
          parsed = JSON.parse(exported);
        } catch (error) {
          throw new Error(`the JSON export is not JSON (${error.message}): ${exported.slice(0, 200)}`);
        }
        assert(JSON.stringify(parsed).includes('You said: hello fox'), 'the JSON export lacks the answer');
        assertNoErrors(state.user);
      },
    },
    {
      name: 'a message full of HTML and javascript: links renders inert, in the question and the echoed answer',
      async run() {
        const { page } = state.user;
        await page.getByTestId('chat-new').click();
        await page.waitForURL(`${baseUrl}/chat`);
        await pick(page, 'dog', ctx.providers.providers?.openai?.model ?? 'fake-model');
        await send(page, XSS);
        await page.waitForURL((url) => SESSION_PATH.test(url.pathname));
        await waitForAnswerEnd(page);

        const list = page.getByTestId('message-list');
        assertEqual(await list.locator('img, script, iframe, object, embed').count(), 0, 'elements made from the message');
        assertEqual(await page.locator('a[href^="javascript:" i]').count(), 0, 'javascript: links on the page');
        const handlers = await page.evaluate(
          () => [...document.querySelectorAll('[data-testid="message-list"] *')].filter((el) => [...el.attributes].some((a) => /^on/i.test(a.name))).length,
        );
        assertEqual(handlers, 0, 'elements with on* attributes');
        const question = (await page.getByTestId('message').first().innerText()).trim();
        assert(question.includes('<script>window.__xss=2</script>'), `the question is not shown as text: ${question}`);
        const reply = (await lastAnswer(page).getByTestId('message-content').innerText()).trim();
        assert(reply.includes('<img src=x onerror='), `the echoed markup is not shown as text: ${reply}`);
        // The javascript: link is plain text; clicking it does nothing.
        await lastAnswer(page).getByText('click me').click();
        assertEqual(await page.evaluate(() => window.__xss ?? null), null, 'a payload ran');
        assertNoErrors(state.user);
      },
    },
    {
      name: 'the chat in Chinese, and on a 375px phone with the conversations in a drawer',
      async run() {
        const { page, context } = state.user;
        await page.goto(`${baseUrl}/chat/${ctx.chat.sessionId}`);
        await lastAnswer(page).waitFor();
        await page.getByTestId('lang-switch').selectOption('zh-CN');
        await page.getByRole('heading', { level: 1, name: RENAMED }).waitFor();
        assertEqual(await text(page, 'nav-chat'), '聊天', 'navigation label');
        assertEqual(await text(page, 'composer-send'), '发送', 'Send button');
        await screenshot(page, 'chat-zh-CN.png');
        await page.getByTestId('lang-switch').selectOption('en');
        await page.waitForFunction(() => document.documentElement.lang === 'en');

        const phone = await openBrowser('chat phone', { ...PHONE, storageState: await context.storageState() });
        await phone.page.goto(`${baseUrl}/chat/${ctx.chat.sessionId}`);
        await lastAnswer(phone.page).waitFor();
        await assertFits(phone.page, 'the chat');
        assert(!(await phone.page.getByTestId('chat-sidebar').isVisible()), 'the conversation list is open on a phone');
        await screenshot(phone.page, 'chat-phone.png');
        await phone.page.getByTestId('chat-sidebar-toggle').click();
        await sessionItem(phone.page, ctx.chat.sessionId).waitFor({ state: 'visible' });
        await assertFits(phone.page, 'the chat with the drawer open');
        await screenshot(phone.page, 'chat-phone-drawer.png');
        await phone.page.getByTestId('chat-new').click();
        await phone.page.waitForURL(`${baseUrl}/chat`);
        await phone.page.getByTestId('chat-welcome').waitFor();
        await assertFits(phone.page, 'a new chat');
        assertNoErrors(state.user, phone);
      },
    },
    {
      name: 'no console errors on the chat pages',
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
  const { defineProviderChecks } = await import('./providers.e2e.mjs');
  main([defineAccountChecks, defineProviderChecks, defineChatChecks]);
}
