// The audit log: security and admin events, newest first, filtered by an action or a prefix
// such as `auth.`; paged. Details are arbitrary JSON and are shown as text, never as markup.

import { useEffect, useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { listAuditLog } from '../../api/admin.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Pager } from '../../components/Pager.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { useAsync } from '../../lib/useAsync.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';

/** Events per page. */
export const AUDIT_PER_PAGE = 50;
/** Prefixes offered as one-click filters. */
export const ACTION_PREFIXES = ['auth.', 'admin.', 'user.'] as const;

/** Compact JSON of an event's details; empty objects and null as nothing. */
export function detailsText(details: unknown): string {
  if (details === null || details === undefined) return '';
  if (typeof details === 'object' && !Array.isArray(details) && Object.keys(details).length === 0) return '';
  try {
    return JSON.stringify(details);
  } catch {
    return String(details);
  }
}

function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

export function AuditLogPage() {
  const { t, i18n } = useTranslation();
  useDocumentTitle(t('admin.auditLog'));
  const [params, setParams] = useSearchParams();
  const action = params.get('action') ?? '';
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const [draft, setDraft] = useState(action);
  const inputId = useId();
  const listId = useId();

  useEffect(() => setDraft(action), [action]);

  const go = (nextAction: string, nextPage = 1) => {
    const next = new URLSearchParams();
    if (nextAction.trim()) next.set('action', nextAction.trim());
    if (nextPage > 1) next.set('page', String(nextPage));
    setParams(next, { replace: true });
  };

  const events = useAsync((signal) => listAuditLog({ action, page, per_page: AUDIT_PER_PAGE }, signal), [action, page]);
  const data = events.data;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    go(draft);
  };

  return (
    <section aria-labelledby="audit-heading" data-testid="audit-log">
      <h2 id="audit-heading" className="visually-hidden">
        {t('admin.auditLog')}
      </h2>
      <div className="toolbar">
        <form className="toolbar-filters" role="search" onSubmit={submit}>
          <div className="field field-inline field-grow">
            <label htmlFor={inputId}>{t('audit.action')}</label>
            <input
              id={inputId}
              className="input"
              type="search"
              list={listId}
              value={draft}
              onChange={(event) => setDraft(event.target.value)}
              placeholder={t('audit.actionPlaceholder')}
              autoCapitalize="off"
              spellCheck={false}
              data-testid="audit-action"
            />
            <datalist id={listId}>
              {ACTION_PREFIXES.map((prefix) => (
                <option key={prefix} value={prefix} />
              ))}
            </datalist>
          </div>
          <button type="submit" className="button" data-testid="audit-filter">
            {t('audit.filter')}
          </button>
        </form>
        <div className="chips" role="group" aria-label={t('audit.quickFilters')}>
          <button type="button" className="chip" aria-pressed={action === ''} onClick={() => go('')}>
            {t('audit.all')}
          </button>
          {ACTION_PREFIXES.map((prefix) => (
            <button
              key={prefix}
              type="button"
              className="chip"
              aria-pressed={action === prefix}
              onClick={() => go(prefix)}
              data-testid={`audit-prefix-${prefix.slice(0, -1)}`}
            >
              <code>{prefix}</code>
            </button>
          ))}
        </div>
      </div>

      {events.error !== null && !data ? (
        <ErrorNotice error={events.error} testId="audit-load-error" />
      ) : !data ? (
        <p className="muted">{t('common.loading')}</p>
      ) : data.items.length === 0 ? (
        <p className="muted empty" data-testid="audit-empty">
          {t('audit.none')}
        </p>
      ) : (
        <div className="table-wrap" aria-busy={events.loading}>
          <table className="table table-stack" data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col">{t('audit.time')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.actor')}</th>
                <th scope="col">{t('audit.target')}</th>
                <th scope="col">{t('audit.ip')}</th>
                <th scope="col">{t('audit.details')}</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((event) => {
                const details = detailsText(event.details);
                return (
                  <tr key={event.id} data-testid="audit-row" data-action={event.action}>
                    <td data-label={t('audit.time')} className="nowrap">
                      <time dateTime={event.created_at}>{formatDateTime(event.created_at, i18n.language)}</time>
                    </td>
                    <td data-label={t('audit.action')}>
                      <code>{event.action}</code>
                    </td>
                    <td data-label={t('audit.actor')}>
                      {event.actor_id ? (
                        <code title={event.actor_id}>{shortId(event.actor_id)}</code>
                      ) : (
                        <span className="muted">{t('audit.anonymous')}</span>
                      )}
                    </td>
                    <td data-label={t('audit.target')}>
                      {event.target_type || event.target_id ? (
                        <span>
                          {event.target_type ?? ''}
                          {event.target_id ? (
                            <>
                              {' '}
                              <code title={event.target_id}>{shortId(event.target_id)}</code>
                            </>
                          ) : null}
                        </span>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td data-label={t('audit.ip')}>{event.ip ?? '—'}</td>
                    <td data-label={t('audit.details')} className="cell-details">
                      {details ? (
                        <code className="details" data-testid="audit-details">
                          {details}
                        </code>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      {data && data.total > 0 ? (
        <Pager page={data.page} perPage={data.per_page} total={data.total} onPage={(next) => go(action, next)} testId="audit-pager" />
      ) : null}
    </section>
  );
}
