import { screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import i18n from '../../i18n/index.ts';
import { ADMIN, USER, errorResponse, jsonResponse, mockApi, renderApp, setSessionCookie } from '../../test/helpers.tsx';
import { L4, NO_GPUS, SMOL_PROCESS, sample } from '../../test/monitor.ts';
import { controlledSse, sseEvent } from '../../test/sse.ts';
import { appendSample, WINDOW_MS } from './system/points.ts';

beforeEach(async () => {
  await i18n.changeLanguage('en');
  setSessionCookie();
});

const T1 = '2026-12-07T10:00:00Z';
const T2 = '2026-12-07T10:00:05Z';
const T3 = '2026-12-07T10:00:10Z';

function monitorRoutes(user: unknown, events = controlledSse(), gpus: unknown = NO_GPUS) {
  return {
    'GET /api/auth/profile': () => jsonResponse(user),
    'GET /api/monitor/history': () => jsonResponse({ interval_seconds: 5, samples: [sample(T1, { host: { cpu_percent: 50 } }), sample(T2)] }),
    'GET /api/monitor/alerts': () => jsonResponse({ alerts: [] }),
    'GET /api/monitor/gpus': () => jsonResponse(gpus),
    'GET /api/monitor/events': () => events.response,
  };
}

describe('admin system page', () => {
  it('shows the last sample of the history in words, with charts and the note that there is no GPU', async () => {
    mockApi(monitorRoutes(ADMIN));
    renderApp('/admin/system');
    expect(await screen.findByTestId('system-cpu-now')).toHaveTextContent('CPU 12% of 2 cores · load average 0.52 · 0.40 · 0.31');
    expect(screen.getByTestId('system-memory-now')).toHaveTextContent('Memory 3.1 GiB of 23.4 GiB · 20.0 GiB available · swap 0 B of 4.0 GiB');
    const disk = within(screen.getByTestId('system-disks')).getByTestId('system-disk');
    expect(disk).toHaveTextContent('/data45% used · 55.0 GiB free of 100 GiB');
    expect(within(disk).getByRole('progressbar', { name: 'Use of /data' })).toHaveAttribute('value', '45');
    expect(screen.getByTestId('system-network-now')).toHaveTextContent('Receiving 1.5 KiB/s, sending 512 B/s');
    expect(screen.getByTestId('system-no-gpu')).toHaveTextContent('No NVIDIA GPU found — NVML is not installed');
    expect(screen.getByTestId('system-deployment')).toHaveTextContent('smol (pid 777): CPU 35%, memory 512 MiB');
    expect(screen.getByTestId('system-intro')).toHaveTextContent('a sample every 5 s');
    expect(await screen.findByTestId('chart-cpu')).toHaveTextContent('CPU use');
    expect(screen.getByTestId('chart-deployment-rss')).toBeInTheDocument();
    expect(screen.getByTestId('admin-tab-system')).toHaveAttribute('aria-current', 'page');
  });

  it('appends the live samples and marks what an alert is about', async () => {
    const events = controlledSse();
    mockApi(monitorRoutes(ADMIN, events));
    renderApp('/admin/system');
    await screen.findByTestId('system-cpu-now');
    await waitFor(() => expect(screen.getByTestId('system-live')).toHaveTextContent('Live'));

    events.push(sseEvent(1, 'sample', sample(T3, { host: { cpu_percent: 80, memory_used_bytes: 22 * 1024 ** 3 }, deployments: [] })));
    await waitFor(() => expect(screen.getByTestId('system-cpu-now')).toHaveTextContent('CPU 80% of 2 cores'));
    expect(screen.getByTestId('system-memory-now')).toHaveTextContent('Memory 22.0 GiB of 23.4 GiB');
    expect(screen.getByTestId('system-no-deployments')).toHaveTextContent('No deployment is running.');
    expect(screen.getByTestId('system-memory-now')).not.toHaveClass('monitor-alerted');

    events.push(sseEvent(2, 'alerts', { alerts: [{ kind: 'memory', subject: 'memory', percent: 94, threshold: 90, since: T3 }] }));
    await waitFor(() => expect(screen.getByTestId('system-memory-now')).toHaveClass('monitor-alerted'));
    // A sample the page already has is not added twice.
    events.push(sseEvent(3, 'sample', sample(T2, { host: { cpu_percent: 5 } })));
    events.push(sseEvent(4, 'sample', sample('2026-12-07T10:00:15Z', { host: { cpu_percent: 7 } })));
    await waitFor(() => expect(screen.getByTestId('system-cpu-now')).toHaveTextContent('CPU 7% of 2 cores'));
  });

  it('shows each GPU with its use, memory, temperature and power', async () => {
    const gpus = { available: true, reason: null, gpus: [L4] };
    mockApi({
      ...monitorRoutes(ADMIN, controlledSse(), gpus),
      'GET /api/monitor/history': () => jsonResponse({ interval_seconds: 5, samples: [sample(T1, { gpus: [L4] })] }),
    });
    renderApp('/admin/system');
    expect(await screen.findByTestId('system-gpu')).toHaveTextContent('GPU 0 · NVIDIA L4: 45% busy, memory 10.0 GiB of 22.0 GiB · 60 °C · 72 W');
    expect(screen.queryByTestId('system-no-gpu')).not.toBeInTheDocument();
    expect(await screen.findByTestId('chart-gpu-0')).toHaveTextContent('GPU 0 · NVIDIA L4');
  });

  it('shows why the history could not be loaded', async () => {
    mockApi({ ...monitorRoutes(ADMIN), 'GET /api/monitor/history': () => errorResponse(500, 'internal', 'the monitor is not running') });
    renderApp('/admin/system');
    expect(await screen.findByTestId('system-error')).toHaveTextContent('the monitor is not running');
  });

  it('is open to users with the deployments permission, with only their tabs, and in Chinese', async () => {
    await i18n.changeLanguage('zh-CN');
    mockApi(monitorRoutes({ ...USER, permissions: ['deployments'] }));
    const { router } = renderApp('/admin/system');
    expect(await screen.findByTestId('system-cpu-now')).toHaveTextContent('CPU 12%（共 2 核）');
    expect(screen.getByTestId('system-no-gpu')).toHaveTextContent('未找到 NVIDIA GPU — NVML is not installed');
    expect(screen.getByTestId('admin-tab-system')).toHaveTextContent('系统');
    expect(screen.getByTestId('admin-tab-deployments')).toBeInTheDocument();
    expect(screen.queryByTestId('admin-tab-users')).not.toBeInTheDocument();
    expect(screen.queryByTestId('admin-tab-models')).not.toBeInTheDocument();
    expect(screen.getByTestId('nav-deployments')).toHaveAttribute('href', '/admin/deployments');
    await router.navigate('/admin/users');
    expect(await screen.findByTestId('forbidden')).toBeInTheDocument();
  });

  it('is closed to other users', async () => {
    mockApi(monitorRoutes({ ...USER, permissions: ['models'] }));
    renderApp('/admin/system');
    expect(await screen.findByTestId('forbidden')).toBeInTheDocument();
    expect(screen.queryByTestId('nav-deployments')).not.toBeInTheDocument();
  });
});

describe('monitor samples', () => {
  it('keeps an hour, oldest first, and ignores a sample that is not newer', () => {
    const start = Date.parse(T1);
    const at = (ms: number) => new Date(start + ms).toISOString();
    let samples = [sample(at(0)), sample(at(5_000))];
    samples = appendSample(samples, sample(at(5_000)));
    expect(samples).toHaveLength(2);
    samples = appendSample(samples, sample(at(WINDOW_MS + 1_000), { deployments: [SMOL_PROCESS] }));
    expect(samples.map((s) => s.at)).toEqual([at(5_000), at(WINDOW_MS + 1_000)]);
  });
});
