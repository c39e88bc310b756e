// Shown on admin routes to users who are not admins (the server refuses their calls with 403).

import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useDocumentTitle } from '../lib/useDocumentTitle.ts';

export function ForbiddenPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('forbidden.title'));

  return (
    <div className="page page-narrow" data-testid="forbidden">
      <h1>{t('forbidden.title')}</h1>
      <p className="muted">{t('forbidden.message')}</p>
      <p>
        <Link to="/status" className="button">
          {t('notFound.back')}
        </Link>
      </p>
    </div>
  );
}
