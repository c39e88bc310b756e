// Test helpers: render the real route table in a memory router, and fake the server's answers.
import { render } from '@testing-library/react';
import { RouterProvider, createMemoryRouter } from 'react-router';
import { vi } from 'vitest';
import '../i18n/index.ts';
import { routes } from '../routes.tsx';

/** Renders the app at `path` and returns the router so tests can read the location. */
export function renderApp(path: string) {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const result = render(<RouterProvider router={router} />);
  return { ...result, router };
}

/** A JSON response like the server sends, with a request id header. */
export function jsonResponse(body: unknown, status = 200, requestId = 'req-test-1'): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', 'X-Request-Id': requestId },
  });
}

export const SYSTEM_INFO = {
  name: 'LLM Manager',
  version: '0.1.0',
  database_backend: 'sqlite',
  redis_configured: false,
  started_at: '2026-11-21T22:00:00Z',
  installed_at: '2026-11-01T08:30:00Z',
  uptime_seconds: 3725,
};

export const READY = {
  status: 'ready',
  checks: { database: 'ok', migrations: 'ok', redis: 'disabled' },
};

export const NOT_READY = {
  status: 'not_ready',
  checks: { database: 'error', migrations: 'pending', redis: 'ok' },
};

type Handler = (init: RequestInit | undefined) => Response | Promise<Response>;

/**
 * Replaces global fetch with one that answers by path; unknown paths get a 404 envelope.
 * Returns the mock so tests can count and inspect calls.
 */
export function mockFetch(handlers: Record<string, Handler>) {
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const path = new URL(url, 'http://localhost').pathname;
    const handler = handlers[path];
    if (!handler) {
      return jsonResponse({ error: { code: 'not_found', message: `no route ${path}`, details: null } }, 404);
    }
    return handler(init);
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

/** Fetch answering the System Status page's two calls. */
export function mockStatusServer(info: unknown = SYSTEM_INFO, ready: unknown = READY, readyStatus = 200) {
  return mockFetch({
    '/api/system/info': () => jsonResponse(info),
    '/ready': () => jsonResponse(ready, readyStatus),
  });
}
