/// <reference types="vitest/config" />
// Build of the web UI embedded in the LLM Manager server: two pages (the SPA and the offline API
// docs), hashed assets under `assets/`, and a dev server that proxies the API to a local server.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type ProxyOptions } from 'vite';
import { docsRoute } from './plugins/docsRoute.ts';
import { themeBootScript } from './plugins/themeBootScript.ts';

/** Where `npm run dev` sends API calls; override with LLM_MANAGER_DEV_API. */
const apiTarget = process.env.LLM_MANAGER_DEV_API ?? 'http://127.0.0.1:8080';

/** Paths served by the Rust server rather than by the SPA (keys starting with ^ are regexes). */
const proxy: Record<string, ProxyOptions> = {
  '^/(api|v1)(/|$)': { target: apiTarget, ws: true },
  '^/(health|ready|metrics)$': { target: apiTarget },
};

const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export default defineConfig({
  base: '/',
  plugins: [react(), themeBootScript(['index.html']), docsRoute()],
  build: {
    // No data: URIs, so a strict Content-Security-Policy (img-src 'self') keeps working.
    assetsInlineLimit: 0,
    // The Swagger UI bundle alone is ~1.7 MB; it is only loaded by the docs page.
    chunkSizeWarningLimit: 2500,
    rolldownOptions: {
      input: { index: page('./index.html'), docs: page('./docs.html') },
    },
  },
  server: { proxy },
  preview: { proxy },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['./src/test/setup.ts'],
    restoreMocks: true,
    unstubGlobals: true,
  },
});
