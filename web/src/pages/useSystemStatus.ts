// Loads server facts and readiness together, again on demand and every `intervalMs` while the
// page is visible. A new load cancels the one in flight; each part keeps its own error.

import { useCallback, useEffect, useRef, useState } from 'react';
import { getReadiness, getSystemInfo, type Readiness, type SystemInfo } from '../api/system.ts';

export interface SystemStatus {
  info: SystemInfo | null;
  infoError: unknown;
  readiness: Readiness | null;
  readinessError: unknown;
  /** A load is in flight. */
  loading: boolean;
  /** When the last load finished. */
  updatedAt: Date | null;
}

const INITIAL: SystemStatus = {
  info: null,
  infoError: null,
  readiness: null,
  readinessError: null,
  loading: true,
  updatedAt: null,
};

export function useSystemStatus(intervalMs: number): SystemStatus & { refresh: () => void } {
  const [status, setStatus] = useState<SystemStatus>(INITIAL);
  const inFlight = useRef<AbortController | null>(null);

  const refresh = useCallback(() => {
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    setStatus((previous) => ({ ...previous, loading: true }));

    void Promise.allSettled([getSystemInfo(controller.signal), getReadiness(controller.signal)]).then(
      ([info, readiness]) => {
        // Superseded by a newer load or the page went away: its results are stale.
        if (controller.signal.aborted) return;
        inFlight.current = null;
        setStatus({
          info: info.status === 'fulfilled' ? info.value : null,
          infoError: info.status === 'rejected' ? info.reason : null,
          readiness: readiness.status === 'fulfilled' ? readiness.value : null,
          readinessError: readiness.status === 'rejected' ? readiness.reason : null,
          loading: false,
          updatedAt: new Date(),
        });
      },
    );
  }, []);

  useEffect(() => {
    refresh();
    const timer = window.setInterval(() => {
      if (document.visibilityState !== 'hidden') refresh();
    }, intervalMs);
    return () => {
      window.clearInterval(timer);
      inFlight.current?.abort();
      inFlight.current = null;
    };
  }, [refresh, intervalMs]);

  return { ...status, refresh };
}
