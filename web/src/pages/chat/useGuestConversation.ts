// A guest's conversation: nothing is stored on the server, so the messages live in this page's
// state and every question goes with the turns before it (`history`). The answer streams in
// from `delta` events and ends with `done` (its whole text) or `error`; Stop closes the
// connection. A refused question (403 off, 429 too many, 422) is taken back off the screen and
// the text stays in the composer.

import { useCallback, useEffect, useRef, useState } from 'react';
import { streamGuestChat, type ChatMessage, type GuestTurn } from '../../api/chat.ts';
import { localMessage } from './useConversation.ts';

/** Turns of history sent with a question (the server uses no more than this). */
export const GUEST_HISTORY_TURNS = 20;

export interface GuestConversation {
  messages: ChatMessage[];
  streaming: boolean;
  /** Why the last question was refused or its answer broke off; null when it was not. */
  error: unknown;
  /** Sends a question; resolves whether the server took it. */
  send(text: string, personaId: string): Promise<boolean>;
  /** Stops the answer being received. */
  stop(): void;
}

/** The turns to send back: questions and the answers that have text (not the failed ones). */
export function historyOf(messages: ChatMessage[]): GuestTurn[] {
  return messages
    .filter((message) => (message.role === 'user' || message.role === 'assistant') && message.content.trim() !== '')
    .filter((message) => message.role === 'user' || message.status !== 'error')
    .slice(-GUEST_HISTORY_TURNS)
    .map((message) => ({ role: message.role as GuestTurn['role'], content: message.content }));
}

function isAbort(error: unknown): boolean {
  return (error instanceof DOMException || error instanceof Error) && error.name === 'AbortError';
}

export function useGuestConversation(): GuestConversation {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [streaming, setStreaming] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const messagesRef = useRef(messages);
  messagesRef.current = messages;
  const run = useRef<{ controller: AbortController; stopped: boolean } | null>(null);

  const update = useCallback((id: string, change: (message: ChatMessage) => ChatMessage) => {
    setMessages((list) => list.map((message) => (message.id === id ? change(message) : message)));
  }, []);

  useEffect(
    () => () => {
      run.current?.controller.abort();
      run.current = null;
    },
    [],
  );

  const send = useCallback(
    async (text: string, personaId: string): Promise<boolean> => {
      if (run.current || !text.trim()) return false;
      const before = messagesRef.current;
      const user = localMessage('user', text, null, before[before.length - 1]?.id ?? null);
      const assistant = { ...localMessage('assistant', '', null, user.id), persona_id: personaId || null };
      setMessages([...before, user, assistant]);
      const current = { controller: new AbortController(), stopped: false };
      run.current = current;
      setStreaming(true);
      setError(null);

      let stream;
      try {
        stream = await streamGuestChat(
          { message: text, history: historyOf(before), ...(personaId ? { persona_id: personaId } : {}) },
          current.controller.signal,
        );
      } catch (reason) {
        if (run.current === current) {
          run.current = null;
          setStreaming(false);
          setMessages(before);
          if (!isAbort(reason)) setError(reason);
        }
        return false;
      }

      void (async () => {
        let ended = false;
        try {
          for await (const event of stream) {
            if (event.type === 'delta') {
              update(assistant.id, (message) => ({ ...message, content: message.content + event.content }));
            } else if (event.type === 'done') {
              ended = true;
              update(assistant.id, (message) => ({ ...message, content: event.content || message.content, status: 'complete' }));
            } else {
              ended = true;
              update(assistant.id, (message) => ({ ...message, status: 'error', error: event.message || event.code }));
            }
          }
          if (!ended) update(assistant.id, (message) => ({ ...message, status: current.stopped ? 'cancelled' : 'incomplete' }));
        } catch (reason) {
          if (!ended) update(assistant.id, (message) => ({ ...message, status: current.stopped ? 'cancelled' : 'incomplete' }));
          if (!isAbort(reason) && !current.stopped) setError(reason);
        } finally {
          if (run.current === current) {
            run.current = null;
            setStreaming(false);
          }
        }
      })();
      return true;
    },
    [update],
  );

  const stop = useCallback(() => {
    const current = run.current;
    if (!current) return;
    current.stopped = true;
    current.controller.abort();
  }, []);

  return { messages, streaming, error, send, stop };
}
