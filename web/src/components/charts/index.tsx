// The charts, loaded when first shown: the chart library stays out of the first page load.

import { lazy } from 'react';

export const TimeChart = lazy(() => import('./Charts.tsx').then((m) => ({ default: m.TimeChart })));
export const TopChart = lazy(() => import('./Charts.tsx').then((m) => ({ default: m.TopChart })));
export type { Point, Series } from './Charts.tsx';

/** Colours of the chart series, readable on the light and the dark theme. */
export const COLORS = {
  requests: '#6366f1',
  errors: '#dc2626',
  prompt: '#0ea5e9',
  completion: '#22c55e',
  cost: '#f59e0b',
  latency: '#a855f7',
} as const;
