// Deployment endpoints (docs/DEPLOYMENTS.md): local models served by the built-in engine or a
// command template, supervised, routed through /v1. Admins only.

import { apiGet, apiSend } from './client.ts';

export type DeploymentStatus = 'stopped' | 'starting' | 'running' | 'unhealthy' | 'failed';

export interface Deployment {
  id: string;
  name: string;
  model_id: string;
  backend: 'builtin' | 'llama_cpp' | 'custom' | (string & {});
  command: string[];
  status: DeploymentStatus | (string & {});
  should_run: boolean;
  port: number | null;
  pid: number | null;
  restarts: number;
  last_error: string | null;
  context_length: number | null;
  parallel: number;
  threads: number | null;
  args: string[];
  provider_id: string | null;
  created_at: string;
}

export interface NewDeployment {
  name: string;
  model_id: string;
  backend: 'builtin' | 'llama_cpp' | 'custom';
  command?: string[];
  context_length?: number;
  parallel?: number;
  threads?: number;
}

/** `GET /api/deployments`. */
export async function listDeployments(signal?: AbortSignal): Promise<Deployment[]> {
  return (await apiGet<{ items: Deployment[] }>('/api/deployments', { signal })).items;
}

/** `POST /api/deployments` (started at once). */
export function createDeployment(body: NewDeployment): Promise<Deployment> {
  return apiSend<Deployment>('POST', '/api/deployments', body);
}

/** `POST /api/deployments/{id}/start|stop|restart`. */
export function actOnDeployment(id: string, action: 'start' | 'stop' | 'restart'): Promise<Deployment> {
  return apiSend<Deployment>('POST', `/api/deployments/${encodeURIComponent(id)}/${action}`);
}

/** `DELETE /api/deployments/{id}`. */
export function deleteDeployment(id: string): Promise<void> {
  return apiSend<void>('DELETE', `/api/deployments/${encodeURIComponent(id)}`);
}

/** `GET /api/deployments/{id}/logs`: the last lines. */
export async function deploymentLogs(id: string, tail = 200, signal?: AbortSignal): Promise<string[]> {
  return (await apiGet<{ lines: string[] }>(`/api/deployments/${encodeURIComponent(id)}/logs?tail=${tail}`, { signal })).lines;
}
