// System → the deployments' processes: each one's CPU (in percent of one core, so a process
// busy on four cores shows 400%) and resident memory now, and a line per deployment over the hour.

import { useTranslation } from 'react-i18next';
import type { Sample } from '../../../api/monitor.ts';
import { TimeChart, colorAt, type Series } from '../../../components/charts/index.tsx';
import { formatBinaryBytes, formatPercent } from '../../../lib/format.ts';
import { BYTES_AXIS, Panel } from './HostPanels.tsx';
import { deploymentsIn, rows } from './points.ts';

export function ProcessPanel({ samples }: { samples: Sample[] }) {
  const { t, i18n } = useTranslation();
  const now = samples.at(-1)?.deployments ?? [];
  const seen = deploymentsIn(samples);
  const series = (metric: 'cpu' | 'rss'): Series[] =>
    seen.map((d, i) => ({ key: `${metric}:${d.id}`, label: d.name, color: colorAt(i), kind: 'line' }));
  const data = rows(samples, i18n.language, (s) =>
    Object.fromEntries(s.deployments.flatMap((d) => [[`cpu:${d.id}`, Math.round(d.cpu_percent)], [`rss:${d.id}`, d.rss_bytes]])),
  );
  const summary =
    now.length === 0 ? (
      <p className="muted" data-testid="system-no-deployments">
        {t('monitor.noDeployments')}
      </p>
    ) : (
      <ul className="list">
        {now.map((d) => (
          <li key={d.id} className="list-row" data-testid="system-deployment" data-name={d.name}>
            {t('monitor.deploymentNow', { name: d.name, pid: d.pid, percent: formatPercent(d.cpu_percent), rss: formatBinaryBytes(d.rss_bytes) })}
          </li>
        ))}
      </ul>
    );
  return (
    <Panel title={t('monitor.deploymentsHeading')} testId="system-deployments" summary={summary}>
      {seen.length > 0 ? (
        <>
          <TimeChart title={t('monitor.deploymentCpuChart')} testId="chart-deployment-cpu" data={data} x="time" format={(v) => `${v}%`} series={series('cpu')} />
          <TimeChart title={t('monitor.deploymentRssChart')} testId="chart-deployment-rss" data={data} x="time" format={formatBinaryBytes} axisWidth={BYTES_AXIS} series={series('rss')} />
        </>
      ) : null}
    </Panel>
  );
}
