import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import bootSource from './boot.js?raw';
import {
  THEME_STORAGE_KEY,
  getThemePreference,
  initTheme,
  readStoredPreference,
  setThemePreference,
} from './theme.ts';

/** A controllable `prefers-color-scheme: dark` media query. */
function fakeSystemTheme(dark: boolean) {
  const listeners = new Set<() => void>();
  const query = {
    matches: dark,
    media: '(prefers-color-scheme: dark)',
    addEventListener: (_: string, listener: () => void) => listeners.add(listener),
    removeEventListener: (_: string, listener: () => void) => listeners.delete(listener),
  };
  vi.stubGlobal('matchMedia', vi.fn(() => query));
  return {
    set(next: boolean) {
      query.matches = next;
      listeners.forEach((listener) => listener());
    },
  };
}

const html = document.documentElement;

describe('theme', () => {
  beforeEach(() => {
    html.removeAttribute('data-theme');
    window.localStorage.clear();
  });
  afterEach(() => {
    setThemePreference('system');
  });

  it('stores an explicit choice and applies it as data-theme', () => {
    fakeSystemTheme(false);
    initTheme();
    setThemePreference('dark');
    expect(html.dataset.theme).toBe('dark');
    expect(window.localStorage.getItem(THEME_STORAGE_KEY)).toBe('dark');

    setThemePreference('light');
    expect(html.dataset.theme).toBe('light');
    expect(window.localStorage.getItem(THEME_STORAGE_KEY)).toBe('light');
  });

  it('restores the stored choice on the next load', () => {
    fakeSystemTheme(false);
    window.localStorage.setItem(THEME_STORAGE_KEY, 'dark');
    initTheme();
    expect(getThemePreference()).toBe('dark');
    expect(html.dataset.theme).toBe('dark');
  });

  it('follows the system when nothing (or nonsense) is stored, also when it changes', () => {
    const system = fakeSystemTheme(true);
    window.localStorage.setItem(THEME_STORAGE_KEY, 'purple');
    expect(readStoredPreference()).toBe('system');
    initTheme();
    expect(html.dataset.theme).toBe('dark');
    system.set(false);
    expect(html.dataset.theme).toBe('light');
  });

  it('"system" forgets the stored choice', () => {
    fakeSystemTheme(false);
    setThemePreference('dark');
    setThemePreference('system');
    expect(window.localStorage.getItem(THEME_STORAGE_KEY)).toBeNull();
    expect(html.dataset.theme).toBe('light');
  });

  it('the boot script reads the same storage key before the app loads', () => {
    fakeSystemTheme(false);
    window.localStorage.setItem(THEME_STORAGE_KEY, 'dark');
    new Function(bootSource)();
    expect(html.getAttribute('data-theme')).toBe('dark');

    html.removeAttribute('data-theme');
    window.localStorage.removeItem(THEME_STORAGE_KEY);
    fakeSystemTheme(true);
    new Function(bootSource)();
    expect(html.getAttribute('data-theme')).toBe('dark');

    fakeSystemTheme(false);
    new Function(bootSource)();
    expect(html.getAttribute('data-theme')).toBe('light');
  });
});
