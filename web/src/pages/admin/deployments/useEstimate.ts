// The resource estimate of the deployment being filled in: asked for once the form has been
// still for a moment, the answer of an older question dropped when a newer one is out.

import { useEffect, useState } from 'react';
import { estimateDeployment, type Estimate, type EstimateRequest } from '../../../api/deployments.ts';
import { useDebouncedValue } from '../../../lib/useDebouncedValue.ts';

/** Quiet time after a change before the estimate is asked for. */
export const ESTIMATE_DEBOUNCE_MS = 300;

export interface EstimateState {
  estimate: Estimate | null;
  /** The server refused to estimate (a 4xx says why). */
  error: unknown;
  loading: boolean;
}

const IDLE: EstimateState = { estimate: null, error: null, loading: false };

/** The estimate for `request` (none for null). */
export function useEstimate(request: EstimateRequest | null): EstimateState {
  // Compared as text: a new object with the same fields is the same question.
  const key = useDebouncedValue(request ? JSON.stringify(request) : null, ESTIMATE_DEBOUNCE_MS);
  const [state, setState] = useState<EstimateState>(IDLE);
  useEffect(() => {
    if (key === null) {
      setState(IDLE);
      return;
    }
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    estimateDeployment(JSON.parse(key) as EstimateRequest, controller.signal).then(
      (estimate) => {
        if (!controller.signal.aborted) setState({ estimate, error: null, loading: false });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ estimate: null, error, loading: false });
      },
    );
    return () => controller.abort();
  }, [key]);
  return state;
}
