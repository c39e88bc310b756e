import { act, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import i18n from '../i18n/index.ts';
import { FakeChatServer } from '../test/chatServer.ts';
import { ADMIN, USER, callsTo, errorResponse, jsonResponse, mockApi, renderApp, setSessionCookie } from '../test/helpers.tsx';
import { ALERT_POLL_MS } from './MonitorAlertBanner.tsx';

beforeEach(async () => {
  await i18n.changeLanguage('en');
  setSessionCookie();
});

afterEach(() => {
  vi.useRealTimers();
});

const SINCE = '2026-12-07T10:00:00Z';
const MEMORY = { kind: 'memory', subject: 'memory', percent: 93.2, threshold: 90, since: SINCE };
const DISK = { kind: 'disk', subject: '/data', percent: 95, threshold: 90, since: SINCE };

/** The chat of `user`, with `alerts` answering the alerts. */
function chatAs(user: unknown, alerts: () => Response) {
  return mockApi({
    ...new FakeChatServer().routes(),
    'GET /api/auth/profile': () => jsonResponse(user),
    'GET /api/monitor/alerts': alerts,
  });
}

describe('resource alert banner', () => {
  it('shows the alerts in force on every page, the chat too, with a link to the System page', async () => {
    chatAs(ADMIN, () => jsonResponse({ alerts: [MEMORY, DISK] }));
    renderApp('/chat');
    const banner = await screen.findByTestId('monitor-alert-banner');
    expect(within(banner).getAllByTestId('monitor-alert').map((li) => li.textContent)).toEqual([
      'Memory is 93% used (alert at 90%)',
      'Disk /data is 95% full (alert at 90%)',
    ]);
    expect(within(banner).getByRole('link', { name: 'Open System' })).toHaveAttribute('href', '/admin/system');
    expect(screen.getByTestId('chat-page')).toBeInTheDocument();
  });

  it('is in Chinese too, and for users with the deployments permission', async () => {
    await i18n.changeLanguage('zh-CN');
    chatAs({ ...USER, permissions: ['deployments'] }, () => jsonResponse({ alerts: [DISK] }));
    renderApp('/status');
    expect(await screen.findByTestId('monitor-alert')).toHaveTextContent('磁盘 /data 已用 95%（告警阈值 90%）');
  });

  it('polls every 30 seconds and goes away with the alerts', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let alerts = [MEMORY];
    const fetchMock = chatAs(ADMIN, () => jsonResponse({ alerts }));
    renderApp('/status');
    expect(await screen.findByTestId('monitor-alert-banner')).toBeInTheDocument();
    alerts = [];
    await act(async () => {
      vi.advanceTimersByTime(ALERT_POLL_MS);
    });
    await waitFor(() => expect(screen.queryByTestId('monitor-alert-banner')).not.toBeInTheDocument());
    expect(callsTo(fetchMock, 'GET /api/monitor/alerts')).toHaveLength(2);
  });

  it('is not shown when nothing is past its threshold', async () => {
    const fetchMock = chatAs(ADMIN, () => jsonResponse({ alerts: [] }));
    renderApp('/status');
    await waitFor(() => expect(callsTo(fetchMock, 'GET /api/monitor/alerts')).toHaveLength(1));
    await screen.findByTestId('status-version');
    expect(screen.queryByTestId('monitor-alert-banner')).not.toBeInTheDocument();
  });

  it('is not asked for by a plain user', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const fetchMock = chatAs(USER, () => jsonResponse({ alerts: [MEMORY] }));
    renderApp('/chat');
    await screen.findByTestId('chat-page');
    await act(async () => {
      vi.advanceTimersByTime(ALERT_POLL_MS * 2);
    });
    expect(callsTo(fetchMock, 'GET /api/monitor/alerts')).toHaveLength(0);
    expect(screen.queryByTestId('monitor-alert-banner')).not.toBeInTheDocument();
  });

  it('stops polling after a 403', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const fetchMock = chatAs(ADMIN, () => errorResponse(403, 'forbidden', 'not allowed'));
    renderApp('/status');
    // Nothing on the page changes with the answer: wait on the calls (vi.waitFor copes with the fake timers).
    await vi.waitFor(() => expect(callsTo(fetchMock, 'GET /api/monitor/alerts')).toHaveLength(1));
    await act(async () => {
      vi.advanceTimersByTime(ALERT_POLL_MS * 3);
    });
    expect(callsTo(fetchMock, 'GET /api/monitor/alerts')).toHaveLength(1);
    expect(screen.queryByTestId('monitor-alert-banner')).not.toBeInTheDocument();
  });
});
