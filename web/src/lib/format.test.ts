import { describe, expect, it } from 'vitest';
import i18n from '../i18n/index.ts';
import { formatBinaryBytes, formatDateTime, formatDuration, formatPercent } from './format.ts';

describe('formatDuration', () => {
  const en = i18n.getFixedT('en');
  const zh = i18n.getFixedT('zh-CN');

  it('shows seconds under a minute', () => {
    expect(formatDuration(0, en)).toBe('0 s');
    expect(formatDuration(42.9, en)).toBe('42 s');
  });

  it('shows up to three units from the largest, skipping zeros', () => {
    expect(formatDuration(3725, en)).toBe('1 h 2 min 5 s');
    expect(formatDuration(3605, en)).toBe('1 h 5 s');
    expect(formatDuration(90_061, en)).toBe('1 d 1 h 1 min');
    expect(formatDuration(2 * 86_400, en)).toBe('2 d');
  });

  it('is localized', () => {
    expect(formatDuration(90_061, zh)).toBe('1 天 1 小时 1 分钟');
    expect(formatDuration(42, zh)).toBe('42 秒');
  });
});

describe('formatDateTime', () => {
  it('formats a timestamp for the language and leaves garbage as is', () => {
    const date = '2026-11-21T22:00:00Z';
    expect(formatDateTime(date, 'en')).toBe(
      new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(date)),
    );
    expect(formatDateTime(date, 'zh-CN')).toContain('2026');
    expect(formatDateTime('not a date', 'en')).toBe('not a date');
  });
});

describe('formatBinaryBytes', () => {
  it('counts in powers of 1024 with one decimal below 100', () => {
    expect(formatBinaryBytes(512)).toBe('512 B');
    expect(formatBinaryBytes(1536)).toBe('1.5 KiB');
    expect(formatBinaryBytes(3.1 * 1024 ** 3)).toBe('3.1 GiB');
    expect(formatBinaryBytes(1001.4 * 1024 ** 2)).toBe('1001 MiB');
    expect(formatBinaryBytes(-5)).toBe('0 B');
    expect(formatPercent(12.4)).toBe('12%');
  });
});
