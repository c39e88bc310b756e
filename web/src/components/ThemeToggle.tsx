// Theme controls: one button flips between light and dark (an explicit choice), the other goes
// back to following the system setting.

import { useTranslation } from 'react-i18next';
import { setThemePreference, useTheme } from '../theme/theme.ts';
import { MonitorIcon, MoonIcon, SunIcon } from './icons.tsx';

export function ThemeToggle() {
  const { t } = useTranslation();
  const { preference, theme } = useTheme();
  const next = theme === 'dark' ? 'light' : 'dark';
  const toggleLabel = next === 'dark' ? t('theme.switchToDark') : t('theme.switchToLight');
  const followsSystem = preference === 'system';

  return (
    <div className="theme-controls">
      <button
        type="button"
        className="icon-button"
        data-testid="theme-toggle"
        aria-label={toggleLabel}
        title={toggleLabel}
        onClick={() => setThemePreference(next)}
      >
        {theme === 'dark' ? <SunIcon /> : <MoonIcon />}
      </button>
      <button
        type="button"
        className="icon-button"
        data-testid="theme-system"
        aria-label={t('theme.followSystem')}
        title={t('theme.followSystem')}
        aria-pressed={followsSystem}
        onClick={() => setThemePreference('system')}
      >
        <MonitorIcon />
      </button>
    </div>
  );
}
