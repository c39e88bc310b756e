// The caller's gateway API keys (`/api/keys`): `sk-llmm-…` keys for the OpenAI-compatible `/v1`
// endpoints. The full key is in the answer that created it and nowhere else; lists show a hint.

import { apiGet, apiSend } from './client.ts';

/** An API key as listed. */
export interface ApiKey {
  id: string;
  name: string;
  /** `sk-llmm-…a1b2`. */
  hint: string;
  /** Allow-list of model names; null or empty: every model. */
  models: string[] | null;
  /** RFC 3339; null: never expires. */
  expires_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

/** The answer of a create: the listed fields and, this once, the key itself. */
export interface NewApiKey extends ApiKey {
  key: string;
}

export interface ApiKeyInput {
  name: string;
  /** RFC 3339. */
  expires_at?: string;
  models?: string[];
}

/** `GET /api/keys` (revoked keys are not listed). */
export async function listApiKeys(signal?: AbortSignal): Promise<ApiKey[]> {
  const { items } = await apiGet<{ items: ApiKey[] }>('/api/keys', { signal });
  return items;
}

/** `POST /api/keys` → 201 with the full key. */
export function createApiKey(input: ApiKeyInput): Promise<NewApiKey> {
  return apiSend<NewApiKey>('POST', '/api/keys', input);
}

/** A change of a key: absent fields stay; null clears (`models`: all, `expires_at`: never). */
export interface ApiKeyUpdate {
  name?: string;
  expires_at?: string | null;
  models?: string[] | null;
}

/** `PATCH /api/keys/{id}` → the key as now stored. */
export function updateApiKey(id: string, update: ApiKeyUpdate): Promise<ApiKey> {
  return apiSend<ApiKey>('PATCH', `/api/keys/${encodeURIComponent(id)}`, update);
}

/** `DELETE /api/keys/{id}` → 204; the key stops working at once. */
export function revokeApiKey(id: string): Promise<void> {
  return apiSend<void>('DELETE', `/api/keys/${encodeURIComponent(id)}`);
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/**
 * The last second of the day `date` (`YYYY-MM-DD`, as an `<input type="date">` gives it) in the
 * browser's time zone, as RFC 3339 with the local offset: `2026-12-31T23:59:59+08:00`.
 * Null for anything that is not a real date.
 */
export function endOfLocalDay(date: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const end = new Date(year, month - 1, day, 23, 59, 59);
  if (end.getFullYear() !== year || end.getMonth() !== month - 1 || end.getDate() !== day) return null;
  const offset = -end.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T23:59:59${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
