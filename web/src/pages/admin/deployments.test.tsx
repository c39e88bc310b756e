import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import i18n from '../../i18n/index.ts';
import type { Deployment } from '../../api/deployments.ts';
import { MODEL, RUNNING } from '../../test/deployments.ts';
import { FakeChatServer, message, session } from '../../test/chatServer.ts';
import { ADMIN, USER, callsTo, errorResponse, jsonResponse, mockApi, renderApp, setSessionCookie } from '../../test/helpers.tsx';
import { sseEvent, sseResponse } from '../../test/sse.ts';

beforeEach(async () => {
  await i18n.changeLanguage('en');
  setSessionCookie();
});

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
    expect(callsTo(fetchMock, 'POST /api/deployments')[0].body).toEqual({ name: 'smol', model_id: 'm1', backend: 'builtin', threads: 2, gpu: null });
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

  it('shows each replica with its own state and asks for replicas when deploying', async () => {
    const replica = { id: 'd1r2', name: 'smol#2', status: 'starting', port: 40124, pid: null, restarts: 1, last_error: 'the process exited with status 1' };
    const fetchMock = mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/models': () => jsonResponse({ items: [MODEL] }),
      'GET /api/deployments': () => jsonResponse({ items: [{ ...RUNNING, replicas: [replica] }] }),
      'POST /api/deployments': () => jsonResponse({ ...RUNNING, replicas: [replica] }, 201),
    });
    renderApp('/admin/deployments');
    const row = await screen.findByTestId('deployment-replica');
    expect(row).toHaveTextContent('smol#2');
    expect(row).toHaveTextContent('port 40124 · 1 restart');
    expect(row).toHaveTextContent('the process exited with status 1');
    await userEvent.type(screen.getByTestId('deploy-replicas'), '2');
    await userEvent.click(screen.getByTestId('deploy-submit'));
    await waitFor(() => expect(callsTo(fetchMock, 'POST /api/deployments')).toHaveLength(1));
    expect(callsTo(fetchMock, 'POST /api/deployments')[0].body).toMatchObject({ replicas: 2 });
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

  it('tries a running deployment in a new chat with its model picked', async () => {
    const server = new FakeChatServer();
    const fetchMock = mockApi({
      ...server.routes(),
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/models': () => jsonResponse({ items: [MODEL] }),
      'GET /api/deployments': () =>
        jsonResponse({ items: [RUNNING, { ...RUNNING, id: 'd2', name: 'idle', status: 'stopped', should_run: false, port: null }] }),
      'GET /api/llm/models': () => jsonResponse({ items: [{ id: 'fake-model' }, { id: 'smol' }] }),
      'POST /api/llm/chat': () => {
        server.sessions.push(session({ id: 's1', title: 'hi', model: 'smol' }));
        return sseResponse([
          sseEvent(1, 'start', { session_id: 's1', user_message_id: 'u1', assistant_message_id: 'a1' }),
          sseEvent(2, 'done', { message: message({ id: 'a1', role: 'assistant', content: 'Hello!', parent_id: 'u1', model: 'smol' }) }),
        ]);
      },
    });
    const { router } = renderApp('/admin/deployments');
    const tryIt = await screen.findByTestId('deployment-try-smol');
    expect(screen.queryByTestId('deployment-try-idle')).not.toBeInTheDocument();
    expect(tryIt).toHaveAttribute('href', '/chat?model=smol');
    await userEvent.click(tryIt);
    expect(router.state.location.pathname).toBe('/chat');
    await waitFor(() => expect(screen.getByTestId('composer-model')).toHaveValue('smol'));
    await userEvent.type(screen.getByTestId('composer-input'), 'hi{Enter}');
    await waitFor(() => expect(callsTo(fetchMock, 'POST /api/llm/chat')).toHaveLength(1));
    expect(callsTo(fetchMock, 'POST /api/llm/chat')[0]!.body).toMatchObject({ message: 'hi', model: 'smol' });
    await waitFor(() => expect(router.state.location.pathname).toBe('/chat/s1'));
  });
});
