// Language picker: a native <select>, so it works with the keyboard and screen readers as is.

import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { LANGUAGES, changeLanguage, currentLanguage } from '../i18n/index.ts';
import { isLanguage } from '../i18n/language.ts';

export function LanguageSwitcher() {
  const { t, i18n } = useTranslation();
  const id = useId();
  // Read through i18n so that the component re-renders on change.
  const value = isLanguage(i18n.language) ? i18n.language : currentLanguage();

  return (
    <div className="language-switcher">
      <label htmlFor={id} className="visually-hidden">
        {t('language.label')}
      </label>
      <select
        id={id}
        className="select"
        data-testid="lang-switch"
        value={value}
        onChange={(event) => {
          const next = event.target.value;
          if (isLanguage(next)) void changeLanguage(next);
        }}
      >
        {LANGUAGES.map((language) => (
          <option key={language} value={language} lang={language}>
            {t(`language.${language}`)}
          </option>
        ))}
      </select>
    </div>
  );
}
