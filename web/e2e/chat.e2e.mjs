#!/usr/bin/env node
// End-to-end checks of the chat UI against the real server and the fake upstream: the user of
// providers.e2e.mjs opens Chat, picks the fox persona and the model `fake-model`, sends
// "hello fox" and sees the streamed reply (the fake answers `Hello! You said: <text>` word by
// word); the conversation is in the sidebar and survives a reload; it is renamed, shared (the
// link opens the transcript in a logged-out browser, and answers the friendly "revoked" page once
// revoked), exported as Markdown and JSON; a message full of HTML and javascript: links renders
// inert; screenshots in zh-CN and on a 375px phone (drawer closed and open) without horizontal
// scrolling. Then images: a PNG made here is attached through the file chooser, uploads at once,
// goes with the message (`image_ids`) and shows as a thumbnail in the question, also after a
// reload. Then guest chat: the admin turns it on with `fake-model` on the admin page, a
// logged-out browser finds "Chat as a guest" on the login page, sends "hello guest" and sees
// "Hello! You said: hello guest" (its second message carries the first turn as history), also on
// a phone; turned off again, the guest page says so.
//
// Needs `ctx.providers` from providers.e2e.mjs (`user`, `providers.openai.model`); runs after it
// in one server run. Alone, with the suites it builds on:
//
//   FAKE_LLM_URL=http://127.0.0.1:PORT LLM_MANAGER_BIN=target/debug/llm-manager node web/e2e/chat.e2e.mjs
//
// Leaves on `ctx.chat`: `sessionId` (the "hello fox" conversation), `shareUrl` (revoked) and
// `imageSessionId` (the conversation with a picture). Guest chat is off again at the end.

import { readFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { assert, assertEqual, main, newContext, screenshot, text, watchErrors } from './harness.mjs';

const RENAMED = 'Fox greetings';
/** Markup and script URLs that must reach the page as text, never as elements or links. */
const XSS = '<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> [click me](javascript:window.__xss=3) <b>bold?</b>';
const PHONE = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const SESSION_PATH = /^\/chat\/[0-9a-f-]{36}$/;
/** The admin of accounts.e2e.mjs. */
const ADMIN = { username: 'admin', password: 'Admin passphrase 1' };

// ---------------------------------------------------------------------------------------------
// A small PNG made here (the server decodes and re-encodes what it is sent, so it must be real)

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A `size`×`size` RGB PNG: a diagonal gradient. */
export function makePng(size = 24) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < size; y += 1) {
    const row = Buffer.alloc(1 + size * 3); // filter byte 0, then pixels
    for (let x = 0; x < size; x += 1) row.set([Math.round((x / size) * 255), Math.round((y / size) * 255), 160], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

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

/** Waits until every image in `locator` has loaded with some pixels. */
async function waitForImages(locator) {
  await locator.first().waitFor();
  await locator.evaluateAll(
    (images) =>
      Promise.all(
        images.map((image) =>
          image.complete && image.naturalWidth > 0
            ? null
            : new Promise((resolve, reject) => {
                image.addEventListener('load', resolve, { once: true });
                image.addEventListener('error', () => reject(new Error(`the image ${image.src} did not load`)), { once: true });
              }),
        ),
      ),
  );
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
  ctx.chat = { sessionId: null, shareUrl: null, imageSessionId: null };

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
      name: 'the user attaches a PNG through the file chooser, sends it, and sees its thumbnail in the question',
      async run() {
        const { page } = state.user;
        const model = ctx.providers.providers?.openai?.model ?? 'fake-model';
        await page.goto(`${baseUrl}/chat`);
        await page.getByTestId('chat-welcome').waitFor();
        await pick(page, 'fox', model);

        const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('composer-attach').click()]);
        const [upload] = await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/files'),
          chooser.setFiles({ name: 'gradient.png', mimeType: 'image/png', buffer: makePng() }),
        ]);
        assertEqual(upload.status(), 201, 'POST /api/files');
        const stored = await upload.json();
        assert(/^[0-9a-f-]{36}$/.test(stored.id), `the upload answered no id: ${JSON.stringify(stored)}`);
        assertEqual(stored.mime, 'image/png', 'stored type');
        await page.locator(`[data-testid="attachment"][data-status="done"][data-id="${stored.id}"]`).waitFor();
        await waitForImages(page.getByTestId('attachment').locator('img'));

        const [chat] = await Promise.all([
          page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/llm/chat'),
          send(page, 'what is in this picture?'),
        ]);
        assertEqual(JSON.stringify(chat.postDataJSON().image_ids), JSON.stringify([stored.id]), 'image_ids of the message');
        await page.waitForURL((url) => SESSION_PATH.test(url.pathname));
        ctx.chat.imageSessionId = new URL(page.url()).pathname.split('/').pop();
        await waitForAnswerEnd(page);
        assertEqual(await page.getByTestId('attachment').count(), 0, 'attachments left in the composer after sending');

        const question = page.locator('[data-testid="message"][data-role="user"]').last();
        const thumbnail = question.getByTestId('message-image');
        assertEqual(await thumbnail.getAttribute('src'), `/api/files/${stored.id}`, 'thumbnail source');
        await waitForImages(thumbnail);
        const reply = (await lastAnswer(page).getByTestId('message-content').innerText()).trim();
        assert(reply.includes('You said: what is in this picture?'), `unexpected reply: ${JSON.stringify(reply)}`);
        await screenshot(page, 'chat-image-en.png');

        // Stored with the message: still there after a reload.
        await page.reload();
        await waitForImages(page.locator('[data-testid="message"][data-role="user"]').last().getByTestId('message-image'));
        assertNoErrors(state.user);
      },
    },
    {
      name: 'the admin turns guest chat on with fake-model on the admin page',
      async run() {
        const admin = await openBrowser('chat admin');
        state.admin = admin;
        const { page } = admin;
        await logIn(page, baseUrl, ADMIN.username, ADMIN.password);
        await page.goto(`${baseUrl}/admin/users`);
        await page.getByTestId('admin-tab-guest-chat').click();
        await page.waitForURL(`${baseUrl}/admin/guest-chat`);
        await page.getByTestId('admin-guest-chat').waitFor();
        const model = ctx.providers.providers?.openai?.model ?? 'fake-model';
        await page.locator(`[data-testid="guest-model"] option[value="${model}"]`).waitFor({ state: 'attached' });
        await page.getByTestId('guest-enabled').check();
        await page.getByTestId('guest-model').selectOption(model);
        const [saved] = await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === '/api/admin/guest-chat'),
          page.getByTestId('guest-save').click(),
        ]);
        assertEqual(saved.status(), 200, 'PUT /api/admin/guest-chat');
        await page.getByTestId('guest-saved').waitFor();
        await screenshot(page, 'admin-guest-chat-en.png');
        assertNoErrors(admin);
      },
    },
    {
      name: 'a logged-out browser chats as a guest: "hello guest" streams back, and the page sends its history',
      async run() {
        const guest = await openBrowser('guest');
        state.guest = guest;
        const { page } = guest;
        await page.goto(`${baseUrl}/login`);
        await page.getByTestId('login-guest').click();
        await page.waitForURL(`${baseUrl}/guest`);
        await page.getByTestId('guest-notice').waitFor();
        assertEqual(await text(page, 'guest-model'), `Model: ${ctx.providers.providers?.openai?.model ?? 'fake-model'}`, 'guest model line');
        assertEqual(await page.getByTestId('chat-sidebar').count(), 0, 'a conversation list for a guest');
        await page.locator('[data-testid="persona-pick"][data-persona="fox"]').click();

        const [first] = await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/llm/guest/chat'),
          page.getByTestId('composer-input').fill('hello guest').then(() => page.getByTestId('composer-input').press('Enter')),
        ]);
        assertEqual(first.status(), 200, 'POST /api/llm/guest/chat');
        assert((first.headers()['content-type'] ?? '').startsWith('text/event-stream'), 'the guest chat did not answer an event stream');
        await page.locator('[data-testid="message"][data-role="assistant"][data-status="complete"]').waitFor();
        const reply = (await lastAnswer(page).getByTestId('message-content').innerText()).trim();
        assertEqual(reply, 'Hello! You said: hello guest', 'the guest reply');

        const [second] = await Promise.all([
          page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/llm/guest/chat'),
          page.getByTestId('composer-input').fill('and again').then(() => page.getByTestId('composer-input').press('Enter')),
        ]);
        const body = second.postDataJSON();
        assertEqual(
          JSON.stringify(body.history),
          JSON.stringify([
            { role: 'user', content: 'hello guest' },
            { role: 'assistant', content: 'Hello! You said: hello guest' },
          ]),
          'history sent with the second message',
        );
        assertEqual(body.persona_id, 'fox', 'persona of the guest');
        await page.waitForFunction(() => document.querySelectorAll('[data-testid="message"][data-role="assistant"][data-status="complete"]').length === 2);
        assertEqual((await lastAnswer(page).getByTestId('message-content').innerText()).trim(), 'Hello! You said: and again', 'second guest reply');
        await screenshot(page, 'guest-chat-en.png');

        const phone = await openBrowser('guest phone', PHONE);
        await phone.page.goto(`${baseUrl}/guest`);
        await phone.page.getByTestId('guest-notice').waitFor();
        await phone.page.getByTestId('composer-input').fill('hello phone');
        await phone.page.getByTestId('composer-input').press('Enter');
        await phone.page.locator('[data-testid="message"][data-role="assistant"][data-status="complete"]').waitFor();
        await assertFits(phone.page, 'the guest chat');
        await screenshot(phone.page, 'guest-chat-phone.png');
        assertNoErrors(guest, phone);
      },
    },
    {
      name: 'turned off again, the guest page says so and cannot send',
      async run() {
        const { page } = state.admin;
        await page.getByTestId('guest-enabled').uncheck();
        const [saved] = await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === '/api/admin/guest-chat'),
          page.getByTestId('guest-save').click(),
        ]);
        assertEqual(saved.status(), 200, 'PUT /api/admin/guest-chat (off)');

        const { page: visitor } = state.guest;
        await visitor.goto(`${baseUrl}/guest`);
        await visitor.getByTestId('guest-disabled').waitFor();
        assert(await visitor.getByTestId('composer-input').isDisabled(), 'the message box of a disabled guest chat is enabled');
        await Promise.all([
          visitor.waitForResponse((r) => new URL(r.url()).pathname === '/api/llm/guest'),
          visitor.goto(`${baseUrl}/login`),
        ]);
        await visitor.getByTestId('login-page').waitFor();
        assertEqual(await visitor.getByTestId('login-guest').count(), 0, '"Chat as a guest" while guest chat is off');
        assertNoErrors(state.admin, state.guest);
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
