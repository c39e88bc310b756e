// Test helpers for server-sent event bodies: a response that streams given pieces (text or raw
// bytes) and one whose pieces the test pushes as it goes, to see the UI between events.

/** One event in the wire format, with its id. */
export function sseEvent(id: number | string, event: string, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function toBytes(piece: string | Uint8Array): Uint8Array {
  return typeof piece === 'string' ? new TextEncoder().encode(piece) : piece;
}

/** A `text/event-stream` response whose body arrives in exactly these pieces. */
export function sseResponse(pieces: (string | Uint8Array)[], status = 200): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(toBytes(piece));
      controller.close();
    },
  });
  return new Response(body, { status, headers: { 'Content-Type': 'text/event-stream', 'X-Request-Id': 'req-sse' } });
}

/** Splits `text` into pieces of `size` bytes (so multi-byte characters and line ends get cut). */
export function bytePieces(text: string, size: number): Uint8Array[] {
  const bytes = new TextEncoder().encode(text);
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.slice(i, i + size));
  return pieces;
}

/** A streamed response the test feeds piece by piece; `cancelled` tells whether the reader let go. */
export function controlledSse() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const state = { cancelled: false, closed: false };
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      state.cancelled = true;
    },
  });
  const response = new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
  return {
    response,
    state,
    push(piece: string | Uint8Array) {
      if (!state.closed && !state.cancelled) controller.enqueue(toBytes(piece));
    },
    close() {
      if (state.closed || state.cancelled) return;
      state.closed = true;
      controller.close();
    },
  };
}
