// Pure helpers behind the usage charts: a row per day of a range with the days that had no
// calls filled in as zeros, and the largest groups of a list with the rest summed as "other".

/** The `YYYY-MM-DD` days (UTC) from `from` to `to`, both included; at most 400 of them. */
export function daysBetween(from: string, to: string): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (Number.isNaN(start) || Number.isNaN(end) || end < start) return [];
  const out: string[] = [];
  for (let at = start; at <= end && out.length < 400; at += 86_400_000) {
    out.push(new Date(at).toISOString().slice(0, 10));
  }
  return out;
}

/** One point per day of `days`: the row of that day, or `empty(day)` when there is none. */
export function fillDays<T>(days: string[], rows: T[], dayOf: (row: T) => string, empty: (day: string) => T): T[] {
  const byDay = new Map(rows.map((row) => [dayOf(row), row]));
  return days.map((day) => byDay.get(day) ?? empty(day));
}

/** The `limit` largest rows by `value`, largest first; the rest are left out. */
export function top<T>(rows: T[], value: (row: T) => number, limit: number): T[] {
  return [...rows].sort((a, b) => value(b) - value(a)).slice(0, Math.max(0, limit));
}

/** A `YYYY-MM-DD` day as a short date in `language` (the day itself if it does not parse). */
export function shortDay(day: string, language: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return new Intl.DateTimeFormat(language, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(date);
}
