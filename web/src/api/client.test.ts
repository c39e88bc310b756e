import { describe, expect, it, vi } from 'vitest';
import { ApiError, apiGet, apiSend, apiUpload, onUnauthorized, readCookie } from './client.ts';
import { getReadiness, getSystemInfo } from './system.ts';
import { CSRF, NOT_READY, SYSTEM_INFO, errorResponse, jsonResponse, mockFetch, setSessionCookie } from '../test/helpers.tsx';

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('expected the call to fail');
}

describe('apiGet / apiSend', () => {
  it('returns the JSON body and sends same-origin credentials', async () => {
    const fetchMock = mockFetch({ '/api/system/info': () => jsonResponse(SYSTEM_INFO) });

    const info = await getSystemInfo();

    expect(info).toEqual(SYSTEM_INFO);
    const [path, init] = fetchMock.mock.calls[0]!;
    expect(path).toBe('/api/system/info');
    expect(init?.method).toBe('GET');
    expect(init?.credentials).toBe('same-origin');
    expect(init?.body).toBeUndefined();
    expect((init?.headers as Record<string, string>).Accept).toBe('application/json');
  });

  it('sends a JSON body with its content type', async () => {
    const fetchMock = mockFetch({ '/api/things': () => jsonResponse({ id: 7 }, 201) });

    const created = await apiSend<{ id: number }>('POST', '/api/things', { name: 'x' });

    expect(created).toEqual({ id: 7 });
    const init = fetchMock.mock.calls[0]![1]!;
    expect(init.method).toBe('POST');
    expect(init.body).toBe('{"name":"x"}');
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
  });

  it('returns undefined for 204 No Content', async () => {
    mockFetch({ '/api/things/1': () => new Response(null, { status: 204 }) });
    await expect(apiSend('DELETE', '/api/things/1')).resolves.toBeUndefined();
  });

  it('parses the error envelope with details and the request id', async () => {
    const envelope = {
      error: { code: 'validation_failed', message: 'name is required', details: { fields: { name: 'is required' } } },
    };
    mockFetch({ '/api/things': () => jsonResponse(envelope, 422, 'req-42') });

    const error = await rejection(apiSend('POST', '/api/things', {}));

    expect(error.status).toBe(422);
    expect(error.code).toBe('validation_failed');
    expect(error.message).toBe('name is required');
    expect(error.details).toEqual({ fields: { name: 'is required' } });
    expect(error.requestId).toBe('req-42');
  });

  it('keeps null details as null', async () => {
    mockFetch({
      '/api/nope': () => jsonResponse({ error: { code: 'not_found', message: 'no such thing', details: null } }, 404, 'req-7'),
    });

    const error = await rejection(apiGet('/api/nope'));

    expect(error).toMatchObject({ status: 404, code: 'not_found', message: 'no such thing', details: null, requestId: 'req-7' });
  });

  it('turns a non-JSON error body into http_<status>', async () => {
    mockFetch({
      '/api/system/info': () =>
        new Response('<html>Bad Gateway</html>', {
          status: 502,
          statusText: 'Bad Gateway',
          headers: { 'Content-Type': 'text/html', 'X-Request-Id': 'req-proxy' },
        }),
    });

    const error = await rejection(getSystemInfo());

    expect(error.status).toBe(502);
    expect(error.code).toBe('http_502');
    expect(error.message).toBe('HTTP 502 Bad Gateway');
    expect(error.details).toBeNull();
    expect(error.requestId).toBe('req-proxy');
  });

  it('turns JSON that is not an envelope into http_<status>', async () => {
    mockFetch({ '/api/x': () => jsonResponse({ detail: 'nope' }, 500) });
    const error = await rejection(apiGet('/api/x'));
    expect(error.code).toBe('http_500');
  });

  it('rejects a success whose body is not JSON as invalid_response', async () => {
    mockFetch({ '/api/x': () => new Response('<html></html>', { status: 200, headers: { 'Content-Type': 'text/html' } }) });
    const error = await rejection(apiGet('/api/x'));
    expect(error.code).toBe('invalid_response');
    expect(error.status).toBe(200);
  });

  it('turns a network failure into network_error with status 0', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));

    const error = await rejection(apiGet('/api/system/info'));

    expect(error.status).toBe(0);
    expect(error.code).toBe('network_error');
    expect(error.message).toBe('Failed to fetch');
    expect(error.requestId).toBeNull();
  });

  it('lets an abort through as an AbortError, not an ApiError', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => Promise.reject(new DOMException('The operation was aborted.', 'AbortError'))),
    );
    const promise = apiGet('/api/system/info', { signal: AbortSignal.abort() });
    await expect(promise).rejects.toMatchObject({ name: 'AbortError' });
    await expect(promise).rejects.not.toBeInstanceOf(ApiError);
  });
});

describe('getReadiness', () => {
  it('resolves a 503 "not ready" answer with its checks', async () => {
    mockFetch({ '/ready': () => jsonResponse(NOT_READY, 503) });

    const readiness = await getReadiness();

    expect(readiness.status).toBe('not_ready');
    expect(readiness.checks).toEqual({ database: 'error', migrations: 'pending', redis: 'ok' });
  });

  it('fails on a 503 that is not a readiness body', async () => {
    mockFetch({
      '/ready': () => new Response('Service Unavailable', { status: 503, headers: { 'Content-Type': 'text/plain' } }),
    });
    const error = await rejection(getReadiness());
    expect(error.code).toBe('http_503');
  });

  it('does not accept other error statuses as readiness', async () => {
    mockFetch({ '/ready': () => jsonResponse(NOT_READY, 500) });
    const error = await rejection(getReadiness());
    expect(error.status).toBe(500);
  });
});

describe('CSRF token', () => {
  const headersOf = (fetchMock: ReturnType<typeof mockFetch>, index = 0) =>
    fetchMock.mock.calls[index]![1]!.headers as Record<string, string>;

  it('sends X-CSRF-Token from the llmm_csrf cookie on every method but GET', async () => {
    setSessionCookie();
    const fetchMock = mockFetch({ '/api/things': () => new Response(null, { status: 204 }) });

    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      await apiSend(method, '/api/things', method === 'DELETE' ? undefined : { x: 1 });
    }
    await apiGet('/api/things').catch(() => {});

    for (let index = 0; index < 4; index += 1) {
      expect(headersOf(fetchMock, index)['X-CSRF-Token']).toBe(CSRF);
    }
    expect(headersOf(fetchMock, 4)['X-CSRF-Token']).toBeUndefined();
  });

  it('reads the cookie at each request, among other cookies and URL-encoded', async () => {
    document.cookie = 'other=1; path=/';
    setSessionCookie('first');
    const fetchMock = mockFetch({ '/api/things': () => new Response(null, { status: 204 }) });

    await apiSend('POST', '/api/things');
    setSessionCookie('a%2Fb%3D');
    await apiSend('POST', '/api/things');

    expect(headersOf(fetchMock, 0)['X-CSRF-Token']).toBe('first');
    expect(headersOf(fetchMock, 1)['X-CSRF-Token']).toBe('a/b=');
    expect(readCookie('other')).toBe('1');
    expect(readCookie('missing')).toBeNull();
  });

  it('sends no header without the cookie', async () => {
    const fetchMock = mockFetch({ '/api/things': () => new Response(null, { status: 204 }) });
    await apiSend('POST', '/api/things', {});
    expect(headersOf(fetchMock)).not.toHaveProperty('X-CSRF-Token');
  });

  it('uploads multipart with the CSRF header and without setting Content-Type', async () => {
    setSessionCookie();
    const fetchMock = mockFetch({ '/api/auth/avatar': () => jsonResponse({ ok: true }) });
    const form = new FormData();
    form.append('file', new File(['png'], 'a.png', { type: 'image/png' }));

    await apiUpload('/api/auth/avatar', form);

    const init = fetchMock.mock.calls[0]![1]!;
    expect(init.method).toBe('POST');
    expect(init.body).toBe(form);
    expect(headersOf(fetchMock)['X-CSRF-Token']).toBe(CSRF);
    expect(headersOf(fetchMock)).not.toHaveProperty('Content-Type');
  });
});

describe('retry and session errors', () => {
  it('reads the wait of a 429 from Retry-After, else from details.retry_after_secs', async () => {
    mockFetch({
      '/api/a': () => errorResponse(429, 'rate_limited', 'slow down', { retry_after_secs: 9 }, { 'Retry-After': '42' }),
      '/api/b': () => errorResponse(429, 'rate_limited', 'slow down', { retry_after_secs: 9 }),
      '/api/c': () => errorResponse(429, 'rate_limited', 'slow down'),
    });

    expect((await rejection(apiGet('/api/a'))).retryAfterSecs).toBe(42);
    expect((await rejection(apiGet('/api/b'))).retryAfterSecs).toBe(9);
    expect((await rejection(apiGet('/api/c'))).retryAfterSecs).toBeNull();
  });

  it('exposes validation fields', async () => {
    mockFetch({ '/api/a': () => errorResponse(422, 'validation_failed', 'bad', { fields: { email: 'is taken', n: 3 } }) });
    expect((await rejection(apiGet('/api/a'))).fields).toEqual({ email: 'is taken' });
  });

  it('tells the unauthorized listeners about a 401, unless the call expects one', async () => {
    mockFetch({ '/api/a': () => errorResponse(401, 'unauthorized', 'your session has ended') });
    const listener = vi.fn();
    const stop = onUnauthorized(listener);

    await rejection(apiGet('/api/a'));
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener.mock.calls[0]![0]).toMatchObject({ status: 401, message: 'your session has ended' });

    await rejection(apiGet('/api/a', { expectUnauthorized: true }));
    expect(listener).toHaveBeenCalledTimes(1);

    stop();
    await rejection(apiGet('/api/a'));
    expect(listener).toHaveBeenCalledTimes(1);
  });
});
