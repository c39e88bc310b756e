// Model endpoints (docs/MODELS.md): hub search and file lists, downloads with live progress,
// and the local registry. Admins only.

import { apiFetch, apiGet, apiSend } from './client.ts';
import { readSse } from './sse.ts';

export type HubSource = 'huggingface' | 'modelscope' | 'ollama';

export interface Hit {
  id: string;
  downloads: number | null;
  gguf: boolean;
  gated: boolean;
  size_bytes: number | null;
}

export interface RemoteFile {
  path: string;
  size_bytes: number;
  sha256: string | null;
  quantization: string | null;
  split: [number, number] | null;
}

export interface QuantGroup {
  quantization: string | null;
  size_bytes: number;
  files: string[];
}

export interface RepoFiles {
  repo: string;
  revision: string;
  files: RemoteFile[];
  groups: QuantGroup[];
}

export type DownloadStatus = 'pending' | 'downloading' | 'paused' | 'completed' | 'failed' | 'cancelled';

export interface Download {
  id: string;
  source: HubSource;
  repo: string;
  revision: string;
  label: string;
  status: DownloadStatus;
  error: string | null;
  total_bytes: number;
  downloaded_bytes: number;
  bytes_per_second: number;
  eta_seconds: number | null;
  model_id: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface LocalModel {
  id: string;
  name: string;
  path: string;
  format: 'gguf' | 'safetensors';
  size_bytes: number;
  parts: number;
  source: string;
  repo: string | null;
  architecture: string | null;
  parameters: number | null;
  quantization: string | null;
  context_length: number | null;
  chat_template: boolean;
  valid: boolean;
  error: string | null;
  created_at: string;
}

interface Items<T> {
  items: T[];
}

/** `GET /api/models/search`. */
export async function searchHub(source: HubSource, q: string, gguf: boolean, signal?: AbortSignal): Promise<Hit[]> {
  const query = new URLSearchParams({ source, q, gguf: String(gguf) });
  return (await apiGet<Items<Hit>>(`/api/models/search?${query}`, { signal })).items;
}

/** `GET /api/models/files`. */
export function repoFiles(source: HubSource, repo: string, signal?: AbortSignal): Promise<RepoFiles> {
  const query = new URLSearchParams({ source, repo });
  return apiGet<RepoFiles>(`/api/models/files?${query}`, { signal });
}

/** `POST /api/downloads`: a repository's files, or an Ollama model. */
export function startDownload(source: HubSource, repo: string, files: string[]): Promise<Download> {
  const body = source === 'ollama' ? { source, model: repo } : { source, repo, files };
  return apiSend<Download>('POST', '/api/downloads', body);
}

/** `GET /api/downloads`. */
export async function listDownloads(signal?: AbortSignal): Promise<Download[]> {
  return (await apiGet<Items<Download>>('/api/downloads', { signal })).items;
}

/** `POST /api/downloads/{id}/pause|resume|cancel`. */
export function actOnDownload(id: string, action: 'pause' | 'resume' | 'cancel'): Promise<Download> {
  return apiSend<Download>('POST', `/api/downloads/${encodeURIComponent(id)}/${action}`);
}

/** Follows `GET /api/downloads/events` until `signal` aborts; each event is one download. */
export async function followDownloads(onDownload: (download: Download) => void, signal: AbortSignal): Promise<void> {
  const response = await apiFetch('GET', '/api/downloads/events', undefined, {
    signal,
    headers: { Accept: 'text/event-stream' },
  });
  if (!response.body) return;
  for await (const event of readSse(response.body, signal)) {
    if (event.event !== 'download') continue;
    try {
      onDownload(JSON.parse(event.data) as Download);
    } catch {
      // A malformed event is skipped; the next one brings the whole state again.
    }
  }
}

/** `GET /api/models`. */
export async function listLocalModels(signal?: AbortSignal): Promise<LocalModel[]> {
  return (await apiGet<Items<LocalModel>>('/api/models', { signal })).items;
}

/** `DELETE /api/models/{id}`. */
export function deleteLocalModel(id: string): Promise<void> {
  return apiSend<void>('DELETE', `/api/models/${encodeURIComponent(id)}`);
}

/** `POST /api/models/import`: registers a GGUF file in place (under MODELS_DIR or an import directory). */
export function importModel(path: string): Promise<LocalModel> {
  return apiSend<LocalModel>('POST', '/api/models/import', { path });
}

/** `POST /api/models/rescan`: reads MODELS_DIR again. */
export async function rescanModels(): Promise<LocalModel[]> {
  return (await apiSend<Items<LocalModel>>('POST', '/api/models/rescan')).items;
}

/** A model the Ollama daemon at OLLAMA_HOST holds. */
export interface DaemonModel {
  name: string;
  size_bytes: number;
  digest: string;
  format: string | null;
  family: string | null;
  parameters: string | null;
  quantization: string | null;
  modified_at: string | null;
}

/** `GET /api/models/ollama` (409 when OLLAMA_HOST is not set). */
export function listDaemonModels(signal?: AbortSignal): Promise<{ host: string; items: DaemonModel[] }> {
  return apiGet<{ host: string; items: DaemonModel[] }>('/api/models/ollama', { signal });
}

/** `POST /api/downloads` with source `ollama_daemon`: the daemon pulls, we follow. */
export function pullThroughDaemon(model: string): Promise<Download> {
  return apiSend<Download>('POST', '/api/downloads', { source: 'ollama_daemon', model });
}

/** Bytes as `1.5 GB` (decimal units, as hubs show sizes). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
