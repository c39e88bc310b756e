// Admin: the shared providers every user's requests can be routed to (see docs/GATEWAY.md).

import { useTranslation } from 'react-i18next';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { ProviderManager } from '../providers/ProviderManager.tsx';

export function AdminProvidersPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('admin.providers'));
  return (
    <section aria-labelledby="providers-heading" data-testid="admin-providers">
      <h2 id="providers-heading" className="visually-hidden">
        {t('admin.providers')}
      </h2>
      <p className="muted small section-intro-top">{t('providers.adminIntro')}</p>
      <ProviderManager mode="admin" />
    </section>
  );
}
