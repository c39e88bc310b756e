// Previous / next paging under a list, with "page X of Y" and the total.

import { useTranslation } from 'react-i18next';

export function Pager({
  page,
  perPage,
  total,
  onPage,
  testId,
}: {
  page: number;
  perPage: number;
  total: number;
  onPage: (page: number) => void;
  testId?: string;
}) {
  const { t } = useTranslation();
  const pages = Math.max(1, Math.ceil(total / Math.max(1, perPage)));
  return (
    <nav className="pager" aria-label={t('pager.label')} data-testid={testId}>
      <button type="button" className="button button-secondary button-small" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        {t('pager.previous')}
      </button>
      <span className="muted small" aria-live="polite">
        {t('pager.status', { page, pages, total })}
      </span>
      <button type="button" className="button button-secondary button-small" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        {t('pager.next')}
      </button>
    </nav>
  );
}
