// Resource monitor endpoints under `/api/monitor`: the host (CPU, memory, disks, network), its
// NVIDIA GPUs, the deployments' processes, an hour of history, a live stream of samples and the
// memory and disk alerts in force. Admins and users with the `deployments` permission.

import { apiFetch, apiGet } from './client.ts';
import { readSse } from './sse.ts';

/** One file system. */
export interface DiskSample {
  mount: string;
  total_bytes: number;
  /** Free for the server's user. */
  available_bytes: number;
  /** What of the server's it holds: `data`, `models`. */
  holds?: string[];
}

/** The host at one moment. */
export interface HostSample {
  /** RFC 3339. */
  at: string;
  /** Busy share of all cores, 0-100. */
  cpu_percent: number;
  cpu_count: number;
  /** Over 1, 5 and 15 minutes. */
  load_average: [number, number, number];
  memory_total_bytes: number;
  memory_used_bytes: number;
  memory_available_bytes: number;
  swap_total_bytes: number;
  swap_used_bytes: number;
  disks: DiskSample[];
  network_rx_bytes_per_second: number;
  network_tx_bytes_per_second: number;
}

/** A memory or disk threshold passed. */
export interface Alert {
  kind: 'memory' | 'disk' | (string & {});
  /** `memory`, or the disk's mount point. */
  subject: string;
  /** How full, 0-100. */
  percent: number;
  /** The threshold, 0-100. */
  threshold: number;
  since: string;
}

/** `GET /api/monitor/host`: the last sample and the alerts in force. */
export type HostSnapshot = HostSample & { alerts: Alert[] };

/** One NVIDIA GPU at one moment. */
export interface Gpu {
  index: number;
  name: string;
  uuid: string;
  utilization_percent: number;
  memory_total_bytes: number;
  memory_used_bytes: number;
  temperature_celsius: number | null;
  power_watts: number | null;
}

/** `GET /api/monitor/gpus`: without an NVIDIA GPU, `available` is false and `reason` says why. */
export interface GpuList {
  available: boolean;
  reason: string | null;
  gpus: Gpu[];
}

/** A deployment's process at one moment. */
export interface ProcessSample {
  id: string;
  name: string;
  pid: number;
  /** In percent of one core: a process busy on 4 cores shows 400. */
  cpu_percent: number;
  rss_bytes: number;
}

/** Everything measured at one moment. */
export interface Sample {
  at: string;
  host: HostSample;
  gpus: Gpu[];
  deployments: ProcessSample[];
}

/** `GET /api/monitor/history`: the last hour, oldest first. */
export interface History {
  interval_seconds: number;
  samples: Sample[];
}

/** A deployment's process at one moment, without its name. */
export interface ProcessPoint {
  at: string;
  cpu_percent: number;
  rss_bytes: number;
}

/** `GET /api/monitor/deployments/{id}`. */
export interface DeploymentMonitor {
  id: string;
  name: string;
  status: string;
  pid: number | null;
  /** None while it does not run. */
  latest: ProcessPoint | null;
  history: ProcessPoint[];
}

/** `GET /api/monitor/host`. */
export function getHost(signal?: AbortSignal): Promise<HostSnapshot> {
  return apiGet<HostSnapshot>('/api/monitor/host', { signal });
}

/** `GET /api/monitor/gpus`. */
export function getGpus(signal?: AbortSignal): Promise<GpuList> {
  return apiGet<GpuList>('/api/monitor/gpus', { signal });
}

/** `GET /api/monitor/history`. */
export function getHistory(signal?: AbortSignal): Promise<History> {
  return apiGet<History>('/api/monitor/history', { signal });
}

/** `GET /api/monitor/alerts`. */
export async function getAlerts(signal?: AbortSignal): Promise<Alert[]> {
  return (await apiGet<{ alerts: Alert[] }>('/api/monitor/alerts', { signal })).alerts;
}

/** `GET /api/monitor/deployments/{id}`. */
export function getDeploymentMonitor(id: string, signal?: AbortSignal): Promise<DeploymentMonitor> {
  return apiGet<DeploymentMonitor>(`/api/monitor/deployments/${encodeURIComponent(id)}`, { signal });
}

/** What the monitor's event stream brings. */
export interface MonitorListener {
  /** `event: sample`, every interval. */
  onSample: (sample: Sample) => void;
  /** `event: alerts`, when the set of alerts changes. */
  onAlerts: (alerts: Alert[]) => void;
}

/** Follows `GET /api/monitor/events` until the stream ends or `signal` aborts. */
export async function followMonitor(listener: MonitorListener, signal: AbortSignal): Promise<void> {
  const response = await apiFetch('GET', '/api/monitor/events', undefined, {
    signal,
    headers: { Accept: 'text/event-stream' },
  });
  if (!response.body) return;
  for await (const event of readSse(response.body, signal)) {
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      // A malformed event is skipped; the next sample brings the whole state again.
      continue;
    }
    if (event.event === 'sample') listener.onSample(data as Sample);
    else if (event.event === 'alerts') listener.onAlerts((data as { alerts?: Alert[] }).alerts ?? []);
  }
}
