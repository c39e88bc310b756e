// System → the NVIDIA GPUs: each one's use, memory, temperature and power now and over the
// hour, or why there are none (no GPU, no driver, NVML missing).

import { useTranslation } from 'react-i18next';
import type { Gpu, GpuList, Sample } from '../../../api/monitor.ts';
import { COLORS, TimeChart } from '../../../components/charts/index.tsx';
import { formatBinaryBytes, formatPercent } from '../../../lib/format.ts';
import { Panel } from './HostPanels.tsx';
import { gpusIn, rows, share } from './points.ts';

function GpuNow({ gpu }: { gpu: Gpu }) {
  const { t } = useTranslation();
  const extra = [
    gpu.temperature_celsius !== null ? t('monitor.temperature', { value: gpu.temperature_celsius }) : null,
    gpu.power_watts !== null ? t('monitor.power', { value: Math.round(gpu.power_watts) }) : null,
  ].filter((x) => x !== null);
  return (
    <p data-testid="system-gpu" data-index={gpu.index}>
      <strong>
        {t('monitor.gpuNow', {
          index: gpu.index,
          name: gpu.name,
          percent: formatPercent(gpu.utilization_percent),
          used: formatBinaryBytes(gpu.memory_used_bytes),
          total: formatBinaryBytes(gpu.memory_total_bytes),
        })}
      </strong>
      {extra.length > 0 ? ` · ${extra.join(' · ')}` : ''}
    </p>
  );
}

function GpuChart({ samples, index, name }: { samples: Sample[]; index: number; name: string }) {
  const { t, i18n } = useTranslation();
  const data = rows(samples, i18n.language, (s) => {
    const g = s.gpus.find((x) => x.index === index);
    if (!g) return {};
    return {
      util: g.utilization_percent,
      memory: Math.round(share(g.memory_used_bytes, g.memory_total_bytes)),
      ...(g.temperature_celsius !== null ? { temperature: g.temperature_celsius } : {}),
    };
  });
  return (
    <TimeChart
      title={t('monitor.gpuChart', { index, name })}
      testId={`chart-gpu-${index}`}
      data={data}
      x="time"
      format={(v) => `${v}%`}
      formatRight={(v) => `${v} °C`}
      series={[
        { key: 'util', label: t('monitor.gpuUtil'), color: COLORS.requests, kind: 'line' },
        { key: 'memory', label: t('monitor.gpuMemory'), color: COLORS.completion, kind: 'line' },
        { key: 'temperature', label: t('monitor.gpuTemperature'), color: COLORS.errors, kind: 'line', right: true },
      ]}
    />
  );
}

export function GpuPanel({ samples, gpus }: { samples: Sample[]; gpus: GpuList | null }) {
  const { t } = useTranslation();
  const now = samples.at(-1)?.gpus ?? [];
  const seen = gpusIn(samples);
  if (now.length === 0 && seen.length === 0) {
    const reason = gpus?.reason;
    return (
      <Panel
        title={t('monitor.gpusHeading')}
        testId="system-gpus"
        summary={
          <p className="muted" data-testid="system-no-gpu">
            {reason ? t('monitor.noGpu', { reason }) : t('monitor.noGpuPlain')}
          </p>
        }
      />
    );
  }
  return (
    <Panel
      title={t('monitor.gpusHeading')}
      testId="system-gpus"
      summary={now.map((g) => (
        <GpuNow key={g.index} gpu={g} />
      ))}
    >
      {seen.map((g) => (
        <GpuChart key={g.index} samples={samples} index={g.index} name={g.name} />
      ))}
    </Panel>
  );
}
