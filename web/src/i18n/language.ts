// Which UI language to start in and how the choice is remembered. Kept free of i18next so that
// small pages (the API docs) can use it without pulling in the translation runtime.

/** Languages the UI ships in, in the order the switcher lists them. */
export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];

/** localStorage key holding the language the user picked. */
export const LANGUAGE_STORAGE_KEY = 'llm-manager.language';

/** Whether `value` is exactly one of the shipped languages. */
export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** Maps a BCP 47 tag from the browser to a shipped language: any Chinese → zh-CN, else en. */
export function languageFromTag(tag: string | null | undefined): Language {
  return tag && /^zh\b/i.test(tag) ? 'zh-CN' : 'en';
}

/** The stored choice if there is a valid one, else the browser's language. */
export function detectInitialLanguage(): Language {
  try {
    const stored = window.localStorage.getItem(LANGUAGE_STORAGE_KEY);
    if (isLanguage(stored)) return stored;
  } catch {
    // Storage unavailable: use the browser's language.
  }
  return languageFromTag(typeof navigator === 'undefined' ? undefined : navigator.language);
}

/** Remembers the user's choice for the next visit. */
export function storeLanguage(language: Language): void {
  try {
    window.localStorage.setItem(LANGUAGE_STORAGE_KEY, language);
  } catch {
    // Not persisted when storage is unavailable.
  }
}
