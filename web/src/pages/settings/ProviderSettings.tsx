// Settings: the user's own providers and keys (used only for their requests, before the shared
// ones) and, read-only, the providers the admins share.

import { useTranslation } from 'react-i18next';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { ProviderManager } from '../providers/ProviderManager.tsx';

export function ProviderSettings() {
  const { t } = useTranslation();
  useDocumentTitle(t('settings.providers'));
  return <ProviderManager mode="personal" />;
}
