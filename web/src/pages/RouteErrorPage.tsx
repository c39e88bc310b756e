// Last resort when rendering a route throws: a message instead of a blank page.

import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useRouteError } from 'react-router';

export function RouteErrorPage() {
  const { t } = useTranslation();
  const error = useRouteError();
  useEffect(() => {
    console.error(error);
  }, [error]);

  return (
    <main className="app-main">
      <div className="page page-narrow" role="alert">
        <h1>{t('routeError.title')}</h1>
        <p className="muted">{t('routeError.message')}</p>
      </div>
    </main>
  );
}
