#!/usr/bin/env node
// End-to-end check of models and downloads, as the new user tries them: the admin
// searches the fake hub (FAKE_HUB_URL, the server's HF_ENDPOINT), opens a repository, picks the
// Q4_K_M file, starts the download, watches it move, pauses and resumes it, the server is killed
// with `kill -9` and started again, and the download continues from where it was and finishes
// verified; the model is then listed with its architecture and quantisation. Needs the admin of
// accounts.e2e.mjs.

import { pathToFileURL } from 'node:url';
import { assert, assertEqual, main, newContext, screenshot, watchErrors } from './harness.mjs';

const ADMIN = { username: 'admin', password: 'Admin passphrase 1' };

async function logIn(page, baseUrl) {
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId('login-username').fill(ADMIN.username);
  await page.getByTestId('login-password').fill(ADMIN.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-menu').waitFor();
}

/** The download row's bytes on disk, read from its progress bar (percent). */
async function percent(row) {
  return Number(await row.getByTestId('download-progress').getAttribute('value'));
}

export function defineModelChecks(ctx) {
  return [
    {
      name: 'the admin downloads a Q4_K_M GGUF from the hub, pauses, resumes, survives kill -9 and sees it verified and listed',
      async run() {
        assert(process.env.FAKE_HUB_URL, 'FAKE_HUB_URL is not set');
        const context = await newContext(ctx.browser);
        try {
          const page = await context.newPage();
          // While the server is down, the page's requests fail and the event stream reconnects.
          const errors = watchErrors(page, { allow: [/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|Failed to load resource|ERR_INCOMPLETE_CHUNKED_ENCODING/] });
          await logIn(page, ctx.baseUrl);
          await page.getByTestId('nav-admin').click().catch(() => page.goto(`${ctx.baseUrl}/admin`));
          await page.goto(`${ctx.baseUrl}/admin/models`);
          await page.getByTestId('models-page').waitFor();
          await page.getByTestId('hub-source').selectOption('huggingface');
          await page.getByTestId('hub-query').fill('tiny');
          await page.getByTestId('hub-search-submit').click();
          const hit = page.locator('[data-testid="hub-hit"][data-id="acme/Tiny-GGUF"]');
          await hit.waitFor();
          await hit.getByTestId('hub-open').click();
          const q4 = page.locator('[data-testid="quant-group"][data-quant="Q4_K_M"]');
          await q4.waitFor();
          assert((await q4.textContent()).includes('MB'), 'the Q4_K_M group shows no size');
          await page.locator('[data-testid="quant-group"][data-quant="Q8_0"]').waitFor();
          await q4.getByTestId('quant-download').click();
          await page.getByTestId('download-started').waitFor();
          const row = page.getByTestId('download-row').first();
          await page.waitForFunction(() => {
            const bar = document.querySelector('[data-testid="download-row"] [data-testid="download-progress"]');
            return bar && Number(bar.getAttribute('value')) > 0;
          });
          assert((await row.getByTestId('download-figures').textContent()).includes('/s'), 'no speed is shown');
          await screenshot(page, 'models-downloading.png');

          await row.getByTestId('download-pause').click();
          await page.locator('[data-testid="download-row"][data-status="paused"]').waitFor();
          const pausedAt = await percent(row);
          await row.getByTestId('download-resume').click();
          await page.waitForFunction((at) => {
            const bar = document.querySelector('[data-testid="download-row"] [data-testid="download-progress"]');
            return bar && Number(bar.getAttribute('value')) > at + 5;
          }, pausedAt);
          const beforeKill = await percent(row);
          assert(beforeKill < 100, 'the download finished before the server could be killed');

          await ctx.killAndRestart();
          await page.reload();
          const after = page.getByTestId('download-row').first();
          await after.waitFor();
          const resumedAt = await percent(after);
          assert(resumedAt >= beforeKill - 30, `the download went back from ${beforeKill}% to ${resumedAt}%`);
          await page.locator('[data-testid="download-row"][data-status="completed"]').waitFor({ timeout: 60_000 });
          assertEqual(await percent(after), 100, 'progress at the end');
          const model = page.getByTestId('local-model').first();
          await model.waitFor();
          assertEqual((await model.getByTestId('local-quant').textContent()).trim(), 'Q4_K_M', 'quantisation');
          assert((await model.getByTestId('local-arch').textContent()).includes('llama'), 'architecture');
          await screenshot(page, 'models-completed.png');
          assert(errors.every((e) => !e.startsWith('page error')), errors.join('\n'));
        } finally {
          await context.close();
        }
      },
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main([defineModelChecks]);
}
