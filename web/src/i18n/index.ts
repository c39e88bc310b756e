// The i18next instance of the SPA: English and Simplified Chinese bundled in (no network
// loading), started in the detected language, and mirrored to <html lang>.

import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './locales/en.json';
import zhCN from './locales/zh-CN.json';
import { LANGUAGES, detectInitialLanguage, isLanguage, storeLanguage, type Language } from './language.ts';

export { LANGUAGES, type Language } from './language.ts';

/** Translation resources by language, one namespace each. */
export const resources = {
  en: { translation: en },
  'zh-CN': { translation: zhCN },
} as const;

function syncDocumentLanguage(language: string): void {
  document.documentElement.lang = isLanguage(language) ? language : 'en';
}

void i18n.use(initReactI18next).init({
  resources,
  lng: detectInitialLanguage(),
  fallbackLng: 'en',
  supportedLngs: [...LANGUAGES],
  interpolation: { escapeValue: false }, // React escapes what it renders.
  initAsync: false,
});
syncDocumentLanguage(i18n.language);
i18n.on('languageChanged', syncDocumentLanguage);

/** The language the UI is in now. */
export function currentLanguage(): Language {
  return isLanguage(i18n.language) ? i18n.language : 'en';
}

/** Switches the UI language and remembers the choice. */
export async function changeLanguage(language: Language): Promise<void> {
  storeLanguage(language);
  await i18n.changeLanguage(language);
}

export default i18n;
