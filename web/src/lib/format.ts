// Locale-aware formatting of durations and timestamps for display.

import type { TFunction } from 'i18next';

const UNITS = [
  { key: 'duration.days', seconds: 86_400 },
  { key: 'duration.hours', seconds: 3_600 },
  { key: 'duration.minutes', seconds: 60 },
  { key: 'duration.seconds', seconds: 1 },
] as const;

/**
 * Human-readable duration: "42 s", "1 h 5 s", "2 d 3 h 4 min". Shows the three unit slots
 * starting at the largest non-zero unit, leaving out the ones that are zero.
 */
export function formatDuration(totalSeconds: number, t: TFunction): string {
  let rest = Math.max(0, Math.floor(totalSeconds));
  if (rest < 60) return t('duration.seconds', { value: rest });
  const parts: string[] = [];
  let slots = 0;
  for (const unit of UNITS) {
    const value = Math.floor(rest / unit.seconds);
    rest -= value * unit.seconds;
    if (parts.length === 0 && value === 0) continue;
    if (slots === 3) break;
    slots += 1;
    if (value > 0) parts.push(t(unit.key, { value }));
  }
  return parts.join(' ');
}

/** A timestamp as a medium date and time in `language`, or the input when it is not a date. */
export function formatDateTime(value: string | Date, language: string): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'medium' }).format(date);
}

/** A time of day in `language`. */
export function formatTime(date: Date, language: string): string {
  return new Intl.DateTimeFormat(language, { timeStyle: 'medium' }).format(date);
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Bytes in binary units, as memory is counted: `512 B`, `3.1 GiB`, `512 MiB` (no decimal from 100 on). */
export function formatBinaryBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${BINARY_UNITS[unit]}`;
}

/** A share as a whole percentage: `12%`. */
export function formatPercent(value: number): string {
  return `${Math.round(value)}%`;
}
