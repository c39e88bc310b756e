// Chat endpoints (docs/CHAT.md): sessions, messages, personas, share links and exports under
// `/api/llm`, and the public transcript of a share link under `/api/share`. Replies stream as
// server-sent events (`start`, `delta`, `usage`, `done`, `error`, each with an id); a stream is
// an async iterable of typed events that can be aborted, and `reattachStream` picks up a reply
// still being written (from `Last-Event-ID`), or answers null when none is. Guests (no account)
// chat through `/api/llm/guest/chat`, whose events have no ids; the page keeps their history.
// Also: the caller's statistics and the download of all their chats.

import { ApiError, apiFetch, apiGet, apiSend } from './client.ts';
import { readSse } from './sse.ts';

/** What became of an assistant message; user messages are `complete`. */
export type MessageStatus = 'streaming' | 'complete' | 'cancelled' | 'error' | 'incomplete';

export interface ChatMessage {
  id: string;
  session_id: string;
  /** The message it answers or follows; null for the first question. */
  parent_id: string | null;
  role: 'user' | 'assistant' | (string & {});
  content: string;
  status: MessageStatus | (string & {});
  model: string | null;
  persona_id: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  /** Why the upstream refused (status `error`). */
  error: string | null;
  /** Images attached to a user message (`GET /api/files/{id}`); absent or empty for none. */
  image_ids?: string[];
  created_at: string;
  updated_at: string;
}

/** Generation parameters (`temperature`, `max_tokens`, `top_p`…). */
export type ChatParams = Record<string, unknown>;

export interface ChatSession {
  id: string;
  title: string | null;
  persona_id: string | null;
  model: string | null;
  system_prompt: string | null;
  params: ChatParams | null;
  tags: string[];
  pinned: boolean;
  created_at: string;
  updated_at: string;
}

/** The fields a PATCH may change; `null` clears an optional one. */
export interface SessionPatch {
  title?: string;
  tags?: string[];
  pinned?: boolean;
  persona_id?: string | null;
  model?: string | null;
  system_prompt?: string | null;
  params?: ChatParams | null;
}

/** One page of a list. */
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  per_page: number;
}

/** `builtin`: fox, dog, snake; `shared`: published by admins; `own`: the caller's. */
export type PersonaKind = 'builtin' | 'shared' | 'own';

export interface Persona {
  id: string;
  name: string;
  description: string | null;
  /** An emoji (or a same-origin image path); null for none. */
  avatar: string | null;
  system_prompt: string | null;
  model: string | null;
  params: ChatParams | null;
  kind: PersonaKind | (string & {});
}

/**
 * Body of a persona create or update; `shared` only counts for admins. The server wants a
 * system prompt (1 to 20,000 characters); an avatar left out keeps the old one (🤖 for a new one).
 */
export interface PersonaInput {
  name: string;
  description?: string | null;
  avatar?: string;
  system_prompt: string;
  model?: string | null;
  params?: ChatParams | null;
  shared?: boolean;
}

/** A chat model the caller may use. */
export interface ChatModel {
  id: string;
}

/** Answer of a share: `url` is the path `/s/{token}`. */
export interface ShareLink {
  token: string;
  url: string;
}

/** The public, read-only transcript behind a share link. */
export interface SharedTranscript {
  title: string | null;
  messages: { role: string; content: string; created_at: string }[];
  shared_at: string;
}

/** Body of `POST /api/llm/chat`. */
export interface ChatRequest {
  message: string;
  /** Absent: a new session. */
  session_id?: string;
  model?: string;
  persona_id?: string;
  /** Uploaded images (`POST /api/files`) to attach to the message, at most 4. */
  image_ids?: string[];
}

/** Answer of a chat, regenerate or edit without streaming. */
export interface ChatReply {
  session_id: string;
  user_message: ChatMessage;
  assistant_message: ChatMessage;
}

/** The typed events of a reply stream; `id` is the event's number, to resume after. */
export type ChatEvent =
  | { type: 'start'; id: string | null; session_id: string; user_message_id: string; assistant_message_id: string }
  | { type: 'delta'; id: string | null; content: string }
  | { type: 'usage'; id: string | null; prompt_tokens: number; completion_tokens: number }
  | { type: 'done'; id: string | null; message: ChatMessage }
  | { type: 'error'; id: string | null; code: string; message: string };

/** Events being received: iterate it for them; `abort()` closes the connection. */
export interface EventStream<E> extends AsyncIterable<E> {
  /** Id of the last event received so far (for `Last-Event-ID`). */
  readonly lastEventId: string | null;
  abort(): void;
}

/** A reply being received. */
export type ChatStream = EventStream<ChatEvent>;

const BASE = '/api/llm';

function sessionPath(id: string): string {
  return `${BASE}/sessions/${encodeURIComponent(id)}`;
}

function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Fills the fields an older server does not send. */
export function normalizeSession(raw: ChatSession): ChatSession {
  return {
    ...raw,
    title: raw.title ?? null,
    persona_id: raw.persona_id ?? null,
    model: raw.model ?? null,
    system_prompt: raw.system_prompt ?? null,
    params: raw.params ?? null,
    tags: raw.tags ?? [],
    pinned: raw.pinned ?? false,
  };
}

/** Fills the fields an older server does not send. */
export function normalizeMessage(raw: ChatMessage): ChatMessage {
  return {
    ...raw,
    parent_id: raw.parent_id ?? null,
    content: raw.content ?? '',
    status: raw.status ?? 'complete',
    model: raw.model ?? null,
    persona_id: raw.persona_id ?? null,
    prompt_tokens: raw.prompt_tokens ?? null,
    completion_tokens: raw.completion_tokens ?? null,
    error: raw.error ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// Sessions and messages

export interface SessionQuery {
  page?: number;
  per_page?: number;
  /** Full-text search of titles and message text. */
  q?: string;
  tag?: string;
}

/** `GET /api/llm/sessions`: pinned first, then the most recently updated. */
export async function listSessions(params: SessionQuery = {}, signal?: AbortSignal): Promise<Page<ChatSession>> {
  const page = await apiGet<Page<ChatSession>>(`${BASE}/sessions${query({ ...params })}`, { signal });
  return { ...page, items: page.items.map(normalizeSession) };
}

/** `GET /api/llm/sessions/{id}`. */
export async function getSession(id: string, signal?: AbortSignal): Promise<ChatSession> {
  return normalizeSession(await apiGet<ChatSession>(sessionPath(id), { signal }));
}

/** `PATCH /api/llm/sessions/{id}` with the fields that change. */
export async function updateSession(id: string, patch: SessionPatch): Promise<ChatSession> {
  return normalizeSession(await apiSend<ChatSession>('PATCH', sessionPath(id), patch));
}

/** `DELETE /api/llm/sessions/{id}`. */
export function deleteSession(id: string): Promise<void> {
  return apiSend<void>('DELETE', sessionPath(id));
}

/** `GET /api/llm/messages`: one page of the session's current branch, oldest first. */
export async function listMessages(
  sessionId: string,
  params: { page?: number; per_page?: number } = {},
  signal?: AbortSignal,
): Promise<Page<ChatMessage>> {
  const page = await apiGet<Page<ChatMessage>>(`${BASE}/messages${query({ session_id: sessionId, ...params })}`, { signal });
  return { ...page, items: page.items.map(normalizeMessage) };
}

/** Most pages `listAllMessages` reads (a guard against a server that never says it is done). */
const MAX_MESSAGE_PAGES = 50;

/** Every message of the session's current branch, oldest first (all pages). */
export async function listAllMessages(sessionId: string, signal?: AbortSignal): Promise<ChatMessage[]> {
  const perPage = 100;
  const messages: ChatMessage[] = [];
  for (let page = 1; page <= MAX_MESSAGE_PAGES; page += 1) {
    const answer = await listMessages(sessionId, { page, per_page: perPage }, signal);
    messages.push(...answer.items);
    const size = answer.per_page > 0 ? answer.per_page : perPage;
    if (answer.items.length === 0 || messages.length >= answer.total || answer.items.length < size) break;
  }
  return messages;
}

/** `POST /api/llm/sessions/{id}/stop`: cancels the reply being written, if any. */
export async function stopSession(id: string): Promise<boolean> {
  const answer = await apiSend<{ stopped: boolean }>('POST', `${sessionPath(id)}/stop`);
  return answer?.stopped ?? false;
}

// ---------------------------------------------------------------------------------------------
// Replies without streaming

/** `POST /api/llm/chat` without streaming: answers once the reply is stored. */
export function sendChat(request: ChatRequest): Promise<ChatReply> {
  return apiSend<ChatReply>('POST', `${BASE}/chat`, request);
}

/** `POST /api/llm/sessions/{id}/regenerate` without streaming. */
export function regenerate(sessionId: string): Promise<ChatReply> {
  return apiSend<ChatReply>('POST', `${sessionPath(sessionId)}/regenerate`, {});
}

/** `PUT /api/llm/messages/{id}` without streaming: a new question in place of the old, and its answer. */
export function editMessage(messageId: string, content: string): Promise<ChatReply> {
  return apiSend<ChatReply>('PUT', `${BASE}/messages/${encodeURIComponent(messageId)}`, { content });
}

// ---------------------------------------------------------------------------------------------
// Streamed replies

/** `POST /api/llm/chat` with `stream: true`. Rejects with the ApiError of a refused request. */
export function streamChat(request: ChatRequest, signal?: AbortSignal): Promise<ChatStream> {
  return openStream('POST', `${BASE}/chat`, { ...request, stream: true }, signal).then(required);
}

/** `POST /api/llm/sessions/{id}/regenerate` with `stream: true`: a new answer to the last question. */
export function streamRegenerate(sessionId: string, signal?: AbortSignal): Promise<ChatStream> {
  return openStream('POST', `${sessionPath(sessionId)}/regenerate`, { stream: true }, signal).then(required);
}

/** `PUT /api/llm/messages/{id}` with `stream: true`: the edited question and a new answer. */
export function streamEdit(messageId: string, content: string, signal?: AbortSignal): Promise<ChatStream> {
  return openStream('PUT', `${BASE}/messages/${encodeURIComponent(messageId)}`, { content, stream: true }, signal).then(required);
}

/**
 * `GET /api/llm/sessions/{id}/stream` with `Last-Event-ID`: the events after `lastEventId`
 * (`"0"`: all of them), then the live ones; null (204) when no reply is being written.
 */
export function reattachStream(sessionId: string, lastEventId: string | null = '0', signal?: AbortSignal): Promise<ChatStream | null> {
  return openStream('GET', `${sessionPath(sessionId)}/stream`, undefined, signal, lastEventId ?? '0');
}

function required<E>(stream: EventStream<E> | null): EventStream<E> {
  if (stream) return stream;
  throw new ApiError({ status: 204, code: 'invalid_response', message: 'The server answered without a stream' });
}

/** Turns one SSE event into a typed event (null: a type the client does not know). */
type EventParser<E> = (type: string, data: string, id: string | null, requestId: string | null) => E | null;

function openStream(
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body: unknown,
  signal: AbortSignal | undefined,
  lastEventId?: string,
): Promise<ChatStream | null> {
  return openEventStream(method, path, body, signal, toChatEvent, lastEventId);
}

async function openEventStream<E>(
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body: unknown,
  signal: AbortSignal | undefined,
  parse: EventParser<E>,
  lastEventId?: string,
): Promise<EventStream<E> | null> {
  const controller = new AbortController();
  const forward = () => controller.abort();
  if (signal?.aborted) controller.abort();
  signal?.addEventListener('abort', forward);
  const headers: Record<string, string> = { Accept: 'text/event-stream' };
  if (lastEventId !== undefined) headers['Last-Event-ID'] = lastEventId;

  let response: Response;
  try {
    response = await apiFetch(method, path, body, { signal: controller.signal, headers });
  } catch (error) {
    signal?.removeEventListener('abort', forward);
    throw error;
  }
  const requestId = response.headers.get('X-Request-Id');
  const type = response.headers.get('Content-Type') ?? '';
  if (response.status === 204) {
    signal?.removeEventListener('abort', forward);
    return null;
  }
  if (!/^text\/event-stream\b/i.test(type.trim()) || !response.body) {
    signal?.removeEventListener('abort', forward);
    await response.body?.cancel().catch(() => {});
    throw new ApiError({ status: response.status, code: 'invalid_response', message: 'The response is not an event stream', requestId });
  }

  const responseBody = response.body;
  let lastId: string | null = lastEventId ?? null;
  async function* events(): AsyncGenerator<E> {
    try {
      for await (const raw of readSse(responseBody, controller.signal)) {
        if (raw.id !== null) lastId = raw.id;
        const event = parse(raw.event, raw.data, raw.id, requestId);
        if (event) yield event;
      }
    } finally {
      signal?.removeEventListener('abort', forward);
    }
  }
  const iterator = events();
  return {
    get lastEventId() {
      return lastId;
    },
    abort: () => controller.abort(),
    [Symbol.asyncIterator]: () => iterator,
  };
}

/** The JSON object an event carries; an ApiError when it is something else. */
function eventData(type: string, data: string, requestId: string | null): Record<string, unknown> {
  try {
    const parsed = JSON.parse(data) as unknown;
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw new ApiError({ status: 200, code: 'invalid_response', message: `The ${type} event is not a JSON object`, requestId });
  }
}

function textOf(value: Record<string, unknown>, key: string): string {
  return typeof value[key] === 'string' ? (value[key] as string) : '';
}

/** The typed event of one SSE event; null for an event type this client does not know. */
export function toChatEvent(type: string, data: string, id: string | null, requestId: string | null = null): ChatEvent | null {
  if (!['start', 'delta', 'usage', 'done', 'error'].includes(type)) return null;
  const value = eventData(type, data, requestId);
  const text = (key: string) => textOf(value, key);
  const number = (key: string) => (typeof value[key] === 'number' ? (value[key] as number) : 0);
  switch (type) {
    case 'start':
      return {
        type,
        id,
        session_id: text('session_id'),
        user_message_id: text('user_message_id'),
        assistant_message_id: text('assistant_message_id'),
      };
    case 'delta':
      return { type, id, content: text('content') };
    case 'usage':
      return { type, id, prompt_tokens: number('prompt_tokens'), completion_tokens: number('completion_tokens') };
    case 'done':
      if (typeof value.message !== 'object' || value.message === null) {
        throw new ApiError({ status: 200, code: 'invalid_response', message: 'The done event has no message', requestId });
      }
      return { type, id, message: normalizeMessage(value.message as ChatMessage) };
    default:
      return { type: 'error', id, code: text('code') || 'error', message: text('message') };
  }
}

// ---------------------------------------------------------------------------------------------
// Guest chat (no account, nothing stored: the page keeps the history)

/** `GET /api/llm/guest`: whether visitors may chat, and the longest message they may send. */
export interface GuestInfo {
  enabled: boolean;
  model: string | null;
  max_message_chars: number;
}

/** An earlier turn of a guest conversation, sent back with each message. */
export interface GuestTurn {
  role: 'user' | 'assistant';
  content: string;
}

/** Body of `POST /api/llm/guest/chat`. */
export interface GuestChatRequest {
  message: string;
  history?: GuestTurn[];
  /** A built-in persona (`fox`, `dog`, `snake`). */
  persona_id?: string;
}

/** The events of a guest reply: more text, then the whole text or what went wrong (no ids). */
export type GuestEvent =
  | { type: 'delta'; content: string }
  | { type: 'done'; content: string }
  | { type: 'error'; code: string; message: string };

/** `GET /api/llm/guest` (no login). */
export async function getGuestInfo(signal?: AbortSignal): Promise<GuestInfo> {
  const info = await apiGet<Partial<GuestInfo>>(`${BASE}/guest`, { signal });
  return { enabled: info.enabled === true, model: info.model ?? null, max_message_chars: info.max_message_chars ?? 2000 };
}

/**
 * `POST /api/llm/guest/chat`: the reply as events. Rejects with the ApiError of a refused request
 * (403 when guest chat is off, 429 with `retryAfterSecs` over the hourly limit, 422).
 */
export function streamGuestChat(request: GuestChatRequest, signal?: AbortSignal): Promise<EventStream<GuestEvent>> {
  return openEventStream('POST', `${BASE}/guest/chat`, request, signal, toGuestEvent).then(required);
}

/** The typed event of one guest SSE event; null for a type this client does not know. */
export function toGuestEvent(type: string, data: string, _id: string | null, requestId: string | null = null): GuestEvent | null {
  if (type !== 'delta' && type !== 'done' && type !== 'error') return null;
  const value = eventData(type, data, requestId);
  if (type === 'error') return { type, code: textOf(value, 'code') || 'error', message: textOf(value, 'message') };
  return { type, content: textOf(value, 'content') };
}

// ---------------------------------------------------------------------------------------------
// Statistics and the export of everything

/** Replies and tokens of one day or one model. */
export interface ChatFigures {
  replies: number;
  prompt_tokens: number;
  completion_tokens: number;
}

/** One group of the caller's calls from the usage log; `cost` is a decimal string. */
export interface UsageFigures {
  key: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost: string;
}

/** The caller's budget in its current window (decimal strings for money). */
export interface BudgetState {
  period: 'day' | 'month' | 'total';
  max_cost: string | null;
  spent_cost: string;
  remaining_cost: string | null;
  max_tokens: number | null;
  spent_tokens: number;
  resets_at: string | null;
}

/** `GET /api/llm/statistics`: totals, and the last 30 days by day (`YYYY-MM-DD`) and by model. */
export interface ChatStatistics {
  sessions: number;
  messages: number;
  by_day: Record<string, ChatFigures>;
  by_model: Record<string, ChatFigures>;
  /** Every call of the caller (chat, API keys, titles) with its cost. */
  usage: { by_day: UsageFigures[]; by_model: UsageFigures[] };
  budget: BudgetState | null;
}

/** `GET /api/llm/statistics`. */
export async function getStatistics(signal?: AbortSignal): Promise<ChatStatistics> {
  const answer = await apiGet<Partial<ChatStatistics>>(`${BASE}/statistics`, { signal });
  return {
    sessions: answer.sessions ?? 0,
    messages: answer.messages ?? 0,
    by_day: answer.by_day ?? {},
    by_model: answer.by_model ?? {},
    usage: { by_day: answer.usage?.by_day ?? [], by_model: answer.usage?.by_model ?? [] },
    budget: answer.budget ?? null,
  };
}

/** URL of `GET /api/llm/export`: every conversation (all branches) and own persona as JSON. */
export function exportAllUrl(): string {
  return `${BASE}/export`;
}

// ---------------------------------------------------------------------------------------------
// Models and personas

/** `GET /api/llm/models`: the models the caller may chat with. */
export async function listChatModels(signal?: AbortSignal): Promise<ChatModel[]> {
  const { items } = await apiGet<{ items: ChatModel[] }>(`${BASE}/models`, { signal });
  return items;
}

/** Fills the fields an older server does not send. */
export function normalizePersona(raw: Persona): Persona {
  return {
    ...raw,
    description: raw.description ?? null,
    avatar: raw.avatar ?? null,
    system_prompt: raw.system_prompt ?? null,
    model: raw.model ?? null,
    params: raw.params ?? null,
    kind: raw.kind ?? 'own',
  };
}

/** `GET /api/llm/personas`: built-in (in the caller's language), shared and own. */
export async function listPersonas(signal?: AbortSignal): Promise<Persona[]> {
  const { items } = await apiGet<{ items: Persona[] }>(`${BASE}/personas`, { signal });
  return items.map(normalizePersona);
}

/** `POST /api/llm/personas` → 201 with the persona. */
export async function createPersona(input: PersonaInput): Promise<Persona> {
  return normalizePersona(await apiSend<Persona>('POST', `${BASE}/personas`, input));
}

/** `PUT /api/llm/personas/{id}` (own ones; admins also shared ones). */
export async function updatePersona(id: string, input: PersonaInput): Promise<Persona> {
  return normalizePersona(await apiSend<Persona>('PUT', `${BASE}/personas/${encodeURIComponent(id)}`, input));
}

/** `DELETE /api/llm/personas/{id}`. */
export function deletePersona(id: string): Promise<void> {
  return apiSend<void>('DELETE', `${BASE}/personas/${encodeURIComponent(id)}`);
}

// ---------------------------------------------------------------------------------------------
// Sharing and export

/** `POST /api/llm/sessions/{id}/share` → 201 `{token, url}`. */
export function createShare(sessionId: string): Promise<ShareLink> {
  return apiSend<ShareLink>('POST', `${sessionPath(sessionId)}/share`);
}

/** `DELETE /api/llm/sessions/{id}/share` → 204; the link then answers 404. */
export function revokeShare(sessionId: string): Promise<void> {
  return apiSend<void>('DELETE', `${sessionPath(sessionId)}/share`);
}

/** The page a share token opens, as this browser reaches the server. */
export function shareUrl(token: string): string {
  return `${window.location.origin}/s/${encodeURIComponent(token)}`;
}

/** `GET /api/share/{token}` (no login): the transcript, or a 404 ApiError once revoked. */
export async function getSharedTranscript(token: string, signal?: AbortSignal): Promise<SharedTranscript> {
  const answer = await apiGet<SharedTranscript>(`/api/share/${encodeURIComponent(token)}`, { signal });
  return { ...answer, title: answer.title ?? null, messages: answer.messages ?? [] };
}

export type ExportFormat = 'md' | 'json';

/** URL of `GET /api/llm/sessions/{id}/export?format=…` (an attachment download). */
export function exportUrl(sessionId: string, format: ExportFormat): string {
  return `${sessionPath(sessionId)}/export?format=${format}`;
}
