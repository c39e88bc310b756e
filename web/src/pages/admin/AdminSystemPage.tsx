// Admin: the system — live charts of this server's CPU, memory, disks, network, NVIDIA GPUs and
// the deployments' processes over the last hour, each with its current numbers in words.
// For admins and users with the `deployments` permission.

import { useTranslation } from 'react-i18next';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { GpuPanel } from './system/GpuPanel.tsx';
import { CpuPanel, DiskPanel, MemoryPanel, NetworkPanel } from './system/HostPanels.tsx';
import { ProcessPanel } from './system/ProcessPanel.tsx';
import { useMonitor } from './system/useMonitor.ts';

export function AdminSystemPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('monitor.title'));
  const { samples, interval, alerts, gpus, error, live } = useMonitor();
  if (error !== null) return <ErrorNotice error={error} testId="system-error" />;
  if (samples === null) return <p className="muted" role="status">{t('common.loading')}</p>;
  return (
    <div className="stack" data-testid="system-page">
      <p className="muted" data-testid="system-intro">
        {t('monitor.intro', { seconds: interval ?? 0 })}{' '}
        <span className={`badge ${live ? 'badge-ok' : 'badge-pending'}`} data-testid="system-live">
          {live ? t('monitor.live') : t('monitor.reconnecting')}
        </span>
      </p>
      {samples.length === 0 ? (
        <p className="muted" data-testid="system-waiting">{t('monitor.waiting')}</p>
      ) : (
        <div className="chart-grid">
          <CpuPanel samples={samples} />
          <MemoryPanel samples={samples} alerts={alerts} />
          <DiskPanel samples={samples} alerts={alerts} />
          <NetworkPanel samples={samples} />
          <GpuPanel samples={samples} gpus={gpus} />
          <ProcessPanel samples={samples} />
        </div>
      )}
    </div>
  );
}
