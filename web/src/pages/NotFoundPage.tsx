// Shown inside the layout for client routes that do not exist (yet).

import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';
import { useDocumentTitle } from '../lib/useDocumentTitle.ts';

export function NotFoundPage() {
  const { t } = useTranslation();
  const { pathname } = useLocation();
  useDocumentTitle(t('notFound.title'));

  return (
    <div className="page page-narrow" data-testid="not-found">
      <h1>{t('notFound.title')}</h1>
      <p className="muted">
        {t('notFound.message', { path: pathname })}
      </p>
      <p>
        <Link to="/status" className="button">
          {t('notFound.back')}
        </Link>
      </p>
    </div>
  );
}
