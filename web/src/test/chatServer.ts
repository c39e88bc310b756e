// A fake of the chat API for the page tests: sessions, messages, personas and models kept in
// memory behind `mockApi` routes. Replies are left to each test (they decide how the stream
// arrives).

import type { ChatMessage, ChatSession, Persona } from '../api/chat.ts';
import { emptyResponse, jsonResponse, sessionRoutes } from './helpers.tsx';

type ApiRoutes = ReturnType<typeof sessionRoutes>;

const T0 = '2026-11-21T10:00:00Z';

export function session(over: Partial<ChatSession> & { id: string }): ChatSession {
  return {
    title: 'Untitled',
    persona_id: null,
    model: 'fake-model',
    system_prompt: null,
    params: null,
    tags: [],
    pinned: false,
    created_at: T0,
    updated_at: T0,
    ...over,
  };
}

export function message(over: Partial<ChatMessage> & { id: string }): ChatMessage {
  return {
    session_id: 's1',
    parent_id: null,
    role: 'user',
    content: '',
    status: 'complete',
    model: null,
    persona_id: null,
    prompt_tokens: null,
    completion_tokens: null,
    error: null,
    created_at: T0,
    updated_at: T0,
    ...over,
  };
}

export const PERSONAS: Persona[] = [
  { id: 'fox', name: 'Fox', description: 'Clever and playful', avatar: '🦊', system_prompt: 'You are a fox.', model: null, params: null, kind: 'builtin' },
  { id: 'dog', name: 'Dog', description: 'Loyal and warm', avatar: '🐶', system_prompt: 'You are a dog.', model: null, params: null, kind: 'builtin' },
  { id: 'snake', name: 'Snake', description: 'Calm and sharp', avatar: null, system_prompt: 'You are a snake.', model: null, params: null, kind: 'builtin' },
  { id: 'p-owl', name: 'Owl', description: 'Wise', avatar: '🦉', system_prompt: 'Hoot.', model: 'claude-fake', params: null, kind: 'own' },
];

export const MODELS = [{ id: 'fake-model' }, { id: 'claude-fake' }];

/** Ids the fake answers `/sessions/{id}` routes for (routes are exact paths). */
const KNOWN_IDS = ['s1', 's2', 's3', 's-new'];

export class FakeChatServer {
  sessions: ChatSession[];
  messages: Record<string, ChatMessage[]>;
  personas: Persona[] = [...PERSONAS];

  constructor(sessions: ChatSession[] = [], messages: Record<string, ChatMessage[]> = {}) {
    this.sessions = sessions;
    this.messages = messages;
  }

  /** The routes of a logged-in user plus the chat API. */
  routes(): ApiRoutes {
    const routes: ApiRoutes = {
      ...sessionRoutes(),
      'GET /api/llm/models': () => jsonResponse({ items: MODELS }),
      'GET /api/llm/personas': () => jsonResponse({ items: this.personas }),
      'GET /api/llm/sessions': ({ url }) => {
        const q = url.searchParams.get('q')?.toLowerCase() ?? '';
        const tag = url.searchParams.get('tag') ?? '';
        const items = this.sessions
          .filter((item) => !q || (item.title ?? '').toLowerCase().includes(q))
          .filter((item) => !tag || item.tags.includes(tag))
          .sort((a, b) => Number(b.pinned) - Number(a.pinned));
        return jsonResponse({ items, total: items.length, page: 1, per_page: 30 });
      },
      'GET /api/llm/messages': ({ url }) => {
        const items = this.messages[url.searchParams.get('session_id') ?? ''] ?? [];
        return jsonResponse({ items, total: items.length, page: 1, per_page: 100 });
      },
    };
    for (const id of KNOWN_IDS) {
      const path = `/api/llm/sessions/${id}`;
      const find = () => this.sessions.find((item) => item.id === id);
      const missing = () => jsonResponse({ error: { code: 'not_found', message: 'no such session', details: null } }, 404);
      routes[`GET ${path}`] = () => {
        const found = find();
        return found ? jsonResponse(found) : missing();
      };
      routes[`PATCH ${path}`] = ({ body }) => {
        const found = find();
        if (!found) return missing();
        Object.assign(found, body as object);
        return jsonResponse(found);
      };
      routes[`DELETE ${path}`] = () => {
        this.sessions = this.sessions.filter((item) => item.id !== id);
        return emptyResponse();
      };
      routes[`POST ${path}/stop`] = () => jsonResponse({ stopped: true });
      routes[`POST ${path}/share`] = () => jsonResponse({ token: `tok-${id}`, url: `/s/tok-${id}` }, 201);
      routes[`DELETE ${path}/share`] = () => emptyResponse();
      routes[`GET ${path}/stream`] = () => emptyResponse();
    }
    return routes;
  }
}
