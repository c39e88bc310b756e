// System endpoints: server facts (`/api/system/info`) and readiness (`/ready`).

import { ApiError, apiGet } from './client.ts';

/** Database engines the server can run on. */
export type DatabaseBackend = 'sqlite' | 'postgres';

/** `GET /api/system/info`. */
export interface SystemInfo {
  name: string;
  version: string;
  database_backend: DatabaseBackend | (string & {});
  redis_configured: boolean;
  /** RFC 3339 timestamp. */
  started_at: string;
  uptime_seconds: number;
  /** RFC 3339 timestamp of the installation's first start, if recorded. */
  installed_at?: string | null;
}

/** Value of one readiness check. */
export type CheckValue = 'ok' | 'error' | 'pending' | 'disabled';

/** Checks the UI lists, in order. */
export const READINESS_CHECKS = ['database', 'migrations', 'redis'] as const;
export type ReadinessCheck = (typeof READINESS_CHECKS)[number];

/** `GET /ready`: 200 when ready, 503 with the same shape when not. */
export interface Readiness {
  status: 'ready' | 'not_ready';
  checks: Partial<Record<ReadinessCheck, CheckValue>> & Record<string, string>;
}

/** Fetches the server facts. */
export function getSystemInfo(signal?: AbortSignal): Promise<SystemInfo> {
  return apiGet<SystemInfo>('/api/system/info', { signal });
}

function isReadiness(body: unknown): body is Readiness {
  if (typeof body !== 'object' || body === null) return false;
  const { status, checks } = body as { status?: unknown; checks?: unknown };
  return (status === 'ready' || status === 'not_ready') && typeof checks === 'object' && checks !== null;
}

/** Fetches readiness; a 503 "not ready" answer resolves with its checks instead of failing. */
export async function getReadiness(signal?: AbortSignal): Promise<Readiness> {
  const body = await apiGet<unknown>('/ready', { signal, acceptStatuses: [503] });
  if (!isReadiness(body)) {
    throw new ApiError({ status: 0, code: 'invalid_response', message: 'Unexpected /ready response' });
  }
  return body;
}
