// Theme preference (light, dark or follow the system): stored in localStorage, applied as
// `data-theme` on <html> (the stylesheet switches its custom properties on it), and followed
// live when the system setting changes. `src/theme/boot.js` applies it before the first paint.

import { useSyncExternalStore } from 'react';

/** What the user chose. */
export type ThemePreference = 'light' | 'dark' | 'system';
/** What is shown. */
export type ResolvedTheme = 'light' | 'dark';

/** localStorage key; `src/theme/boot.js` reads the same key. */
export const THEME_STORAGE_KEY = 'llm-manager.theme';
const DARK_QUERY = '(prefers-color-scheme: dark)';

type Listener = () => void;
const listeners = new Set<Listener>();
let preference: ThemePreference = 'system';
let systemQuery: MediaQueryList | null = null;

function isPreference(value: unknown): value is ThemePreference {
  return value === 'light' || value === 'dark' || value === 'system';
}

/** The stored preference, or `system` when none (or an unknown value) is stored. */
export function readStoredPreference(): ThemePreference {
  try {
    const value = window.localStorage.getItem(THEME_STORAGE_KEY);
    return isPreference(value) ? value : 'system';
  } catch {
    return 'system';
  }
}

function systemPrefersDark(): boolean {
  return typeof window.matchMedia === 'function' && window.matchMedia(DARK_QUERY).matches;
}

/** The theme shown for a preference. */
export function resolveTheme(pref: ThemePreference): ResolvedTheme {
  if (pref === 'system') return systemPrefersDark() ? 'dark' : 'light';
  return pref;
}

function apply(): void {
  document.documentElement.dataset.theme = resolveTheme(preference);
  listeners.forEach((listener) => listener());
}

function onSystemChange(): void {
  if (preference === 'system') apply();
}

/** Reads the stored preference, applies it and starts following the system setting. */
export function initTheme(): void {
  preference = readStoredPreference();
  // Re-binding makes a second call safe (one listener, on the current query object).
  systemQuery?.removeEventListener('change', onSystemChange);
  systemQuery = typeof window.matchMedia === 'function' ? window.matchMedia(DARK_QUERY) : null;
  systemQuery?.addEventListener('change', onSystemChange);
  apply();
}

/** Stores and applies a preference; `system` removes the stored choice. */
export function setThemePreference(pref: ThemePreference): void {
  preference = pref;
  try {
    if (pref === 'system') window.localStorage.removeItem(THEME_STORAGE_KEY);
    else window.localStorage.setItem(THEME_STORAGE_KEY, pref);
  } catch {
    // Not persisted when storage is unavailable; still applied for this page.
  }
  apply();
}

/** The current preference. */
export function getThemePreference(): ThemePreference {
  return preference;
}

function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// A string snapshot keeps useSyncExternalStore's comparison cheap and stable.
function snapshot(): string {
  return `${preference}:${resolveTheme(preference)}`;
}

/** The current preference and the theme shown, re-rendering when either changes. */
export function useTheme(): { preference: ThemePreference; theme: ResolvedTheme } {
  const value = useSyncExternalStore(subscribe, snapshot, snapshot);
  const [pref, theme] = value.split(':') as [ThemePreference, ResolvedTheme];
  return { preference: pref, theme };
}
