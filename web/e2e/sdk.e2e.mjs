#!/usr/bin/env node
// The official `openai` Python SDK, unchanged, against the gateway: runs
// tests/sdk/openai_sdk_check.py with the API key the providers suite created in the browser,
// for the OpenAI-compatible and the Anthropic provider the admin added there (chat, streaming,
// models, embeddings, errors). Needs SDK_PYTHON (a Python with the `openai` package from
// tests/sdk/requirements.txt; scripts/test.sh makes a venv) and runs after providers.e2e.mjs.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert } from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = path.join(ROOT, 'tests', 'sdk', 'openai_sdk_check.py');

function run(command, args, env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => resolve({ code: -1, output: `${output}\n${error.message}` }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

export function defineSdkChecks(ctx) {
  return [
    {
      name: 'the official openai Python SDK chats, streams, lists models and embeds through /v1 with each provider',
      async run() {
        const python = process.env.SDK_PYTHON;
        assert(python, 'SDK_PYTHON is not set (a Python with the openai package)');
        const p = ctx.providers;
        assert(p?.apiKey, 'the providers suite left no API key');
        const { code, output } = await run(python, [SCRIPT], {
          OPENAI_BASE_URL: p.gatewayUrl,
          OPENAI_API_KEY: p.apiKey,
          SDK_CHAT_MODELS: `${p.providers.openai.model},${p.providers.anthropic.model}`,
          SDK_EMBED_MODEL: p.providers.openai.model,
        });
        console.log(output.trimEnd().split('\n').map((line) => `      sdk: ${line}`).join('\n'));
        assert(code === 0, `the SDK check failed (exit ${code})`);
        assert(/\b0 failed\b/.test(output), 'the SDK check printed no summary');
      },
    },
  ];
}
