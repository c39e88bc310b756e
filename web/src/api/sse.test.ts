import { describe, expect, it } from 'vitest';
import { bytePieces, sseResponse } from '../test/sse.ts';
import { SseParser, readSse, type SseEvent } from './sse.ts';

/** Feeds `pieces` one by one and collects every event. */
function parse(pieces: string[]): SseEvent[] {
  const parser = new SseParser();
  return pieces.flatMap((piece) => parser.feed(piece));
}

async function collect(response: Response, signal?: AbortSignal): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSse(response.body!, signal)) events.push(event);
  return events;
}

const STREAM =
  'id: 1\nevent: start\ndata: {"session_id":"s1"}\n\n' +
  ': keep-alive comment\n\n' +
  'id: 2\nevent: delta\ndata: {"content":"Hello"}\n\n' +
  'id: 3\nevent: delta\ndata: {"content":" 世界 🦊"}\n\n' +
  'id: 4\nevent: done\ndata: {"message":{"id":"m1"}}\n\n';

const EXPECTED: SseEvent[] = [
  { event: 'start', data: '{"session_id":"s1"}', id: '1' },
  { event: 'delta', data: '{"content":"Hello"}', id: '2' },
  { event: 'delta', data: '{"content":" 世界 🦊"}', id: '3' },
  { event: 'done', data: '{"message":{"id":"m1"}}', id: '4' },
];

describe('SseParser', () => {
  it('parses whole events with ids, event types and data, skipping comments', () => {
    expect(parse([STREAM])).toEqual(EXPECTED);
  });

  it('gives the same events however the text is cut, down to one character at a time', () => {
    expect(parse(Array.from(STREAM))).toEqual(EXPECTED);
    for (const size of [2, 3, 5, 7, 13]) {
      const pieces: string[] = [];
      for (let i = 0; i < STREAM.length; i += size) pieces.push(STREAM.slice(i, i + size));
      expect(parse(pieces), `pieces of ${size}`).toEqual(EXPECTED);
    }
  });

  it('joins multi-line data with newlines and strips one space after the colon', () => {
    const events = parse(['data: first\ndata:  second (indented)\ndata\ndata:third\n\n']);
    expect(events).toEqual([{ event: 'message', data: 'first\n second (indented)\n\nthird', id: null }]);
  });

  it('accepts CRLF and CR line ends, also a CRLF split between two chunks', () => {
    expect(parse(['id: 7\r\nevent: delta\r\ndata: a\r', '\n\r', '\nid: 8\rdata: b\r\r'])).toEqual([
      { event: 'delta', data: 'a', id: '7' },
      { event: 'message', data: 'b', id: '8' },
    ]);
  });

  it('keeps the last id for later events without one, and resets it with an empty id', () => {
    const parser = new SseParser();
    expect(parser.feed('id: 5\ndata: x\n\ndata: y\n\nid\ndata: z\n\n')).toEqual([
      { event: 'message', data: 'x', id: '5' },
      { event: 'message', data: 'y', id: '5' },
      { event: 'message', data: 'z', id: '' },
    ]);
    expect(parser.lastId).toBe('');
  });

  it('does not dispatch events without data, nor keep the type of one for the next', () => {
    expect(parse(['event: ping\n\n', 'retry: 3000\nunknown: field\n\n', 'data: only\n\n'])).toEqual([
      { event: 'message', data: 'only', id: null },
    ]);
  });

  it('waits for the blank line before dispatching', () => {
    const parser = new SseParser();
    expect(parser.feed('event: delta\ndata: {"content":"a"}\n')).toEqual([]);
    expect(parser.feed('\n')).toEqual([{ event: 'delta', data: '{"content":"a"}', id: null }]);
  });

  it('drops a byte order mark at the start', () => {
    expect(parse(['\uFEFFdata: bom\n\n'])).toEqual([{ event: 'message', data: 'bom', id: null }]);
  });
});

describe('readSse', () => {
  it('decodes UTF-8 split inside a character and events split across chunks', async () => {
    for (const size of [1, 2, 3, 4, 9]) {
      expect(await collect(sseResponse(bytePieces(STREAM, size))), `chunks of ${size} bytes`).toEqual(EXPECTED);
    }
  });

  it('drops an event the stream ends in the middle of', async () => {
    const events = await collect(sseResponse(['id: 1\ndata: whole\n\n', 'id: 2\ndata: half']));
    expect(events).toEqual([{ event: 'message', data: 'whole', id: '1' }]);
  });

  it('stops with an AbortError and cancels the body when the signal aborts', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: one\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    const controller = new AbortController();
    const seen: string[] = [];
    const run = (async () => {
      for await (const event of readSse(body, controller.signal)) {
        seen.push(event.data);
        controller.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual(['one']);
    expect(cancelled).toBe(true);
  });
});
