// Upstream providers (docs/GATEWAY.md): shared ones under `/api/admin/providers` (admins), the
// caller's personal ones under `/api/providers`, and the per-provider actions (keys, test, model
// refresh), which live under `/api/providers/{id}` for both (an admin reaches shared ones there).
// Responses never carry a provider key, only its hint (`sk-…a1b2`).

import { apiGet, apiSend } from './client.ts';

/** Wire formats the gateway speaks, in the order the UI offers them. */
export const PROVIDER_KINDS = ['openai', 'azure_openai', 'openrouter', 'anthropic', 'gemini', 'ollama', 'openai_compatible'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** Base URL the server uses when none is given; the kinds without one need a base URL. */
export const DEFAULT_BASE_URLS: Readonly<Partial<Record<ProviderKind, string>>> = {
  openai: 'https://api.openai.com/v1',
  openrouter: 'https://openrouter.ai/api/v1',
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com',
  ollama: 'http://127.0.0.1:11434',
};

export function isProviderKind(value: unknown): value is ProviderKind {
  return (PROVIDER_KINDS as readonly unknown[]).includes(value);
}

/** Whether a provider of `kind` must be given a base URL. */
export function needsBaseUrl(kind: ProviderKind): boolean {
  return DEFAULT_BASE_URLS[kind] === undefined;
}

/** Whether a provider of `kind` must be given an `api_version` (Azure). */
export function needsApiVersion(kind: ProviderKind): boolean {
  return kind === 'azure_openai';
}

/** Whether a provider of `kind` needs an API key (Ollama and compatible servers may run without). */
export function needsApiKey(kind: ProviderKind): boolean {
  return kind !== 'ollama' && kind !== 'openai_compatible';
}

/** One stored key of a provider: only its hint is ever shown. */
export interface ProviderKeyInfo {
  id: string;
  /** First three and last four characters, e.g. `sk-…a1b2`. */
  hint: string;
  enabled: boolean;
  created_at: string;
}

/** Parameters applied when a request does not set them; null: the upstream's default. */
export interface DefaultParams {
  temperature: number | null;
  max_tokens: number | null;
  top_p: number | null;
}

/** `shared`: managed by admins, usable by everybody; `personal`: the caller's own. */
export type ProviderOwner = 'shared' | 'personal';

export interface Provider {
  id: string;
  name: string;
  kind: ProviderKind | (string & {});
  base_url: string | null;
  api_version: string | null;
  owner: ProviderOwner;
  /** Always `[]` for a shared provider listed to a user. */
  keys: ProviderKeyInfo[];
  /** Upstream model names it serves. */
  models: string[];
  /** Public name → upstream model (for Azure: the deployment). */
  model_aliases: Record<string, string>;
  default_params: DefaultParams;
  timeout_secs: number;
  priority: number;
  weight: number;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

/** Body of a create; the server fills what is left out. */
export interface ProviderInput {
  name: string;
  kind: ProviderKind;
  base_url?: string | null;
  api_version?: string | null;
  api_key?: string;
  api_keys?: string[];
  models?: string[];
  model_aliases?: Record<string, string>;
  default_params?: Partial<DefaultParams>;
  timeout_secs?: number;
  priority?: number;
  weight?: number;
  enabled?: boolean;
}

/** Body of a PATCH: the same fields but keys; `null` clears an optional field. */
export type ProviderPatch = Partial<Omit<ProviderInput, 'api_key' | 'api_keys'>>;

/** Answer of `POST /api/providers/{id}/test`: a real one-token call. */
export type ProviderTestResult =
  | { ok: true; model: string; latency_ms: number; reply: string }
  | { ok: false; model: string; latency_ms: number; error: string };

/** Which collection a call goes to: shared providers (admins) or the caller's. */
export type ProviderScope = 'admin' | 'user';

function collection(scope: ProviderScope): string {
  return scope === 'admin' ? '/api/admin/providers' : '/api/providers';
}

function one(scope: ProviderScope, id: string): string {
  return `${collection(scope)}/${encodeURIComponent(id)}`;
}

/** Fills the fields an older server does not send. */
export function normalizeProvider(raw: Provider): Provider {
  return {
    ...raw,
    base_url: raw.base_url ?? null,
    api_version: raw.api_version ?? null,
    keys: raw.keys ?? [],
    models: raw.models ?? [],
    model_aliases: raw.model_aliases ?? {},
    default_params: {
      temperature: raw.default_params?.temperature ?? null,
      max_tokens: raw.default_params?.max_tokens ?? null,
      top_p: raw.default_params?.top_p ?? null,
    },
  };
}

/**
 * `GET /api/admin/providers` (admin: the shared providers) or `GET /api/providers` (user: own
 * personal providers, then the enabled shared ones).
 */
export async function listProviders(scope: ProviderScope, signal?: AbortSignal): Promise<Provider[]> {
  const { items } = await apiGet<{ items: Provider[] }>(collection(scope), { signal });
  return items.map(normalizeProvider);
}

/** `GET /api/admin/providers/{id}` or `GET /api/providers/{id}`. */
export async function getProvider(scope: ProviderScope, id: string, signal?: AbortSignal): Promise<Provider> {
  return normalizeProvider(await apiGet<Provider>(one(scope, id), { signal }));
}

/** `POST` to the collection → 201; 422 names the field, 409 a name already taken. */
export async function createProvider(scope: ProviderScope, input: ProviderInput): Promise<Provider> {
  return normalizeProvider(await apiSend<Provider>('POST', collection(scope), input));
}

/** `PATCH /…/{id}` with only the fields that change. */
export async function updateProvider(scope: ProviderScope, id: string, patch: ProviderPatch): Promise<Provider> {
  return normalizeProvider(await apiSend<Provider>('PATCH', one(scope, id), patch));
}

/** `DELETE /…/{id}`. */
export function deleteProvider(scope: ProviderScope, id: string): Promise<void> {
  return apiSend<void>('DELETE', one(scope, id));
}

/** `POST /api/providers/{id}/keys` → 201 with the provider (the new key as a hint). */
export async function addProviderKey(id: string, apiKey: string): Promise<Provider> {
  return normalizeProvider(await apiSend<Provider>('POST', `${one('user', id)}/keys`, { api_key: apiKey }));
}

/** `DELETE /api/providers/{id}/keys/{keyId}` → the provider without that key. */
export async function deleteProviderKey(id: string, keyId: string): Promise<Provider> {
  return normalizeProvider(await apiSend<Provider>('DELETE', `${one('user', id)}/keys/${encodeURIComponent(keyId)}`));
}

/** `POST /api/providers/{id}/test`; an upstream failure is `ok: false`, not an error. */
export function testProvider(id: string, model?: string): Promise<ProviderTestResult> {
  return apiSend<ProviderTestResult>('POST', `${one('user', id)}/test`, model ? { model } : {});
}

/** `POST /api/providers/{id}/models/refresh`: replaces `models` with what the upstream lists. */
export async function refreshProviderModels(id: string): Promise<Provider> {
  return normalizeProvider(await apiSend<Provider>('POST', `${one('user', id)}/models/refresh`));
}
