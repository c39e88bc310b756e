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

/** A JSON error envelope response. */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  details: unknown = null,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ error: { code, message, details } }), {
    status,
    headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'req-test-err', ...headers },
  });
}

/** A 204 No Content (or other empty) response. */
export function emptyResponse(status = 204): Response {
  return new Response(null, { status });
}

export const USER = {
  id: '0190a0c0-0000-7000-8000-000000000002',
  username: 'alice',
  email: 'alice@example.com',
  email_verified: true,
  role: 'user',
  is_active: true,
  display_name: 'Alice Liddell',
  bio: null,
  language: 'en',
  timezone: 'Europe/London',
  created_at: '2026-11-01T08:30:00Z',
  last_login_at: '2026-11-21T21:00:00Z',
  avatar_url: null,
  two_factor_enabled: false,
  permissions: [] as string[],
};

export const ADMIN = {
  ...USER,
  id: '0190a0c0-0000-7000-8000-000000000001',
  username: 'root',
  email: 'root@example.com',
  display_name: null,
  role: 'admin',
};

/** The CSRF token the tests' sessions carry in the `llmm_csrf` cookie. */
export const CSRF = 'csrf-test-token';

/** Pretends the browser holds a cookie session (the CSRF cookie is what the app can see). */
export function setSessionCookie(token = CSRF): void {
  document.cookie = `llmm_csrf=${token}; path=/`;
}

type ApiHandler = (request: { init: RequestInit | undefined; url: URL; body: unknown }) => Response | Promise<Response>;

/**
 * Replaces global fetch with one that answers `"METHOD /path"` routes (the query string is not
 * part of the key; handlers get the URL). Unknown routes get a 404 envelope.
 */
export function mockApi(handlers: Record<string, ApiHandler>) {
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const raw = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const url = new URL(raw, 'http://localhost');
    const method = (init?.method ?? 'GET').toUpperCase();
    const handler = handlers[`${method} ${url.pathname}`];
    if (!handler) {
      return errorResponse(404, 'not_found', `no route ${method} ${url.pathname}`);
    }
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : init?.body;
    return handler({ init, url, body });
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

/** The calls of `fetchMock` to `METHOD /path`, with their parsed JSON bodies and headers. */
export function callsTo(fetchMock: ReturnType<typeof mockApi>, route: string) {
  const [method, path] = route.split(' ');
  return fetchMock.mock.calls
    .filter(([input, init]) => {
      const raw = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      return (init?.method ?? 'GET').toUpperCase() === method && new URL(raw, 'http://localhost').pathname === path;
    })
    .map(([input, init]) => {
      const raw = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      return {
        url: new URL(raw, 'http://localhost'),
        headers: (init?.headers ?? {}) as Record<string, string>,
        body: typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : init?.body,
      };
    });
}

/** Routes of a logged-in session of `user` plus the status page's calls. */
export function sessionRoutes(user: unknown = USER): Record<string, ApiHandler> {
  return {
    'GET /api/auth/profile': () => jsonResponse(user),
    'POST /api/auth/logout': () => emptyResponse(),
    'GET /api/system/info': () => jsonResponse(SYSTEM_INFO),
    'GET /ready': () => jsonResponse(READY),
  };
}
