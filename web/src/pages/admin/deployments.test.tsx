import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import i18n from '../../i18n/index.ts';
import type { Deployment } from '../../api/deployments.ts';
import type { LocalModel } from '../../api/models.ts';
import { ADMIN, USER, callsTo, errorResponse, jsonResponse, mockApi, renderApp, setSessionCookie } from '../../test/helpers.tsx';

beforeEach(async () => {
  await i18n.changeLanguage('en');
  setSessionCookie();
});

const MODEL: LocalModel = {
  id: 'm1', name: 'acme/Tiny-GGUF/tiny.Q4_K_M.gguf', path: 'huggingface/acme/Tiny-GGUF/tiny.Q4_K_M.gguf', format: 'gguf',
  size_bytes: 98_000_000, parts: 1, source: 'huggingface', repo: 'acme/Tiny-GGUF', architecture: 'llama', parameters: 135_000_000,
  quantization: 'Q4_K_M', context_length: 8192, chat_template: true, valid: true, error: null, created_at: '2026-12-07T10:00:00Z',
};

const RUNNING: Deployment = {
  id: 'd1', name: 'smol', model_id: 'm1', backend: 'builtin', command: [], status: 'running', should_run: true, port: 40123, pid: 777,
  restarts: 2, last_error: null, context_length: null, parallel: 4, threads: null, args: [], provider_id: 'p1', created_at: '2026-12-07T10:01:00Z',
};

describe('admin deployments', () => {
  it('deploys a model, lists it with status, port and restarts, stops it and shows its logs', async () => {
    let deployments: Deployment[] = [];
    const fetchMock = mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/models': () => jsonResponse({ items: [MODEL, { ...MODEL, id: 'm2', name: 'bad.gguf', valid: false }] }),
      'GET /api/deployments': () => jsonResponse({ items: deployments }),
      'POST /api/deployments': () => {
        deployments = [RUNNING];
        return jsonResponse({ ...RUNNING, status: 'stopped' }, 201);
      },
      'POST /api/deployments/d1/stop': () => {
        deployments = [{ ...RUNNING, status: 'stopped', should_run: false, port: null, pid: null }];
        return jsonResponse(deployments[0]);
      },
      'GET /api/deployments/d1/logs': () => jsonResponse({ lines: ['[supervisor] starting', 'engine: serving'] }),
    });
    renderApp('/admin/deployments');
    const model = await screen.findByTestId('deploy-model');
    expect(within(model).getAllByRole('option')).toHaveLength(1);
    expect(screen.getByTestId('deploy-name')).toHaveAttribute('placeholder', 'tiny.q4_k_m');
    await userEvent.type(screen.getByTestId('deploy-name'), 'smol');
    await userEvent.type(screen.getByTestId('deploy-threads'), '2');
    await userEvent.click(screen.getByTestId('deploy-submit'));
    await waitFor(() => expect(callsTo(fetchMock, 'POST /api/deployments')).toHaveLength(1));
    expect(callsTo(fetchMock, 'POST /api/deployments')[0].body).toEqual({ name: 'smol', model_id: 'm1', backend: 'builtin', threads: 2 });
    const row = await screen.findByTestId('deployment-row');
    expect(within(row).getByTestId('deployment-status')).toHaveTextContent('Running');
    expect(row).toHaveTextContent('port 40123 · 2 restarts');
    await userEvent.click(within(row).getByTestId('deployment-logs-toggle'));
    expect(await screen.findByTestId('deployment-logs')).toHaveTextContent('engine: serving');
    await userEvent.click(within(row).getByTestId('deployment-stop'));
    await waitFor(() => expect(screen.getByTestId('deployment-status')).toHaveTextContent('Stopped'));
    expect(screen.getByTestId('deployment-start')).toBeInTheDocument();
  });

  it('sends a custom command one argument per line and shows why the server refused', async () => {
    const fetchMock = mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/models': () => jsonResponse({ items: [MODEL] }),
      'GET /api/deployments': () => jsonResponse({ items: [{ ...RUNNING, status: 'failed', should_run: false, last_error: 'crashed 5 times within 10 minutes' }] }),
      'POST /api/deployments': () => errorResponse(409, 'conflict', 'the model needs about 2.00 GiB, 1.00 GiB of memory is free'),
    });
    renderApp('/admin/deployments');
    expect(await screen.findByTestId('deployment-last-error')).toHaveTextContent('crashed 5 times');
    await userEvent.selectOptions(screen.getByTestId('deploy-backend'), 'custom');
    await userEvent.type(screen.getByTestId('deploy-command'), 'llama-server{enter}-m{enter}{{model_path}');
    await userEvent.click(screen.getByTestId('deploy-submit'));
    expect(await screen.findByTestId('deploy-error')).toHaveTextContent('of memory is free');
    expect(callsTo(fetchMock, 'POST /api/deployments')[0].body).toMatchObject({ backend: 'custom', command: ['llama-server', '-m', '{model_path}'] });
  });

  it('is in Chinese too, and closed to users who are not admins', async () => {
    await i18n.changeLanguage('zh-CN');
    mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/models': () => jsonResponse({ items: [] }),
      'GET /api/deployments': () => jsonResponse({ items: [RUNNING] }),
    });
    const { unmount } = renderApp('/admin/deployments');
    expect(await screen.findByTestId('deployment-status')).toHaveTextContent('运行中');
    expect(screen.getByTestId('deploy-no-models')).toBeInTheDocument();
    expect(screen.getByTestId('admin-tab-deployments')).toHaveTextContent('部署');
    unmount();
    vi.unstubAllGlobals();
    mockApi({ 'GET /api/auth/profile': () => jsonResponse(USER) });
    renderApp('/admin/deployments');
    expect(await screen.findByTestId('forbidden')).toBeInTheDocument();
  });
});
