// Admin: the chat messages of every user, newest first, filtered by user, conversation, role,
// status and text; paged. The content is cut short and shown as plain text (never markup).

import { useEffect, useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { listAdminMessages } from '../../api/admin.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { FormAlert, fieldErrorsOf } from '../../components/forms.tsx';
import { Pager } from '../../components/Pager.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { useAsync } from '../../lib/useAsync.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';

/** Messages per page. */
export const MESSAGES_PER_PAGE = 50;
/** Characters of a message shown in the list. */
export const PREVIEW_CHARS = 200;

const ROLES = ['user', 'assistant'] as const;
const STATUSES = ['complete', 'streaming', 'cancelled', 'error', 'incomplete'] as const;
/** The filters kept in the URL, in this order. */
const FILTERS = ['user_id', 'session_id', 'role', 'status', 'q'] as const;
type Filter = (typeof FILTERS)[number];
type Filters = Record<Filter, string>;

/** `text` cut to `limit` characters (not in the middle of a surrogate pair), with an ellipsis. */
export function truncate(text: string, limit = PREVIEW_CHARS): string {
  const chars = Array.from(text);
  return chars.length > limit ? `${chars.slice(0, limit).join('').trimEnd()}…` : text;
}

function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

export function AdminMessagesPage() {
  const { t, i18n } = useTranslation();
  useDocumentTitle(t('adminMessages.title'));
  const [params, setParams] = useSearchParams();
  const filters = Object.fromEntries(FILTERS.map((key) => [key, params.get(key) ?? ''])) as Filters;
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const [draft, setDraft] = useState<Filters>(filters);
  const id = useId();

  const key = FILTERS.map((name) => filters[name]).join('\u0000');
  useEffect(() => setDraft(filters), [key]);

  const go = (next: Filters, nextPage = 1) => {
    const search = new URLSearchParams();
    for (const name of FILTERS) if (next[name].trim()) search.set(name, next[name].trim());
    if (nextPage > 1) search.set('page', String(nextPage));
    setParams(search, { replace: true });
  };

  const roleLabel = (value: string) =>
    (ROLES as readonly string[]).includes(value) ? t(`adminMessages.roles.${value as (typeof ROLES)[number]}`) : value;
  const statusLabel = (value: string) =>
    (STATUSES as readonly string[]).includes(value) ? t(`adminMessages.statuses.${value as (typeof STATUSES)[number]}`) : value;

  const messages = useAsync((signal) => listAdminMessages({ ...filters, page, per_page: MESSAGES_PER_PAGE }, signal), [key, page]);
  const data = messages.data;
  const fields = fieldErrorsOf(messages.error);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    go(draft);
  };
  const text = (name: 'user_id' | 'session_id' | 'q', label: string, placeholder?: string) => (
    <div className={name === 'q' ? 'field field-inline field-grow' : 'field field-inline'}>
      <label htmlFor={`${id}-${name}`}>{label}</label>
      <input
        id={`${id}-${name}`}
        className="input"
        type="search"
        value={draft[name]}
        onChange={(event) => setDraft({ ...draft, [name]: event.target.value })}
        placeholder={placeholder}
        autoCapitalize="off"
        spellCheck={false}
        aria-invalid={fields[name] ? true : undefined}
        aria-describedby={fields[name] ? `${id}-${name}-error` : undefined}
        data-testid={`messages-filter-${name}`}
      />
      {fields[name] ? (
        <p id={`${id}-${name}-error`} className="field-error">
          {fields[name]}
        </p>
      ) : null}
    </div>
  );
  const select = (name: 'role' | 'status', label: string, options: readonly string[], optionLabel: (value: string) => string) => (
    <div className="field field-inline">
      <label htmlFor={`${id}-${name}`}>{label}</label>
      <select
        id={`${id}-${name}`}
        className="select"
        value={filters[name]}
        onChange={(event) => go({ ...draft, [name]: event.target.value })}
        data-testid={`messages-filter-${name}`}
      >
        <option value="">{t('adminMessages.any')}</option>
        {options.map((value) => (
          <option key={value} value={value}>
            {optionLabel(value)}
          </option>
        ))}
      </select>
    </div>
  );

  return (
    <section aria-labelledby="messages-heading" data-testid="admin-messages">
      <h2 id="messages-heading" className="visually-hidden">
        {t('adminMessages.title')}
      </h2>
      <div className="toolbar">
        <form className="toolbar-filters" role="search" onSubmit={submit}>
          {text('q', t('adminMessages.text'), t('adminMessages.textPlaceholder'))}
          {text('user_id', t('adminMessages.userId'))}
          {text('session_id', t('adminMessages.sessionId'))}
          {select('role', t('adminMessages.role'), ROLES, roleLabel)}
          {select('status', t('adminMessages.status'), STATUSES, statusLabel)}
          <button type="submit" className="button" data-testid="messages-filter">
            {t('audit.filter')}
          </button>
        </form>
      </div>

      {messages.error !== null && Object.keys(fields).length > 0 ? <FormAlert error={messages.error} testId="messages-filter-error" /> : null}
      {messages.error !== null && Object.keys(fields).length === 0 && !data ? (
        <ErrorNotice error={messages.error} testId="messages-load-error" />
      ) : !data ? (
        messages.error === null ? <p className="muted">{t('common.loading')}</p> : null
      ) : data.items.length === 0 ? (
        <p className="muted empty" data-testid="messages-empty">
          {t('adminMessages.none')}
        </p>
      ) : (
        <div className="table-wrap" aria-busy={messages.loading}>
          <table className="table table-stack" data-testid="messages-table">
            <thead>
              <tr>
                <th scope="col">{t('audit.time')}</th>
                <th scope="col">{t('adminMessages.session')}</th>
                <th scope="col">{t('adminMessages.role')}</th>
                <th scope="col">{t('adminMessages.status')}</th>
                <th scope="col">{t('adminMessages.model')}</th>
                <th scope="col">{t('adminMessages.content')}</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((message) => (
                <tr key={message.id} data-testid="messages-row" data-id={message.id}>
                  <td data-label={t('audit.time')} className="nowrap">
                    <time dateTime={message.created_at}>{formatDateTime(message.created_at, i18n.language)}</time>
                  </td>
                  <td data-label={t('adminMessages.session')}>
                    <button
                      type="button"
                      className="link-button"
                      onClick={() => go({ ...filters, session_id: message.session_id })}
                      title={t('adminMessages.onlySession', { id: message.session_id })}
                    >
                      <code>{shortId(message.session_id)}</code>
                    </button>
                  </td>
                  <td data-label={t('adminMessages.role')}>{roleLabel(message.role)}</td>
                  <td data-label={t('adminMessages.status')}>{statusLabel(message.status)}</td>
                  <td data-label={t('adminMessages.model')}>{message.model ? <code>{message.model}</code> : <span className="muted">—</span>}</td>
                  <td data-label={t('adminMessages.content')} className="cell-message">
                    <span className="message-preview" data-testid="messages-content">
                      {truncate(message.content)}
                    </span>
                    {message.image_ids && message.image_ids.length > 0 ? (
                      <span className="muted small"> {t('adminMessages.images', { count: message.image_ids.length })}</span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {data && data.total > 0 ? (
        <Pager page={data.page} perPage={data.per_page} total={data.total} onPage={(next) => go(filters, next)} testId="messages-pager" />
      ) : null}
    </section>
  );
}
