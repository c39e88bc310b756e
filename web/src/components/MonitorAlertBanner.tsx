// The resource alerts in force (memory or a disk past its threshold), at the top of every page
// for admins and users with the `deployments` permission, with a link to the System page.
// Polled every 30 seconds; a 401, 403 or 404 stops the polling (not allowed, or an older server).

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { Link } from 'react-router';
import { mayManage } from '../api/auth.ts';
import { ApiError } from '../api/client.ts';
import { getAlerts, type Alert } from '../api/monitor.ts';
import { useAuth } from '../auth/context.ts';
import { formatPercent } from '../lib/format.ts';

/** Time between two reads of the alerts. */
export const ALERT_POLL_MS = 30_000;

const FINAL_STATUSES = [401, 403, 404];

/** One alert in words: "Memory is 93% used (alert at 90%)". */
export function alertText(alert: Alert, t: TFunction): string {
  const values = { subject: alert.subject, percent: formatPercent(alert.percent), threshold: formatPercent(alert.threshold) };
  return alert.kind === 'memory' ? t('monitor.alertMemory', values) : t('monitor.alertDisk', values);
}

function useAlerts(enabled: boolean, userId: string | undefined): Alert[] {
  const [alerts, setAlerts] = useState<Alert[]>([]);
  useEffect(() => {
    setAlerts([]);
    if (!enabled) return;
    const controller = new AbortController();
    const poll = async () => {
      try {
        setAlerts(await getAlerts(controller.signal));
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && FINAL_STATUSES.includes(error.status)) {
          window.clearInterval(timer);
          setAlerts([]);
        }
        // Anything else (a network hiccup) keeps the last alerts until the next read.
      }
    };
    const timer = window.setInterval(() => void poll(), ALERT_POLL_MS);
    void poll();
    return () => {
      controller.abort();
      window.clearInterval(timer);
    };
  }, [enabled, userId]);
  return alerts;
}

export function MonitorAlertBanner() {
  const { t } = useTranslation();
  const { user } = useAuth();
  const alerts = useAlerts(mayManage(user, 'deployments'), user?.id);
  if (alerts.length === 0) return null;
  return (
    <div className="app-alerts">
      <div className="notice notice-warn" role="alert" aria-label={t('monitor.alertLabel')} data-testid="monitor-alert-banner">
        <ul className="app-alerts-list">
          {alerts.map((a) => (
            <li key={`${a.kind}:${a.subject}`} data-testid="monitor-alert">
              {alertText(a, t)}
            </li>
          ))}
        </ul>
        <Link to="/admin/system" data-testid="monitor-alert-link">
          {t('monitor.alertLink')}
        </Link>
      </div>
    </div>
  );
}
