// Typed fetch wrapper for the LLM Manager API (same origin, cookie credentials, JSON in and out).
// Every failure becomes an ApiError: the server's error envelope
// `{"error":{"code","message","details"}}` when there is one, `http_<status>` for an error
// without it, `network_error` when no response arrived and `invalid_response` for a success
// whose body is not the JSON we asked for. An aborted request rejects with the AbortError as is.

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

  constructor(init: { status: number; code: string; message: string; details?: unknown; requestId?: string | null }) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? null;
    this.requestId = init.requestId ?? null;
  }
}

/** Methods that send a body. */
export type SendMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Options of one call. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** Non-2xx statuses whose JSON body is a normal answer (e.g. 503 from `/ready`). */
  acceptStatuses?: readonly number[];
}

const REQUEST_ID_HEADER = 'X-Request-Id';

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
  });
}

async function request<T>(method: string, path: string, body: unknown, options: RequestOptions): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin', signal: options.signal };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }

  let response: Response;
  let parsed: Body;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError({ status: 0, code: 'network_error', message: errorText(error) });
  }
  const requestId = response.headers.get(REQUEST_ID_HEADER);
  try {
    parsed = await readBody(response);
  } catch (error) {
    // The connection broke while the body was being read.
    if (isAbort(error)) throw error;
    throw new ApiError({ status: response.status, code: 'network_error', message: errorText(error), requestId });
  }

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
  if (parsed.kind === 'json') {
    if (options.acceptStatuses?.includes(response.status)) return parsed.value as T;
    if (isErrorEnvelope(parsed.value)) {
      const { code, message, details } = parsed.value.error;
      throw new ApiError({ status: response.status, code, message, details, requestId });
    }
  }
  throw httpError(response, requestId);
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
