#!/usr/bin/env node
// End-to-end checks of account security against the real server, the whole story of a new
// user: register, verify the email from the outbox link, set an avatar, turn on two-factor
// login (codes computed here from the shown secret), log out and back in with a code, forget
// the password and reset it from the mailed link, then log in with a recovery code; finally the
// admin (made by the accounts suite) exports the users and deletes this one.
// Mails land in DATA_DIR/outbox because the test server has no SMTP_HOST.
// Run by status.e2e.mjs after the accounts suite, whose admin the last check uses:
//
//   LLM_MANAGER_BIN=target/debug/llm-manager node web/e2e/status.e2e.mjs

import { createHmac } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateSync } from 'node:zlib';
import { assert, assertEqual, main, newContext, screenshot, watchErrors } from './harness.mjs';

const ADMIN = { username: 'admin', password: 'Admin passphrase 1' };
const USER = { username: 'frank', email: 'frank@example.com', password: 'Frank first passphrase', newPassword: 'Frank reset passphrase' };

/** RFC 4648 base32 → bytes. */
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text.replace(/[\s=]/g, '').toUpperCase()) {
    const index = alphabet.indexOf(ch);
    if (index < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) for the time step `now + offset`. */
function totp(secret, offsetSteps = 0) {
  const step = Math.floor(Date.now() / 1000 / 30) + offsetSteps;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(code).padStart(6, '0');
}

/** A small solid-colour PNG, made here so the test needs no image file. */
function png(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0).fill(Buffer.from([30, 140, 200]))]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The path+query of the newest outbox link to `page` (e.g. `/verify-email?token=…`). */
async function mailedLink(ctx, page, to) {
  const dir = path.join(ctx.server.dataDir, 'outbox');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const names = (await readdir(dir).catch(() => [])).sort().reverse();
    for (const name of names) {
      // Undo quoted-printable soft breaks and `=3D` to read the link.
      const mail = (await readFile(path.join(dir, name), 'utf8')).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
      if (!mail.includes(`To: ${to}`)) continue;
      const match = mail.match(new RegExp(`https?://[^\\s"<>]+(/${page}\\?token=[A-Za-z0-9_-]+)`));
      if (match) return match[1];
    }
    assert(Date.now() < deadline, `no mail to ${to} with a /${page} link in ${dir}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function logIn(page, baseUrl, username, password) {
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

async function logOut(page) {
  await page.getByTestId('user-menu').click();
  await page.getByTestId('menu-logout').click();
  await page.getByTestId('login-page').waitFor();
}

/** The checks; they run in order and share `ctx.security`. */
export function defineSecurityChecks(ctx) {
  const { baseUrl } = ctx;
  const state = (ctx.security = {});

  return [
    {
      name: 'a new user verifies their email from the outbox link',
      async run() {
        const context = await newContext(ctx.browser);
        const page = await context.newPage();
        state.context = context;
        state.page = page;
        state.errors = watchErrors(page, { allow: [/status of 401/] });
        await page.goto(`${baseUrl}/register`);
        await page.getByTestId('register-username').fill(USER.username);
        await page.getByTestId('register-email').fill(USER.email);
        await page.getByTestId('register-password').fill(USER.password);
        await page.getByTestId('register-confirm').fill(USER.password);
        await page.getByTestId('register-submit').click();
        await page.getByTestId('user-menu').waitFor();
        await page.goto(`${baseUrl}/settings/profile`);
        await page.getByTestId('verify-banner').waitFor();
        await page.goto(`${baseUrl}${await mailedLink(ctx, 'verify-email', USER.email)}`);
        await page.getByTestId('verify-done').waitFor();
        await page.goto(`${baseUrl}/settings/profile`);
        await page.getByTestId('profile-form').waitFor();
        assert(!(await page.getByTestId('verify-banner').isVisible()), 'the unverified banner is still shown');
      },
    },
    {
      name: 'the user uploads an avatar and sees it re-encoded',
      async run() {
        const { page } = state;
        await page.getByTestId('avatar-input').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png(640, 480) });
        await page.getByTestId('avatar-done').waitFor();
        const img = page.getByTestId('avatar-section').getByTestId('avatar-image');
        await img.waitFor();
        const size = await img.evaluate((el) => [el.naturalWidth, el.naturalHeight]);
        assertEqual(size.join('x'), '480x480', 'stored avatar size');
      },
    },
    {
      name: 'two-factor setup shows a QR code and a secret; a code from it turns 2FA on',
      async run() {
        const { page } = state;
        await page.goto(`${baseUrl}/settings/security`);
        await page.getByTestId('twofa-setup').click();
        await page.getByTestId('twofa-qr').waitFor();
        const qrSrc = await page.getByTestId('twofa-qr').getAttribute('src');
        assert(qrSrc?.startsWith('data:image/svg+xml'), `QR code is not an image: ${qrSrc?.slice(0, 40)}`);
        state.secret = (await page.getByTestId('twofa-secret').innerText()).trim();
        await page.getByTestId('twofa-code').fill(totp(state.secret, 0));
        await page.getByTestId('twofa-enable').click();
        await page.getByTestId('recovery-codes').waitFor();
        state.recovery = (await page.getByTestId('recovery-codes').innerText()).match(/[a-z0-9]{4}-[a-z0-9]{4}/g) ?? [];
        assertEqual(state.recovery.length, 10, 'recovery codes shown');
        await screenshot(page, 'twofa-recovery-en.png');
        await page.getByTestId('recovery-done').click();
        await page.getByTestId('twofa-status').waitFor();
      },
    },
    {
      name: 'after logging out, login asks for the code and accepts the next one',
      async run() {
        const { page } = state;
        await logOut(page);
        await logIn(page, baseUrl, USER.username, USER.password);
        await page.getByTestId('login-2fa').waitFor();
        // The code used to enable is spent; the next time step's code is valid now.
        await page.getByTestId('login-code').fill(totp(state.secret, 1));
        await page.getByTestId('login-verify').click();
        await page.getByTestId('user-menu').waitFor();
      },
    },
    {
      name: 'a forgotten password is reset from the mailed link; a recovery code completes the login',
      async run() {
        const { page } = state;
        await logOut(page);
        await page.getByTestId('login-forgot').click();
        await page.getByTestId('forgot-email').fill(USER.email);
        await page.getByTestId('forgot-submit').click();
        await page.getByTestId('forgot-sent').waitFor();
        await page.goto(`${baseUrl}${await mailedLink(ctx, 'reset-password', USER.email)}`);
        await page.getByTestId('reset-password').fill(USER.newPassword);
        await page.getByTestId('reset-confirm').fill(USER.newPassword);
        await page.getByTestId('reset-submit').click();
        await page.getByTestId('reset-done').waitFor();
        await logIn(page, baseUrl, USER.username, USER.password);
        await page.getByTestId('login-error').waitFor();
        await logIn(page, baseUrl, USER.username, USER.newPassword);
        await page.getByTestId('login-2fa').waitFor();
        await page.getByTestId('login-code').fill(state.recovery[0]);
        await page.getByTestId('login-verify').click();
        await page.getByTestId('user-menu').waitFor();
        assert(state.errors.length === 0, state.errors.join('\n'));
        await state.context.close();
      },
    },
    {
      name: 'the admin exports users as CSV and deletes the user, whose name is then free',
      async run() {
        const context = await newContext(ctx.browser, { acceptDownloads: true });
        const page = await context.newPage();
        const errors = watchErrors(page);
        await logIn(page, baseUrl, ADMIN.username, ADMIN.password);
        await page.getByTestId('user-menu').waitFor();
        await page.goto(`${baseUrl}/admin/users`);
        const row = page.locator(`[data-testid="user-row"][data-username="${USER.username}"]`);
        await row.waitFor();
        const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('users-export-csv').click()]);
        const csv = await readFile(await download.path(), 'utf8');
        assert(csv.startsWith('id,username,email,'), `export is not the users CSV: ${csv.slice(0, 60)}`);
        assert(csv.includes(USER.email), 'the export lacks the user');
        assert(!csv.includes('argon2'), 'the export holds a password hash');
        await row.getByTestId('user-delete').click();
        await page.getByTestId('delete-dialog-confirm').click();
        await row.waitFor({ state: 'detached' });
        const check = await fetch(`${baseUrl}/api/auth/register`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ username: USER.username, email: USER.email, password: USER.password }),
        });
        assertEqual(check.status, 201, 'registering the deleted name again');
        assert(errors.length === 0, errors.join('\n'));
        await context.close();
      },
    },
    {
      name: 'the admin makes registration invite-only; a visitor registers with the invitation link',
      async run() {
        const admin = await newContext(ctx.browser);
        const page = await admin.newPage();
        const errors = watchErrors(page);
        await logIn(page, baseUrl, ADMIN.username, ADMIN.password);
        await page.getByTestId('user-menu').waitFor();
        await page.goto(`${baseUrl}/admin/registration`);
        await page.getByTestId('registration-mode').selectOption('invite_only');
        await page.getByTestId('registration-saved').waitFor();
        await page.getByTestId('invite-email').fill('gina@example.com');
        await page.getByTestId('invite-create').click();
        const link = new URL((await page.getByTestId('invite-link').innerText()).trim());
        await screenshot(page, 'admin-registration-en.png');

        const visitor = await newContext(ctx.browser);
        const vpage = await visitor.newPage();
        const verrors = watchErrors(vpage);
        await vpage.goto(`${baseUrl}${link.pathname}${link.search}`);
        await vpage.getByTestId('register-invite').waitFor();
        await vpage.getByTestId('register-username').fill('gina');
        await vpage.getByTestId('register-email').fill('gina@example.com');
        await vpage.getByTestId('register-password').fill('Gina first passphrase');
        await vpage.getByTestId('register-confirm').fill('Gina first passphrase');
        await vpage.getByTestId('register-submit').click();
        await vpage.getByTestId('user-menu').waitFor();

        await page.getByTestId('registration-mode').selectOption('open');
        await page.getByTestId('registration-saved').waitFor();
        assert(errors.length === 0 && verrors.length === 0, [...errors, ...verrors].join('\n'));
        await Promise.all([admin.close(), visitor.close()]);
      },
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { defineAccountChecks } = await import('./accounts.e2e.mjs');
  main([defineAccountChecks, defineSecurityChecks]);
}
