// The messages of the open conversation and the reply being received. Sending, regenerating and
// editing show the question and an empty answer at once, then fill the answer from the stream's
// events (`start` gives the stored ids and, for a new chat, the session; `delta` grows it;
// `done` replaces it with the stored message). Opening a session whose last answer is still
// `streaming` re-attaches to it (`Last-Event-ID: 0` replays it all); a connection that drops
// before the reply ended is picked up from the last event id. Stop asks the server to cancel,
// then closes the connection. Leaving a conversation only closes the connection: the server
// finishes the reply and stores it.

import { useCallback, useEffect, useRef, useState } from 'react';
import {
  listAllMessages,
  reattachStream,
  stopSession,
  streamChat,
  streamEdit,
  streamRegenerate,
  type ChatEvent,
  type ChatMessage,
  type ChatRequest,
  type ChatStream,
} from '../../api/chat.ts';

/** How often a dropped connection is picked up again before giving up on live updates. */
const MAX_RECONNECTS = 3;

export interface SendOptions {
  /** For a new chat: the model, else the persona's or the server's default. */
  model?: string;
  /** For a new chat: the persona. */
  personaId?: string;
  /** Uploaded images to attach (`image_ids`). */
  imageIds?: string[];
}

export interface Conversation {
  /** The session the messages belong to; null for a new chat not started yet. */
  sessionId: string | null;
  messages: ChatMessage[];
  loading: boolean;
  loadError: unknown;
  /** A reply is being received. */
  streaming: boolean;
  /** Why the last send, regenerate, edit or stop failed; null when it did not. */
  actionError: unknown;
  /** Sends a question; resolves whether the server took it. */
  send(text: string, options?: SendOptions): Promise<boolean>;
  /** A new answer to the last question. */
  regenerate(): Promise<boolean>;
  /** Replaces a question (and what followed it) with `content` and a new answer. */
  edit(messageId: string, content: string): Promise<boolean>;
  /** Cancels the reply being written. */
  stop(): Promise<void>;
  /** Reads the messages again. */
  reload(): void;
}

interface Run {
  controller: AbortController;
  sessionId: string | null;
  /** Id of the answer in `messages` (a local one until `start`). */
  assistantId: string;
  /** Id of the question in `messages` when this run added it. */
  userId: string | null;
  /** The next delta replaces the content instead of extending it (a replay from the start). */
  replaceOnDelta: boolean;
  stopped: boolean;
  /** `done` or `error` arrived. */
  ended: boolean;
}

let localIds = 0;

/** A message shown before the server has stored it (its id starts with `local-`). */
export function localMessage(
  role: 'user' | 'assistant',
  content: string,
  sessionId: string | null,
  parentId: string | null,
  imageIds: string[] = [],
): ChatMessage {
  localIds += 1;
  const now = new Date().toISOString();
  return {
    id: `local-${role}-${localIds}`,
    session_id: sessionId ?? '',
    parent_id: parentId,
    role,
    content,
    status: role === 'assistant' ? 'streaming' : 'complete',
    model: null,
    persona_id: null,
    prompt_tokens: null,
    completion_tokens: null,
    error: null,
    ...(imageIds.length > 0 ? { image_ids: imageIds } : {}),
    created_at: now,
    updated_at: now,
  };
}

function isAbort(error: unknown): boolean {
  return (error instanceof DOMException || error instanceof Error) && error.name === 'AbortError';
}

export function useConversation(
  routeSessionId: string | null,
  events: {
    /** A new chat got its session (from `start`). */
    onSessionStarted: (sessionId: string) => void;
    /** A reply ended, however it ended. */
    onReplyEnded: (sessionId: string | null) => void;
  },
): Conversation {
  const [sessionId, setSessionId] = useState<string | null>(routeSessionId);
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [loading, setLoading] = useState(routeSessionId !== null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [streaming, setStreaming] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);

  /** The session shown, read synchronously by the stream handlers. Undefined before the first load. */
  const shown = useRef<string | null | undefined>(undefined);
  const messagesRef = useRef<ChatMessage[]>(messages);
  messagesRef.current = messages;
  const run = useRef<Run | null>(null);
  const loader = useRef<AbortController | null>(null);
  const eventsRef = useRef(events);
  eventsRef.current = events;

  const update = useCallback((id: string, change: (message: ChatMessage) => ChatMessage) => {
    setMessages((list) => list.map((message) => (message.id === id ? change(message) : message)));
  }, []);

  const apply = useCallback(
    (r: Run, event: ChatEvent) => {
      switch (event.type) {
        case 'start': {
          const { session_id: sid, user_message_id: userId, assistant_message_id: assistantId } = event;
          const oldUser = r.userId;
          const oldAssistant = r.assistantId;
          setMessages((list) =>
            list.map((message) => {
              if (oldUser && userId && message.id === oldUser) return { ...message, id: userId, session_id: sid };
              if (assistantId && message.id === oldAssistant) return { ...message, id: assistantId, session_id: sid };
              return message;
            }),
          );
          if (oldUser && userId) r.userId = userId;
          if (assistantId) r.assistantId = assistantId;
          if (sid && r.sessionId === null) {
            r.sessionId = sid;
            shown.current = sid;
            setSessionId(sid);
            eventsRef.current.onSessionStarted(sid);
          }
          break;
        }
        case 'delta': {
          const replace = r.replaceOnDelta;
          r.replaceOnDelta = false;
          update(r.assistantId, (message) => ({
            ...message,
            status: 'streaming',
            content: replace ? event.content : message.content + event.content,
          }));
          break;
        }
        case 'usage':
          update(r.assistantId, (message) => ({
            ...message,
            prompt_tokens: event.prompt_tokens,
            completion_tokens: event.completion_tokens,
          }));
          break;
        case 'done': {
          r.ended = true;
          const stored = event.message;
          const local = r.assistantId;
          r.assistantId = stored.id || local;
          update(local, (message) => ({ ...message, ...stored, id: stored.id || local, content: stored.content ?? message.content }));
          break;
        }
        case 'error':
          r.ended = true;
          update(r.assistantId, (message) => ({ ...message, status: 'error', error: event.message || event.code }));
          break;
      }
    },
    [update],
  );

  /** Reads the messages of `id`; `reattach`: follow a reply still being written. */
  const load = useCallback(
    async (id: string, { reattach, quiet }: { reattach: boolean; quiet: boolean }) => {
      loader.current?.abort();
      const controller = new AbortController();
      loader.current = controller;
      if (!quiet) setLoading(true);
      try {
        const items = await listAllMessages(id, controller.signal);
        if (controller.signal.aborted || shown.current !== id) return;
        setMessages(items);
        setLoadError(null);
        setLoading(false);
        const last = items[items.length - 1];
        if (reattach && !run.current && last?.role === 'assistant' && last.status === 'streaming') {
          void follow((signal) => reattachStream(id, '0', signal), {
            sessionId: id,
            assistantId: last.id,
            userId: null,
            replay: true,
          }).catch(() => {});
        }
      } catch (error) {
        if (controller.signal.aborted || shown.current !== id) return;
        if (!quiet) setLoadError(error);
        setLoading(false);
      }
    },
    // `follow` (defined below) only uses refs and stable setters: it never changes.
    [],
  );

  /** Forgets `r` as the running reply and tells the page. */
  const finish = useCallback((r: Run) => {
    if (run.current !== r) return;
    run.current = null;
    setStreaming(false);
    eventsRef.current.onReplyEnded(r.sessionId);
  }, []);

  /** Receives the events of a reply until it ends, picking a dropped connection up again. */
  const consume = useCallback(
    async (r: Run, first: ChatStream) => {
      let stream: ChatStream | null = first;
      let reconnects = 0;
      try {
        while (stream) {
          let dropped: unknown = null;
          try {
            for await (const event of stream) {
              if (run.current !== r) return;
              apply(r, event);
            }
          } catch (error) {
            if (isAbort(error) || r.controller.signal.aborted) throw error;
            dropped = error;
          }
          if (r.ended || r.controller.signal.aborted || run.current !== r) break;
          if (!r.sessionId || reconnects >= MAX_RECONNECTS) {
            if (dropped !== null) throw dropped;
            break;
          }
          // The connection ended (or broke) before the reply did: ask for the events after the
          // last one seen.
          reconnects += 1;
          const lastId = stream.lastEventId ?? '0';
          r.replaceOnDelta = lastId === '0';
          stream = await reattachStream(r.sessionId, lastId, r.controller.signal);
        }
        if (!r.ended && run.current === r && r.sessionId) {
          // Nothing more to follow (the reply ended while we were away): show what was stored.
          finish(r);
          await load(r.sessionId, { reattach: false, quiet: true });
        }
      } catch (error) {
        if (!isAbort(error) && run.current === r) {
          setActionError(error);
          update(r.assistantId, (message) =>
            message.status === 'streaming' ? { ...message, status: 'incomplete' } : message,
          );
        }
      } finally {
        if (r.stopped && !r.ended) {
          update(r.assistantId, (message) => ({ ...message, status: 'cancelled' }));
        }
        finish(r);
      }
    },
    [apply, finish, load, update],
  );

  /**
   * Opens a stream with `open` and follows it in the background. Resolves once the server took
   * the request (true) — or refused it (false, `actionError` says why; `restore` is put back).
   */
  const follow = useCallback(
    async (
      open: (signal: AbortSignal) => Promise<ChatStream | null>,
      init: { sessionId: string | null; assistantId: string; userId: string | null; replay: boolean },
      restore?: ChatMessage[],
    ): Promise<boolean> => {
      const r: Run = {
        controller: new AbortController(),
        sessionId: init.sessionId,
        assistantId: init.assistantId,
        userId: init.userId,
        replaceOnDelta: init.replay,
        stopped: false,
        ended: false,
      };
      run.current = r;
      setStreaming(true);
      setActionError(null);
      let stream: ChatStream | null;
      try {
        stream = await open(r.controller.signal);
      } catch (error) {
        if (run.current === r) {
          run.current = null;
          setStreaming(false);
          if (!isAbort(error)) setActionError(error);
          if (restore) setMessages(restore);
        }
        return false;
      }
      if (run.current !== r) {
        r.controller.abort();
        return false;
      }
      if (stream === null) {
        // Nothing is being written any more: read what was stored.
        finish(r);
        if (r.sessionId) void load(r.sessionId, { reattach: false, quiet: true });
        return true;
      }
      void consume(r, stream);
      return true;
    },
    [consume, finish, load],
  );

  // Another conversation (or a new chat) was opened: let go of the reply being followed (the
  // server finishes it) and read the messages — unless it is the session this page just started.
  useEffect(() => {
    if (shown.current === routeSessionId) return;
    shown.current = routeSessionId;
    const r = run.current;
    if (r) {
      run.current = null;
      r.controller.abort();
      setStreaming(false);
    }
    loader.current?.abort();
    setSessionId(routeSessionId);
    setMessages([]);
    setActionError(null);
    setLoadError(null);
    if (routeSessionId === null) {
      setLoading(false);
      return;
    }
    void load(routeSessionId, { reattach: true, quiet: false });
  }, [routeSessionId, load]);

  // Leaving the page closes the connection (the server carries on).
  useEffect(
    () => () => {
      loader.current?.abort();
      run.current?.controller.abort();
      run.current = null;
      // The next mount (StrictMode runs effects twice) must load again.
      shown.current = undefined;
    },
    [],
  );

  const send = useCallback(
    async (text: string, options: SendOptions = {}): Promise<boolean> => {
      if (run.current || !text.trim()) return false;
      const sid = shown.current ?? null;
      const before = messagesRef.current;
      const last = before[before.length - 1] ?? null;
      const imageIds = options.imageIds ?? [];
      const user = localMessage('user', text, sid, last?.id ?? null, imageIds);
      const assistant = localMessage('assistant', '', sid, user.id);
      setMessages([...before, user, assistant]);
      const images = imageIds.length > 0 ? { image_ids: imageIds } : {};
      const request: ChatRequest = sid
        ? { message: text, session_id: sid, ...images }
        : {
            message: text,
            ...(options.model ? { model: options.model } : {}),
            ...(options.personaId ? { persona_id: options.personaId } : {}),
            ...images,
          };
      return follow((signal) => streamChat(request, signal), { sessionId: sid, assistantId: assistant.id, userId: user.id, replay: false }, before);
    },
    [follow],
  );

  const regenerate = useCallback(async (): Promise<boolean> => {
    const sid = shown.current ?? null;
    if (run.current || !sid) return false;
    const before = messagesRef.current;
    const last = before[before.length - 1];
    const kept = last?.role === 'assistant' ? before.slice(0, -1) : before;
    const assistant = localMessage('assistant', '', sid, kept[kept.length - 1]?.id ?? null);
    setMessages([...kept, assistant]);
    return follow((signal) => streamRegenerate(sid, signal), { sessionId: sid, assistantId: assistant.id, userId: null, replay: false }, before);
  }, [follow]);

  const edit = useCallback(
    async (messageId: string, content: string): Promise<boolean> => {
      const sid = shown.current ?? null;
      if (run.current || !sid || !content.trim()) return false;
      const before = messagesRef.current;
      const index = before.findIndex((message) => message.id === messageId);
      if (index < 0) return false;
      // The server keeps the images of the question it replaces.
      const user = localMessage('user', content, sid, before[index]!.parent_id, before[index]!.image_ids ?? []);
      const assistant = localMessage('assistant', '', sid, user.id);
      setMessages([...before.slice(0, index), user, assistant]);
      return follow((signal) => streamEdit(messageId, content, signal), { sessionId: sid, assistantId: assistant.id, userId: user.id, replay: false }, before);
    },
    [follow],
  );

  const stop = useCallback(async () => {
    const r = run.current;
    if (!r || r.stopped) return;
    r.stopped = true;
    try {
      // Before `start` of a new chat there is no session to stop yet: closing is all we can do.
      if (r.sessionId) await stopSession(r.sessionId);
    } catch (error) {
      setActionError(error);
    } finally {
      r.controller.abort();
    }
  }, []);

  const reload = useCallback(() => {
    const id = shown.current;
    if (id && !run.current) void load(id, { reattach: true, quiet: false });
  }, [load]);

  return { sessionId, messages, loading, loadError, streaming, actionError, send, regenerate, edit, stop, reload };
}
