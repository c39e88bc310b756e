// The System page's data: the last hour of samples (`/api/monitor/history`), then each live
// sample of `/api/monitor/events` appended (followed again a few seconds after the stream
// ends), the alerts in force and whether the host has NVIDIA GPUs.

import { useEffect, useState } from 'react';
import { followMonitor, getAlerts, getGpus, getHistory, type Alert, type GpuList, type Sample } from '../../../api/monitor.ts';
import { appendSample } from './points.ts';

/** Wait before following the stream again after it ended or failed. */
const RECONNECT_MS = 3000;

export interface MonitorState {
  /** The last hour, oldest first; null until the history has loaded. */
  samples: Sample[] | null;
  /** Seconds between samples. */
  interval: number | null;
  alerts: Alert[];
  /** Null when the server could not say. */
  gpus: GpuList | null;
  /** The history could not be loaded. */
  error: unknown;
  /** The live stream is open. */
  live: boolean;
}

const INITIAL: MonitorState = { samples: null, interval: null, alerts: [], gpus: null, error: null, live: false };

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function useMonitor(): MonitorState {
  const [state, setState] = useState<MonitorState>(INITIAL);
  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    const update = (change: (s: MonitorState) => Partial<MonitorState>) => {
      if (!signal.aborted) setState((s) => ({ ...s, ...change(s) }));
    };
    const follow = async () => {
      while (!signal.aborted) {
        update(() => ({ live: true }));
        await followMonitor(
          {
            onSample: (sample) => update((s) => ({ samples: appendSample(s.samples ?? [], sample) })),
            onAlerts: (alerts) => update(() => ({ alerts })),
          },
          signal,
        ).catch(() => undefined);
        update(() => ({ live: false }));
        await pause(RECONNECT_MS, signal);
      }
    };
    const start = async () => {
      try {
        // The alerts and the GPUs only add to the page: it shows without them.
        const [history, alerts, gpus] = await Promise.all([
          getHistory(signal),
          getAlerts(signal).catch(() => []),
          getGpus(signal).catch(() => null),
        ]);
        update(() => ({ samples: history.samples, interval: history.interval_seconds, alerts, gpus }));
      } catch (error) {
        update(() => ({ error }));
        return;
      }
      await follow();
    };
    void start();
    return () => controller.abort();
  }, []);
  return state;
}
