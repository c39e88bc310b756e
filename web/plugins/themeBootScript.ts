// Vite plugin that loads `src/theme/boot.js` as a blocking, external, content-hashed classic
// script at the top of the SPA's <head>, so the stored theme is on <html> before the first paint
// (no flash) without any inline script that a strict Content-Security-Policy would block.
// Module scripts are deferred, so the theme module alone would run too late to be sure.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

const SOURCE = fileURLToPath(new URL('../src/theme/boot.js', import.meta.url));
/** Dev-server URL of the source file (Vite serves files under the project root as they are). */
const DEV_URL = '/src/theme/boot.js';

/** Injects the theme boot script into the pages named in `pages` (HTML file names). */
export function themeBootScript(pages: readonly string[] = ['index.html']): Plugin {
  let code = '';
  let fileName = '';
  let base = '/';

  return {
    name: 'llm-manager:theme-boot-script',
    configResolved(config) {
      base = config.base;
    },
    buildStart() {
      code = readFileSync(SOURCE, 'utf8');
      const hash = createHash('sha256').update(code).digest('hex').slice(0, 8);
      fileName = `assets/theme-boot-${hash}.js`;
      this.addWatchFile(SOURCE);
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName, source: code });
    },
    transformIndexHtml(_html, ctx) {
      if (!pages.includes(basename(ctx.filename))) return;
      const src = ctx.server ? DEV_URL : `${base}${fileName}`;
      return [{ tag: 'script', attrs: { src }, injectTo: 'head-prepend' }];
    },
  };
}
