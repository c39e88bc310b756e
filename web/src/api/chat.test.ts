import { beforeEach, describe, expect, it } from 'vitest';
import { CSRF, callsTo, emptyResponse, errorResponse, jsonResponse, mockApi, setSessionCookie } from '../test/helpers.tsx';
import { bytePieces, controlledSse, sseEvent, sseResponse } from '../test/sse.ts';
import {
  exportUrl,
  listAllMessages,
  listSessions,
  reattachStream,
  streamChat,
  streamEdit,
  streamGuestChat,
  streamRegenerate,
  type ChatEvent,
  type ChatMessage,
} from './chat.ts';
import { ApiError } from './client.ts';

const STORED: ChatMessage = {
  id: 'a1',
  session_id: 's1',
  parent_id: 'u1',
  role: 'assistant',
  content: 'Hello there',
  status: 'complete',
  model: 'fake-model',
  persona_id: 'fox',
  prompt_tokens: 3,
  completion_tokens: 2,
  error: null,
  created_at: '2026-11-21T10:00:00Z',
  updated_at: '2026-11-21T10:00:01Z',
};

const REPLY =
  sseEvent(1, 'start', { session_id: 's1', user_message_id: 'u1', assistant_message_id: 'a1' }) +
  sseEvent(2, 'delta', { content: 'Hello' }) +
  sseEvent(3, 'delta', { content: ' there' }) +
  sseEvent(4, 'usage', { prompt_tokens: 3, completion_tokens: 2 }) +
  sseEvent(5, 'done', { message: STORED });

async function all(stream: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const events: ChatEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

beforeEach(() => setSessionCookie());

describe('chat streams', () => {
  it('posts the message with stream: true, the CSRF token and Accept: text/event-stream, and types the events', async () => {
    const fetchMock = mockApi({ 'POST /api/llm/chat': () => sseResponse(bytePieces(REPLY, 7)) });
    const stream = await streamChat({ message: 'hi', model: 'fake-model', persona_id: 'fox' });
    const events = await all(stream);

    const [call] = callsTo(fetchMock, 'POST /api/llm/chat');
    expect(call!.body).toEqual({ message: 'hi', model: 'fake-model', persona_id: 'fox', stream: true });
    expect(call!.headers['X-CSRF-Token']).toBe(CSRF);
    expect(call!.headers.Accept).toBe('text/event-stream');
    expect(events).toEqual([
      { type: 'start', id: '1', session_id: 's1', user_message_id: 'u1', assistant_message_id: 'a1' },
      { type: 'delta', id: '2', content: 'Hello' },
      { type: 'delta', id: '3', content: ' there' },
      { type: 'usage', id: '4', prompt_tokens: 3, completion_tokens: 2 },
      { type: 'done', id: '5', message: STORED },
    ]);
    expect(stream.lastEventId).toBe('5');
  });

  it('reports a refused request as the ApiError of its envelope', async () => {
    mockApi({ 'POST /api/llm/chat': () => errorResponse(429, 'rate_limited', 'slow down', null, { 'Retry-After': '7' }) });
    const error = await streamChat({ message: 'hi' }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', message: 'slow down', retryAfterSecs: 7 });
  });

  it('refuses a 200 that is not an event stream', async () => {
    mockApi({ 'POST /api/llm/chat': () => jsonResponse({ session_id: 's1' }) });
    await expect(streamChat({ message: 'hi' })).rejects.toMatchObject({ code: 'invalid_response' });
  });

  it('turns an error event into a typed event and ignores unknown ones', async () => {
    mockApi({
      'POST /api/llm/sessions/s1/regenerate': () =>
        sseResponse([sseEvent(1, 'ping', {}), 'id: 2\nevent: error\ndata: {"code":"upstream_error",\ndata: "message":"refused"}\n\n']),
    });
    const events = await all(await streamRegenerate('s1'));
    expect(events).toEqual([{ type: 'error', id: '2', code: 'upstream_error', message: 'refused' }]);
  });

  it('edits with PUT {content, stream: true}', async () => {
    const fetchMock = mockApi({ 'PUT /api/llm/messages/u1': () => sseResponse([REPLY]) });
    await all(await streamEdit('u1', 'better question'));
    expect(callsTo(fetchMock, 'PUT /api/llm/messages/u1')[0]!.body).toEqual({ content: 'better question', stream: true });
  });

  it('re-attaches with Last-Event-ID and answers null on 204', async () => {
    const fetchMock = mockApi({
      'GET /api/llm/sessions/s1/stream': ({ init }) =>
        (init?.headers as Record<string, string>)['Last-Event-ID'] === '3' ? sseResponse([sseEvent(4, 'delta', { content: '!' })]) : emptyResponse(),
    });
    const stream = await reattachStream('s1', '3');
    expect(await all(stream!)).toEqual([{ type: 'delta', id: '4', content: '!' }]);
    expect(await reattachStream('s1', '0')).toBeNull();
    expect(callsTo(fetchMock, 'GET /api/llm/sessions/s1/stream').map((call) => call.headers['Last-Event-ID'])).toEqual(['3', '0']);
  });

  it('abort() ends the iteration with an AbortError and cancels the body', async () => {
    const body = controlledSse();
    mockApi({ 'POST /api/llm/chat': () => body.response });
    const stream = await streamChat({ message: 'hi' });
    body.push(sseEvent(1, 'delta', { content: 'a' }));
    const seen: ChatEvent[] = [];
    const run = (async () => {
      for await (const event of stream) {
        seen.push(event);
        stream.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toHaveLength(1);
    expect(body.state.cancelled).toBe(true);
  });
});

describe('guest chat stream', () => {
  it('posts without a CSRF session, types delta/done/error events without ids and ignores others', async () => {
    document.cookie = 'llmm_csrf=; Max-Age=0; path=/';
    const fetchMock = mockApi({
      'POST /api/llm/guest/chat': () =>
        sseResponse(
          bytePieces(
            'event: delta\ndata: {"content":"Hel"}\n\nevent: ping\ndata: {}\n\nevent: delta\ndata: {"content":"lo"}\n\nevent: done\ndata: {"content":"Hello"}\n\n',
            5,
          ),
        ),
    });
    const events = [];
    const stream = await streamGuestChat({ message: 'hi', history: [{ role: 'user', content: 'before' }], persona_id: 'fox' });
    for await (const event of stream) events.push(event);
    expect(events).toEqual([
      { type: 'delta', content: 'Hel' },
      { type: 'delta', content: 'lo' },
      { type: 'done', content: 'Hello' },
    ]);
    const [call] = callsTo(fetchMock, 'POST /api/llm/guest/chat');
    expect(call!.body).toEqual({ message: 'hi', history: [{ role: 'user', content: 'before' }], persona_id: 'fox' });
    expect(call!.headers['X-CSRF-Token']).toBeUndefined();

    mockApi({ 'POST /api/llm/guest/chat': () => sseResponse(['event: error\ndata: {"code":"incomplete","message":"the reply was cut off"}\n\n']) });
    const failed = [];
    for await (const event of await streamGuestChat({ message: 'hi' })) failed.push(event);
    expect(failed).toEqual([{ type: 'error', code: 'incomplete', message: 'the reply was cut off' }]);
  });
});

describe('chat lists', () => {
  it('sends the search, tag and paging of the session list', async () => {
    const fetchMock = mockApi({ 'GET /api/llm/sessions': () => jsonResponse({ items: [], total: 0, page: 2, per_page: 10 }) });
    await listSessions({ page: 2, per_page: 10, q: 'fox facts', tag: 'work' });
    const url = callsTo(fetchMock, 'GET /api/llm/sessions')[0]!.url;
    expect(Object.fromEntries(url.searchParams)).toEqual({ page: '2', per_page: '10', q: 'fox facts', tag: 'work' });
  });

  it('reads every page of the messages', async () => {
    const message = (n: number): ChatMessage => ({ ...STORED, id: `m${n}`, content: `#${n}` });
    const fetchMock = mockApi({
      'GET /api/llm/messages': ({ url }) => {
        const page = Number(url.searchParams.get('page'));
        const items = page === 1 ? Array.from({ length: 100 }, (_, i) => message(i)) : [message(100), message(101)];
        return jsonResponse({ items, total: 102, page, per_page: 100 });
      },
    });
    const messages = await listAllMessages('s1');
    expect(messages).toHaveLength(102);
    expect(callsTo(fetchMock, 'GET /api/llm/messages').map((call) => call.url.searchParams.get('session_id'))).toEqual(['s1', 's1']);
  });

  it('builds export links', () => {
    expect(exportUrl('s 1', 'md')).toBe('/api/llm/sessions/s%201/export?format=md');
  });
});
