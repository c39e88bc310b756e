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

/** Colours for charts with a line per thing (deployments, GPUs), taken in turn. */
export const PALETTE = ['#6366f1', '#22c55e', '#f59e0b', '#0ea5e9', '#dc2626', '#a855f7', '#14b8a6', '#ec4899'] as const;

/** The colour of the `index`-th thing of a chart. */
export function colorAt(index: number): string {
  return PALETTE[index % PALETTE.length] ?? PALETTE[0];
}
