// Deployments → deploy: the GPU to run on — "CPU only / automatic" (the server picks the GPU
// with the most free memory that fits, or the CPU) or one of the host's NVIDIA GPUs with its
// free memory; a note instead when the host has none.

import { useTranslation } from 'react-i18next';
import { getGpus } from '../../../api/monitor.ts';
import { SelectField } from '../../../components/forms.tsx';
import { formatBinaryBytes } from '../../../lib/format.ts';
import { useAsync } from '../../../lib/useAsync.ts';

export function GpuSelect({ value, onChange }: { value: number | null; onChange: (gpu: number | null) => void }) {
  const { t } = useTranslation();
  const list = useAsync((signal) => getGpus(signal), []);
  if (list.error !== null) {
    return (
      <p className="muted small" data-testid="deploy-no-gpu">
        {t('deployments.gpuUnknown')}
      </p>
    );
  }
  if (!list.data) return null;
  const { gpus, reason } = list.data;
  if (!list.data.available || gpus.length === 0) {
    return (
      <p className="muted small" data-testid="deploy-no-gpu">
        {reason ? t('deployments.noGpuReason', { reason }) : t('deployments.noGpu')}
      </p>
    );
  }
  return (
    <SelectField
      label={t('deployments.gpu')}
      value={value === null ? '' : String(value)}
      onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}
      testId="deploy-gpu"
    >
      <option value="">{t('deployments.gpuAuto')}</option>
      {gpus.map((g) => (
        <option key={g.index} value={String(g.index)}>
          {t('deployments.gpuOption', { index: g.index, name: g.name, free: formatBinaryBytes(g.memory_total_bytes - g.memory_used_bytes) })}
        </option>
      ))}
    </SelectField>
  );
}
