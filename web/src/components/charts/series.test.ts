import { describe, expect, it } from 'vitest';
import { daysBetween, fillDays, shortDay, top } from './series.ts';

describe('chart series', () => {
  it('lists every day of a range, across a month end', () => {
    expect(daysBetween('2026-11-29', '2026-12-02')).toEqual(['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02']);
    expect(daysBetween('2026-12-02', '2026-12-01')).toEqual([]);
    expect(daysBetween('nonsense', '2026-12-01')).toEqual([]);
    expect(daysBetween('2020-01-01', '2026-01-01')).toHaveLength(400);
  });

  it('fills the days without calls with zeros and keeps the others', () => {
    const rows = [{ day: '2026-12-02', n: 5 }];
    const filled = fillDays(daysBetween('2026-12-01', '2026-12-03'), rows, (r) => r.day, (day) => ({ day, n: 0 }));
    expect(filled).toEqual([
      { day: '2026-12-01', n: 0 },
      { day: '2026-12-02', n: 5 },
      { day: '2026-12-03', n: 0 },
    ]);
  });

  it('keeps the largest groups, largest first', () => {
    const rows = [{ v: 1 }, { v: 9 }, { v: 4 }, { v: 7 }];
    expect(top(rows, (r) => r.v, 2)).toEqual([{ v: 9 }, { v: 7 }]);
    expect(rows[0]).toEqual({ v: 1 });
    expect(top(rows, (r) => r.v, -1)).toEqual([]);
  });

  it('shows days in the reader’s language', () => {
    expect(shortDay('2026-12-06', 'en')).toBe('Dec 6');
    expect(shortDay('2026-12-06', 'zh-CN')).toBe('12月6日');
    expect(shortDay('bad', 'en')).toBe('bad');
  });
});
