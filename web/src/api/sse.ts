// Server-sent events read from a fetch body, as the HTML standard's event-stream parser does:
// lines end in CRLF, LF or CR (a CRLF may be split between two chunks), `data:` lines of one
// event are joined with "\n", `id:` sets the last event id that later events keep, lines that
// start with ":" are comments, a blank line dispatches the event, and an event without data is
// not dispatched. Bytes are decoded as UTF-8 across chunk boundaries.

/** One dispatched event. */
export interface SseEvent {
  /** The `event:` field, `message` when there was none. */
  event: string;
  /** The `data:` lines, joined with "\n". */
  data: string;
  /** The last event id in force when the event was dispatched (`id:` of this or an earlier event). */
  id: string | null;
}

/** Incremental parser: feed it text as it arrives; it returns the events each piece completes. */
export class SseParser {
  private buffer = '';
  /** The last piece ended in CR: a LF at the start of the next one belongs to that line end. */
  private pendingCr = false;
  private started = false;
  private eventType = '';
  private dataLines: string[] = [];
  private hasData = false;
  private lastEventId: string | null = null;

  /** Adds `text` and returns the events it completes. */
  feed(text: string): SseEvent[] {
    if (text === '') return [];
    let chunk = text;
    if (this.pendingCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.pendingCr = false;
    if (!this.started) {
      if (chunk === '') return [];
      this.started = true;
      if (chunk.startsWith('\uFEFF')) chunk = chunk.slice(1);
    }
    this.buffer += chunk;

    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i += 1) {
      const char = this.buffer[i];
      if (char !== '\n' && char !== '\r') continue;
      const line = this.buffer.slice(start, i);
      if (char === '\r') {
        if (i + 1 === this.buffer.length) this.pendingCr = true;
        else if (this.buffer[i + 1] === '\n') i += 1;
      }
      start = i + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** The id of the last event seen, to resume from (`Last-Event-ID`). */
  get lastId(): string | null {
    return this.lastEventId;
  }

  private line(line: string): SseEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.dataLines.push(value);
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      default:
        // `retry:` and unknown fields: nothing for us to do.
        break;
    }
    return null;
  }

  private dispatch(): SseEvent | null {
    const event = this.hasData ? { event: this.eventType || 'message', data: this.dataLines.join('\n'), id: this.lastEventId } : null;
    this.eventType = '';
    this.dataLines = [];
    this.hasData = false;
    return event;
  }
}

/**
 * The events of an event-stream body, as they arrive. An event the stream ends in the middle of
 * is dropped (the standard's rule). Aborting `signal` cancels the body.
 */
export async function* readSse(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8');
  const parser = new SseParser();
  const cancel = () => {
    reader.cancel().catch(() => {});
  };
  signal?.addEventListener('abort', cancel);
  let finished = false;
  try {
    for (;;) {
      if (signal?.aborted) throw abortError();
      const { done, value } = await reader.read();
      if (signal?.aborted) throw abortError();
      if (done) {
        finished = true;
        yield* parser.feed(decoder.decode());
        return;
      }
      yield* parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    signal?.removeEventListener('abort', cancel);
    // The consumer stopped early (break, throw, abort): let the connection go.
    if (!finished) cancel();
    else reader.releaseLock();
  }
}

function abortError(): DOMException {
  return new DOMException('The stream was aborted', 'AbortError');
}
