// System → the host: CPU (with the core count and load average), memory and swap, each disk's
// use and the network traffic, each as its current numbers in words and a chart of the hour.

import { Suspense, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Alert, DiskSample, Sample } from '../../../api/monitor.ts';
import { COLORS, TimeChart } from '../../../components/charts/index.tsx';
import { formatBinaryBytes, formatPercent } from '../../../lib/format.ts';
import { rows, share } from './points.ts';

/** A card of the System page: a heading, the numbers now (`summary`) and the charts (loaded when first shown). */
export function Panel({ title, testId, summary, children }: { title: string; testId: string; summary: ReactNode; children?: ReactNode }) {
  const { t } = useTranslation();
  return (
    <section className="card stack" aria-label={title} data-testid={testId}>
      <h2>{title}</h2>
      {summary}
      {children ? <Suspense fallback={<p className="muted">{t('common.loading')}</p>}>{children}</Suspense> : null}
    </section>
  );
}

const percentAxis = (v: number) => `${v}%`;
const rate = (v: number) => `${formatBinaryBytes(v)}/s`;
/** Width of an axis labelled in bytes. */
export const BYTES_AXIS = 84;

export function CpuPanel({ samples }: { samples: Sample[] }) {
  const { t, i18n } = useTranslation();
  const host = samples.at(-1)?.host;
  if (!host) return null;
  const [one, five, fifteen] = host.load_average.map((v) => v.toFixed(2));
  return (
    <Panel
      title={t('monitor.cpuHeading')}
      testId="system-cpu"
      summary={
        <p data-testid="system-cpu-now">
          <strong>{t('monitor.cpuNow', { percent: formatPercent(host.cpu_percent), count: host.cpu_count })}</strong>
          {' · '}
          {t('monitor.load', { one, five, fifteen })}
        </p>
      }
    >
      <TimeChart
        title={t('monitor.cpuChart')}
        testId="chart-cpu"
        data={rows(samples, i18n.language, (s) => ({ cpu: Math.round(s.host.cpu_percent) }))}
        x="time"
        format={percentAxis}
        series={[{ key: 'cpu', label: t('monitor.cpuSeries'), color: COLORS.requests, kind: 'line' }]}
      />
    </Panel>
  );
}

export function MemoryPanel({ samples, alerts }: { samples: Sample[]; alerts: Alert[] }) {
  const { t, i18n } = useTranslation();
  const host = samples.at(-1)?.host;
  if (!host) return null;
  const alerted = alerts.some((a) => a.kind === 'memory');
  return (
    <Panel
      title={t('monitor.memoryHeading')}
      testId="system-memory"
      summary={
        <p data-testid="system-memory-now" className={alerted ? 'monitor-alerted' : undefined}>
          <strong>{t('monitor.memoryNow', { used: formatBinaryBytes(host.memory_used_bytes), total: formatBinaryBytes(host.memory_total_bytes) })}</strong>
          {' · '}
          {t('monitor.memoryAvailable', { available: formatBinaryBytes(host.memory_available_bytes) })}
          {' · '}
          {host.swap_total_bytes > 0
            ? t('monitor.swapNow', { used: formatBinaryBytes(host.swap_used_bytes), total: formatBinaryBytes(host.swap_total_bytes) })
            : t('monitor.noSwap')}
        </p>
      }
    >
      <TimeChart
        title={t('monitor.memoryChart')}
        testId="chart-memory"
        data={rows(samples, i18n.language, (s) => ({ used: s.host.memory_used_bytes, swap: s.host.swap_used_bytes, total: s.host.memory_total_bytes }))}
        x="time"
        format={formatBinaryBytes}
        axisWidth={BYTES_AXIS}
        series={[
          { key: 'used', label: t('monitor.memoryUsed'), color: COLORS.requests, kind: 'line' },
          { key: 'swap', label: t('monitor.swapUsed'), color: COLORS.cost, kind: 'line' },
          { key: 'total', label: t('monitor.memoryTotal'), color: COLORS.completion, kind: 'line' },
        ]}
      />
    </Panel>
  );
}

function DiskRow({ disk, alerted }: { disk: DiskSample; alerted: boolean }) {
  const { t } = useTranslation();
  const used = share(disk.total_bytes - disk.available_bytes, disk.total_bytes);
  return (
    <li className={alerted ? 'disk-row monitor-alerted' : 'disk-row'} data-testid="system-disk" data-mount={disk.mount}>
      <div className="disk-head">
        <strong>{disk.mount}</strong>
        <span>
          {t('monitor.diskNow', { percent: formatPercent(used), free: formatBinaryBytes(disk.available_bytes), total: formatBinaryBytes(disk.total_bytes) })}
        </span>
      </div>
      <progress max={100} value={Math.round(used)} aria-label={t('monitor.diskUse', { mount: disk.mount })} />
    </li>
  );
}

export function DiskPanel({ samples, alerts }: { samples: Sample[]; alerts: Alert[] }) {
  const { t } = useTranslation();
  const disks = samples.at(-1)?.host.disks ?? [];
  return (
    <Panel
      title={t('monitor.disksHeading')}
      testId="system-disks"
      summary={
        disks.length === 0 ? (
          <p className="muted">{t('monitor.noDisks')}</p>
        ) : (
          <ul className="list">
            {disks.map((d) => (
              <DiskRow key={d.mount} disk={d} alerted={alerts.some((a) => a.kind === 'disk' && a.subject === d.mount)} />
            ))}
          </ul>
        )
      }
    />
  );
}

export function NetworkPanel({ samples }: { samples: Sample[] }) {
  const { t, i18n } = useTranslation();
  const host = samples.at(-1)?.host;
  if (!host) return null;
  return (
    <Panel
      title={t('monitor.networkHeading')}
      testId="system-network"
      summary={
        <p data-testid="system-network-now">
          <strong>{t('monitor.networkNow', { rx: rate(host.network_rx_bytes_per_second), tx: rate(host.network_tx_bytes_per_second) })}</strong>
        </p>
      }
    >
      <TimeChart
        title={t('monitor.networkChart')}
        testId="chart-network"
        data={rows(samples, i18n.language, (s) => ({ rx: s.host.network_rx_bytes_per_second, tx: s.host.network_tx_bytes_per_second }))}
        x="time"
        format={rate}
        axisWidth={BYTES_AXIS}
        series={[
          { key: 'rx', label: t('monitor.rx'), color: COLORS.prompt, kind: 'line' },
          { key: 'tx', label: t('monitor.tx'), color: COLORS.completion, kind: 'line' },
        ]}
      />
    </Panel>
  );
}
