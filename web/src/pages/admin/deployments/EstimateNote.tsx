// Deployments → deploy: what the deployment would need (weights and context) against the free
// memory of the host or the chosen GPU, in warning colours with the server's reason when it
// does not fit. Shown only: the server refuses a deployment that does not fit anyway.

import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { Estimate } from '../../../api/deployments.ts';
import { errorMessage } from '../../../components/ErrorNotice.tsx';
import { formatBinaryBytes } from '../../../lib/format.ts';
import type { EstimateState } from './useEstimate.ts';

function freeText(estimate: Estimate, t: TFunction): string | null {
  if (estimate.gpu !== null) {
    const gpu = estimate.gpus.find((g) => g.index === estimate.gpu);
    return gpu ? t('deployments.estimateFreeGpu', { free: formatBinaryBytes(gpu.memory_free_bytes), gpu: gpu.index }) : null;
  }
  return estimate.memory_available_bytes !== null ? t('deployments.estimateFree', { free: formatBinaryBytes(estimate.memory_available_bytes) }) : null;
}

export function EstimateNote({ state }: { state: EstimateState }) {
  const { t } = useTranslation();
  const { estimate, error, loading } = state;
  if (error !== null) {
    return (
      <p className="estimate estimate-warn" role="status" data-testid="deploy-estimate" data-fits="false">
        {errorMessage(error, t)}
      </p>
    );
  }
  if (!estimate) {
    return loading ? (
      <p className="estimate muted" role="status" data-testid="deploy-estimate">
        {t('deployments.estimating')}
      </p>
    ) : null;
  }
  const needs = t('deployments.estimate', {
    required: formatBinaryBytes(estimate.required_bytes),
    model: formatBinaryBytes(estimate.model_bytes),
    kv: formatBinaryBytes(estimate.context_bytes),
  });
  const free = freeText(estimate, t);
  return (
    <div className={estimate.fits ? 'estimate' : 'estimate estimate-warn'} role="status" data-testid="deploy-estimate" data-fits={String(estimate.fits)}>
      <p>{free ? `${needs}; ${free}` : needs}</p>
      {!estimate.fits ? <p data-testid="deploy-estimate-message">{estimate.message ?? t('deployments.estimateNoFit')}</p> : null}
    </div>
  );
}
