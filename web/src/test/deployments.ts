// Test data of the deployments pages: a local model and a running deployment of it.

import type { Deployment } from '../api/deployments.ts';
import type { LocalModel } from '../api/models.ts';

export const MODEL: LocalModel = {
  id: 'm1', name: 'acme/Tiny-GGUF/tiny.Q4_K_M.gguf', path: 'huggingface/acme/Tiny-GGUF/tiny.Q4_K_M.gguf', format: 'gguf',
  size_bytes: 98_000_000, parts: 1, source: 'huggingface', repo: 'acme/Tiny-GGUF', architecture: 'llama', parameters: 135_000_000,
  quantization: 'Q4_K_M', context_length: 8192, chat_template: true, valid: true, error: null, created_at: '2026-12-07T10:00:00Z',
};

export const RUNNING: Deployment = {
  id: 'd1', name: 'smol', model_id: 'm1', backend: 'builtin', command: [], status: 'running', should_run: true, port: 40123, pid: 777,
  restarts: 2, last_error: null, context_length: null, parallel: 4, threads: null, gpu: null, args: [], provider_id: 'p1', created_at: '2026-12-07T10:01:00Z',
};
