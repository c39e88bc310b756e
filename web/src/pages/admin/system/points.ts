// Pure helpers of the System page: the samples of the last hour (a live sample appended, older
// ones dropped) and the rows the charts draw from them.

import type { Point } from '../../../components/charts/index.tsx';
import type { Sample } from '../../../api/monitor.ts';

/** How far back the page keeps samples. */
export const WINDOW_MS = 60 * 60 * 1000;

/** `samples` with `next` appended (unless it is not newer than the last) and the ones older than an hour before it dropped. */
export function appendSample(samples: Sample[], next: Sample): Sample[] {
  const at = Date.parse(next.at);
  const last = samples.at(-1);
  if (last && !(at > Date.parse(last.at))) return samples;
  return [...samples, next].filter((s) => at - Date.parse(s.at) <= WINDOW_MS);
}

/** A sample's time of day, for the x axis. */
export function clock(at: string, language: string): string {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return at;
  return new Intl.DateTimeFormat(language, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(date);
}

/** One row per sample: its time under `time` and the numbers `pick` takes from it. */
export function rows(samples: Sample[], language: string, pick: (s: Sample) => Record<string, number>): Point[] {
  return samples.map((s) => ({ time: clock(s.at, language), ...pick(s) }));
}

/** The deployments seen in `samples`, by id, with the name they last had. */
export function deploymentsIn(samples: Sample[]): { id: string; name: string }[] {
  const names = new Map<string, string>();
  for (const s of samples) for (const d of s.deployments) names.set(d.id, d.name);
  return [...names].map(([id, name]) => ({ id, name }));
}

/** The GPUs seen in `samples`, by index, with the name they last had. */
export function gpusIn(samples: Sample[]): { index: number; name: string }[] {
  const names = new Map<number, string>();
  for (const s of samples) for (const g of s.gpus) names.set(g.index, g.name);
  return [...names].sort(([a], [b]) => a - b).map(([index, name]) => ({ index, name }));
}

/** `part` of `total` in percent (0 when there is no total). */
export function share(part: number, total: number): number {
  return total > 0 ? (part * 100) / total : 0;
}
