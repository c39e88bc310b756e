// Deployment endpoints (docs/DEPLOYMENTS.md): local models served by the built-in engine,
// llama.cpp's server, vLLM, SGLang, the Ollama daemon or a command template, supervised, routed through /v1;
// and the resource estimate made before deploying. Admins and users with the `deployments`
// permission.

import { apiGet, apiSend } from './client.ts';

/** The backends a deployment can run on, in the order the form offers them. */
export const BACKENDS = ['builtin', 'llama_cpp', 'vllm', 'sglang', 'ollama', 'custom'] as const;
export type Backend = (typeof BACKENDS)[number];

export type DeploymentStatus = 'stopped' | 'starting' | 'running' | 'unhealthy' | 'failed';

export interface Deployment {
  id: string;
  name: string;
  model_id: string;
  backend: Backend | (string & {});
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
  /** The GPU given; null: CPU only or the server's choice (older servers leave it out). */
  gpu?: number | null;
  args: string[];
  provider_id: string | null;
  /** Processes beyond the first (`name#2`, …), each with its own state (older servers leave it out). */
  replicas?: Replica[];
  created_at: string;
}

/** One replica of a deployment beyond the first. */
export interface Replica {
  id: string;
  name: string;
  status: DeploymentStatus | (string & {});
  port: number | null;
  pid: number | null;
  restarts: number;
  last_error: string | null;
}

export interface NewDeployment {
  name: string;
  model_id: string;
  backend: Backend;
  /** For `custom`: the command, one argument per element. */
  command?: string[];
  context_length?: number;
  parallel?: number;
  threads?: number;
  /** The GPU's index; null for CPU only or the server's choice. */
  gpu?: number | null;
  /** Processes serving it (1-8); the gateway spreads requests over them. */
  replicas?: number;
}

/** Body of `POST /api/deployments/estimate`. */
export interface EstimateRequest {
  model_id: string;
  backend: Backend;
  context_length?: number | null;
  /** Requests decoded at once (their context is counted too). */
  parallel?: number;
  gpu?: number | null;
  /** Processes; each needs the memory of one. */
  replicas?: number;
}

/** A GPU as the estimate sees it. */
export interface EstimateGpu {
  index: number;
  name: string;
  memory_free_bytes: number;
  fits: boolean;
}

/** What a deployment would need, and whether it fits. */
export interface Estimate {
  /** The weights. */
  model_bytes: number;
  /** The context (KV cache) at the chosen length. */
  context_bytes: number;
  required_bytes: number;
  /** Free memory of the host; null when unknown. */
  memory_available_bytes: number | null;
  /** The GPU chosen (by free memory when none was given); null for the CPU. */
  gpu: number | null;
  gpus: EstimateGpu[];
  fits: boolean;
  /** Why it does not fit, with numbers. */
  message: string | null;
}

/** `GET /api/deployments`. */
export async function listDeployments(signal?: AbortSignal): Promise<Deployment[]> {
  return (await apiGet<{ items: Deployment[] }>('/api/deployments', { signal })).items;
}

/** `POST /api/deployments` (started at once). */
export function createDeployment(body: NewDeployment): Promise<Deployment> {
  return apiSend<Deployment>('POST', '/api/deployments', body);
}

/** `POST /api/deployments/estimate`: what deploying would need, without deploying. */
export function estimateDeployment(body: EstimateRequest, signal?: AbortSignal): Promise<Estimate> {
  return apiSend<Estimate>('POST', '/api/deployments/estimate', body, { signal });
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
