// Typed fetch wrapper for the LLM Manager API (same origin, cookie credentials, JSON in and out).
// Every failure becomes an ApiError: the server's error envelope
// `{"error":{"code","message","details"}}` when there is one, `http_<status>` for an error
// without it, `network_error` when no response arrived and `invalid_response` for a success
// whose body is not the JSON we asked for. An aborted request rejects with the AbortError as is.
//
// Cookie sessions: every request other than GET/HEAD carries the session's CSRF token, read from
// the `llmm_csrf` cookie, in `X-CSRF-Token`. A 401 is reported to the `onUnauthorized`
// listeners (the auth state drops to logged out) unless the call expects one (a wrong password).

/** Error of an API call, with what the server said about it. */
export class ApiError extends Error {
  /** HTTP status, or 0 when no response arrived. */
  readonly status: number;
  /** Machine-readable code: the envelope's, or `network_error` / `http_<status>` / `invalid_response`. */
  readonly code: string;
  /** The envelope's `details` (e.g. `{ fields: { name: "is required" } }`), else null. */
  readonly details: unknown;
  /** The `X-Request-Id` response header, to quote in a bug report. */
  readonly requestId: string | null;
  /**
   * Seconds to wait before retrying (429): the `Retry-After` header, else
   * `details.retry_after_secs`, else null.
   */
  readonly retryAfterSecs: number | null;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    details?: unknown;
    requestId?: string | null;
    retryAfterSecs?: number | null;
  }) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? null;
    this.requestId = init.requestId ?? null;
    this.retryAfterSecs = init.retryAfterSecs ?? retryAfterFromDetails(this.details);
  }

  /** `details.fields` of a validation error (field name → problem), or an empty object. */
  get fields(): Record<string, string> {
    const fields = (this.details as { fields?: unknown } | null)?.fields;
    if (typeof fields !== 'object' || fields === null) return {};
    return Object.fromEntries(
      Object.entries(fields).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
  }
}

function retryAfterFromDetails(details: unknown): number | null {
  const value = (details as { retry_after_secs?: unknown } | null)?.retry_after_secs;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.ceil(value) : null;
}

/** Seconds from a `Retry-After` header: delay-seconds or an HTTP date. */
function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

/** Methods that send a body. */
export type SendMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Options of one call. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** Non-2xx statuses whose JSON body is a normal answer (e.g. 503 from `/ready`). */
  acceptStatuses?: readonly number[];
  /**
   * A 401 is an answer of this call (wrong password, expired 2FA challenge), not a sign that the
   * session ended: the `onUnauthorized` listeners are not told.
   */
  expectUnauthorized?: boolean;
}

const REQUEST_ID_HEADER = 'X-Request-Id';
/** JS-readable cookie in which the server puts the session's CSRF token. */
export const CSRF_COOKIE = 'llmm_csrf';
/** Header the server expects the CSRF token in on state-changing requests. */
export const CSRF_HEADER = 'X-CSRF-Token';

/** Value of cookie `name` in `document.cookie`, or null. */
export function readCookie(name: string): string | null {
  if (typeof document === 'undefined') return null;
  for (const part of document.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return null;
}

/** Whether the browser holds a session's CSRF cookie (set and cleared with the session cookie). */
export function hasSessionHint(): boolean {
  return Boolean(readCookie(CSRF_COOKIE));
}

/** Forgets the CSRF cookie of a session the server no longer knows. */
export function clearSessionHint(): void {
  if (typeof document !== 'undefined') document.cookie = `${CSRF_COOKIE}=; Max-Age=0; Path=/; SameSite=Strict`;
}

type UnauthorizedListener = (error: ApiError) => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Calls `listener` on every unexpected 401; returns the function that unsubscribes it. */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => {
    unauthorizedListeners.delete(listener);
  };
}

function reportUnauthorized(error: ApiError, options: RequestOptions): ApiError {
  if (error.status === 401 && !options.expectUnauthorized) {
    for (const listener of [...unauthorizedListeners]) listener(error);
  }
  return error;
}

interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown };
}

function isErrorEnvelope(body: unknown): body is ErrorEnvelope {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = (body as { error: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

function isJson(response: Response): boolean {
  const type = response.headers.get('Content-Type') ?? '';
  return /^application\/([\w.+-]*\+)?json\b/i.test(type.trim());
}

type Body = { kind: 'empty' } | { kind: 'json'; value: unknown } | { kind: 'other' };

async function readBody(response: Response): Promise<Body> {
  const text = await response.text();
  if (text.trim() === '') return { kind: 'empty' };
  if (!isJson(response)) return { kind: 'other' };
  try {
    return { kind: 'json', value: JSON.parse(text) as unknown };
  } catch {
    return { kind: 'other' };
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

function httpError(response: Response, requestId: string | null): ApiError {
  return new ApiError({
    status: response.status,
    code: `http_${response.status}`,
    message: `HTTP ${response.status} ${response.statusText}`.trim(),
    requestId,
    retryAfterSecs: parseRetryAfter(response.headers.get('Retry-After')),
  });
}

/** Headers, credentials and body of a call; state-changing methods carry the CSRF token. */
function requestInit(method: string, body: unknown, options: RequestOptions, extraHeaders: Record<string, string>): RequestInit {
  const headers: Record<string, string> = { Accept: 'application/json', ...extraHeaders };
  const init: RequestInit = { method, headers, credentials: 'same-origin', signal: options.signal };
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = readCookie(CSRF_COOKIE);
    if (csrf) headers[CSRF_HEADER] = csrf;
  }
  if (body instanceof FormData) {
    // The browser sets multipart/form-data with its boundary itself.
    init.body = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return init;
}

/** `fetch` that turns a failure to get any response into an ApiError (an abort stays as is). */
async function send(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, init);
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError({ status: 0, code: 'network_error', message: errorText(error) });
  }
}

/** The ApiError of a non-2xx answer whose body is `parsed`. */
function failure(response: Response, parsed: Body, requestId: string | null, options: RequestOptions): ApiError {
  if (parsed.kind === 'json' && isErrorEnvelope(parsed.value)) {
    const { code, message, details } = parsed.value.error;
    const retryAfterSecs = parseRetryAfter(response.headers.get('Retry-After'));
    return reportUnauthorized(new ApiError({ status: response.status, code, message, details, requestId, retryAfterSecs }), options);
  }
  return reportUnauthorized(httpError(response, requestId), options);
}

async function readBodyOf(response: Response, requestId: string | null): Promise<Body> {
  try {
    return await readBody(response);
  } catch (error) {
    // The connection broke while the body was being read.
    if (isAbort(error)) throw error;
    throw new ApiError({ status: response.status, code: 'network_error', message: errorText(error), requestId });
  }
}

async function request<T>(method: string, path: string, body: unknown, options: RequestOptions): Promise<T> {
  const response = await send(path, requestInit(method, body, options, {}));
  const requestId = response.headers.get(REQUEST_ID_HEADER);
  const parsed = await readBodyOf(response, requestId);

  if (response.ok) {
    if (parsed.kind === 'json') return parsed.value as T;
    if (parsed.kind === 'empty') return undefined as T;
    throw new ApiError({
      status: response.status,
      code: 'invalid_response',
      message: 'The response body is not JSON',
      requestId,
    });
  }
  if (parsed.kind === 'json' && options.acceptStatuses?.includes(response.status)) return parsed.value as T;
  throw failure(response, parsed, requestId, options);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** GET `path` and return its JSON body. */
export function apiGet<T>(path: string, options: RequestOptions = {}): Promise<T> {
  return request<T>('GET', path, undefined, options);
}

/** Send `body` as JSON with `method` to `path` and return the JSON answer (undefined for 204). */
export function apiSend<T>(method: SendMethod, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  return request<T>(method, path, body, options);
}

/** POST `form` as multipart/form-data (files) and return the JSON answer. */
export function apiUpload<T>(path: string, form: FormData, options: RequestOptions = {}): Promise<T> {
  return request<T>('POST', path, form, options);
}

/** Options of a call whose answer the caller reads itself. */
export interface RawRequestOptions extends RequestOptions {
  /** More request headers (`Accept`, `Last-Event-ID`). */
  headers?: Record<string, string>;
}

/**
 * Sends a request like `apiSend` (same cookies, CSRF header and JSON body) but hands back a 2xx
 * `Response` unread, for answers read as they arrive (server-sent events). Any other status
 * becomes the same ApiError as elsewhere.
 */
export async function apiFetch(
  method: 'GET' | SendMethod,
  path: string,
  body?: unknown,
  options: RawRequestOptions = {},
): Promise<Response> {
  const response = await send(path, requestInit(method, body, options, options.headers ?? {}));
  if (response.ok) return response;
  const requestId = response.headers.get(REQUEST_ID_HEADER);
  throw failure(response, await readBodyOf(response, requestId), requestId, options);
}
