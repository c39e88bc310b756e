import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import i18n from '../i18n/index.ts';
import { NOT_READY, SYSTEM_INFO, jsonResponse, mockFetch, mockStatusServer, renderApp } from '../test/helpers.tsx';

describe('System Status page', () => {
  beforeEach(async () => {
    await i18n.changeLanguage('en');
  });
  afterEach(async () => {
    vi.useRealTimers();
    await i18n.changeLanguage('en');
  });

  it('shows the server facts and readiness in English', async () => {
    const fetchMock = mockStatusServer();
    renderApp('/status');

    expect(await screen.findByTestId('status-version')).toHaveTextContent('0.1.0');
    expect(screen.getByTestId('status-name')).toHaveTextContent('LLM Manager');
    expect(screen.getByTestId('status-backend')).toHaveTextContent(/^SQLite$/);
    expect(screen.getByTestId('status-redis')).toHaveTextContent('Not configured');
    expect(screen.getByTestId('status-uptime')).toHaveTextContent('1 h 2 min 5 s');
    expect(screen.getByTestId('status-started-at').querySelector('time')).toHaveAttribute(
      'datetime',
      '2026-11-21T22:00:00Z',
    );
    expect(screen.getByTestId('status-installed-at').querySelector('time')).toHaveAttribute(
      'datetime',
      '2026-11-01T08:30:00Z',
    );
    expect(await screen.findByTestId('status-ready')).toHaveTextContent(/^Ready$/);
    expect(screen.getByTestId('status-check-database')).toHaveTextContent('OK');
    expect(screen.getByTestId('status-check-migrations')).toHaveTextContent('OK');
    expect(screen.getByTestId('status-check-redis')).toHaveTextContent('Disabled');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('System status');
    expect(document.title).toBe('System status · LLM Manager');

    const paths = fetchMock.mock.calls.map(([path]) => path).sort();
    expect(paths).toEqual(['/api/system/info', '/ready']);
  });

  it('shows the same data in Chinese', async () => {
    await i18n.changeLanguage('zh-CN');
    mockStatusServer({ ...SYSTEM_INFO, database_backend: 'postgres', redis_configured: true, uptime_seconds: 90_061 });
    renderApp('/status');

    expect(await screen.findByTestId('status-backend')).toHaveTextContent('PostgreSQL');
    expect(screen.getByTestId('status-redis')).toHaveTextContent('已配置');
    expect(screen.getByTestId('status-uptime')).toHaveTextContent('1 天 1 小时 1 分钟');
    expect(await screen.findByTestId('status-ready')).toHaveTextContent('就绪');
    expect(screen.getByTestId('status-check-database')).toHaveTextContent('正常');
    expect(screen.getByTestId('status-check-redis')).toHaveTextContent('未启用');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('系统状态');
    expect(screen.getByRole('button', { name: /刷新/ })).toBeInTheDocument();
  });

  it('shows "not ready" and each failing check from a 503 answer', async () => {
    mockStatusServer(SYSTEM_INFO, NOT_READY, 503);
    renderApp('/status');

    expect(await screen.findByTestId('status-ready')).toHaveTextContent('Not ready');
    expect(screen.getByTestId('status-check-database')).toHaveTextContent('Error');
    expect(screen.getByTestId('status-check-migrations')).toHaveTextContent('Pending');
    expect(screen.getByTestId('status-check-redis')).toHaveTextContent('OK');
    // Server facts still load.
    expect(screen.getByTestId('status-version')).toHaveTextContent('0.1.0');
  });

  it('shows the API error message and request id', async () => {
    mockFetch({
      '/api/system/info': () =>
        jsonResponse({ error: { code: 'internal', message: 'database is locked', details: null } }, 500, 'req-abc-123'),
      '/ready': () => Promise.reject(new TypeError('Failed to fetch')),
    });
    renderApp('/status');

    const infoError = await screen.findByTestId('status-info-error');
    expect(infoError).toHaveTextContent('database is locked');
    expect(infoError).toHaveTextContent('Request ID: req-abc-123');
    expect(screen.queryByTestId('status-version')).not.toBeInTheDocument();

    const readyError = await screen.findByTestId('status-ready-error');
    expect(readyError).toHaveTextContent('The server could not be reached');
    expect(screen.getAllByRole('alert')).toHaveLength(2);
  });

  it('shows a loading state until the answers arrive', async () => {
    let answer: (response: Response) => void = () => {};
    mockFetch({
      '/api/system/info': () => new Promise<Response>((resolve) => (answer = resolve)),
      '/ready': () => jsonResponse({ status: 'ready', checks: { database: 'ok', migrations: 'ok', redis: 'ok' } }),
    });
    renderApp('/status');

    const serverCard = screen.getByRole('region', { name: 'Server' });
    expect(within(serverCard).getByText('Loading…')).toBeInTheDocument();
    await act(async () => answer(jsonResponse(SYSTEM_INFO)));
    expect(await within(serverCard).findByTestId('status-version')).toHaveTextContent('0.1.0');
  });

  it('reloads on Refresh', async () => {
    let version = '0.1.0';
    const fetchMock = mockFetch({
      '/api/system/info': () => jsonResponse({ ...SYSTEM_INFO, version }),
      '/ready': () => jsonResponse({ status: 'ready', checks: { database: 'ok', migrations: 'ok', redis: 'disabled' } }),
    });
    renderApp('/status');
    expect(await screen.findByTestId('status-version')).toHaveTextContent('0.1.0');
    const callsBefore = fetchMock.mock.calls.length;

    version = '0.2.0';
    await userEvent.click(screen.getByRole('button', { name: 'Refresh' }));

    await waitFor(() => expect(screen.getByTestId('status-version')).toHaveTextContent('0.2.0'));
    expect(fetchMock.mock.calls.length).toBe(callsBefore + 2);
  });

  it('reloads by itself every 10 seconds', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let ready: unknown = { status: 'ready', checks: { database: 'ok', migrations: 'ok', redis: 'disabled' } };
    let readyStatus = 200;
    mockFetch({
      '/api/system/info': () => jsonResponse(SYSTEM_INFO),
      '/ready': () => jsonResponse(ready, readyStatus),
    });
    renderApp('/status');
    expect(await screen.findByTestId('status-ready')).toHaveTextContent(/^Ready$/);

    ready = NOT_READY;
    readyStatus = 503;
    await act(async () => {
      vi.advanceTimersByTime(9_000);
    });
    expect(screen.getByTestId('status-ready')).toHaveTextContent(/^Ready$/);
    await act(async () => {
      vi.advanceTimersByTime(1_000);
    });
    await waitFor(() => expect(screen.getByTestId('status-ready')).toHaveTextContent('Not ready'));
  });
});
