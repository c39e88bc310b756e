// User administration: search (debounced), role and status filters and paging, all kept in the
// URL; per user: role, permissions, enable/disable, password reset mail, delete (confirmed).
// The server refuses to demote, disable or delete the last active admin (409), which is shown
// as said.

import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { deleteUser, listUsers, resetUserPassword, updateUser, usersExportUrl, type UserPatch } from '../../api/admin.ts';
import { ROLES, type Role, type User } from '../../api/auth.ts';
import { useAuth } from '../../auth/context.ts';
import { Avatar, nameOf } from '../../components/Avatar.tsx';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { FormAlert, Notice } from '../../components/forms.tsx';
import { LimitsForm } from '../../components/LimitsForm.tsx';
import { Pager } from '../../components/Pager.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { roleLabel } from '../../lib/roles.ts';
import { useAsync } from '../../lib/useAsync.ts';
import { useDebouncedValue } from '../../lib/useDebouncedValue.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { UserPermissions } from './UserPermissions.tsx';

/** Users per page. */
export const USERS_PER_PAGE = 20;
/** Quiet time after typing before the search runs. */
export const SEARCH_DEBOUNCE_MS = 300;

function isRole(value: string | null): value is Role {
  return (ROLES as readonly (string | null)[]).includes(value);
}

export function AdminUsersPage() {
  const { t, i18n } = useTranslation();
  const auth = useAuth();
  useDocumentTitle(t('admin.users'));
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const roleParam = params.get('role');
  const role: Role | '' = isRole(roleParam) ? roleParam : '';
  const activeParam = params.get('active');
  const active = activeParam === 'true' ? true : activeParam === 'false' ? false : null;
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);

  const [search, setSearch] = useState(q);
  const settledSearch = useDebouncedValue(search, SEARCH_DEBOUNCE_MS);
  const searchId = useId();
  const roleId = useId();
  const activeId = useId();

  const update = (changes: Record<string, string | null>, resetPage = true) => {
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        for (const [key, value] of Object.entries(changes)) {
          if (value === null || value === '') next.delete(key);
          else next.set(key, value);
        }
        if (resetPage) next.delete('page');
        return next;
      },
      { replace: true },
    );
  };

  useEffect(() => {
    if (settledSearch.trim() !== q) update({ q: settledSearch.trim() });
    // Only a settled change of the box searches (not `q` changing through the URL).
  }, [settledSearch]);
  useEffect(() => {
    // The URL changed from outside (back/forward): show its search in the box.
    if (q !== settledSearch.trim()) setSearch(q);
  }, [q]);

  const users = useAsync(
    (signal) => listUsers({ q, role, active, page, per_page: USERS_PER_PAGE }, signal),
    [q, role, active, page],
  );
  const [rows, setRows] = useState<User[]>([]);
  useEffect(() => {
    if (users.data) setRows(users.data.items);
  }, [users.data]);

  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<User | null>(null);
  const [limitsOf, setLimitsOf] = useState<User | null>(null);

  const act = async (user: User, action: () => Promise<string>) => {
    setBusy(user.id);
    setError(null);
    setMessage(null);
    try {
      setMessage(await action());
      return true;
    } catch (reason) {
      setError(reason);
      return false;
    } finally {
      setBusy(null);
    }
  };

  const patch = (user: User, change: UserPatch, done: (updated: User) => string) =>
    act(user, async () => {
      const updated = await updateUser(user.id, change);
      setRows((previous) => previous.map((row) => (row.id === updated.id ? updated : row)));
      return done(updated);
    });

  const remove = async (user: User) => {
    const ok = await act(user, async () => {
      await deleteUser(user.id);
      return t('adminUsers.deleted', { username: user.username });
    });
    setConfirming(null);
    if (ok) users.reload();
  };

  const data = users.data;

  return (
    <section aria-labelledby="users-heading" data-testid="admin-users">
      <h2 id="users-heading" className="visually-hidden">
        {t('admin.users')}
      </h2>
      <div className="toolbar">
        <form className="toolbar-filters" role="search" onSubmit={(event) => event.preventDefault()}>
          <div className="field field-inline field-grow">
            <label htmlFor={searchId}>{t('adminUsers.search')}</label>
            <input
              id={searchId}
              className="input"
              type="search"
              value={search}
              onChange={(event) => setSearch(event.target.value)}
              placeholder={t('adminUsers.searchPlaceholder')}
              data-testid="users-search"
            />
          </div>
          <div className="field field-inline">
            <label htmlFor={roleId}>{t('adminUsers.role')}</label>
            <select
              id={roleId}
              className="select"
              value={role}
              onChange={(event) => update({ role: event.target.value })}
              data-testid="users-role-filter"
            >
              <option value="">{t('adminUsers.allRoles')}</option>
              {ROLES.map((value) => (
                <option key={value} value={value}>
                  {roleLabel(value, t)}
                </option>
              ))}
            </select>
          </div>
          <div className="field field-inline">
            <label htmlFor={activeId}>{t('adminUsers.status')}</label>
            <select
              id={activeId}
              className="select"
              value={active === null ? '' : String(active)}
              onChange={(event) => update({ active: event.target.value })}
              data-testid="users-active-filter"
            >
              <option value="">{t('adminUsers.allStatuses')}</option>
              <option value="true">{t('adminUsers.active')}</option>
              <option value="false">{t('adminUsers.disabled')}</option>
            </select>
          </div>
        </form>
        <div className="toolbar-actions">
          <a className="button button-secondary button-small" href={usersExportUrl('csv')} download data-testid="users-export-csv">
            {t('adminUsers.exportCsv')}
          </a>
          <a className="button button-secondary button-small" href={usersExportUrl('json')} download data-testid="users-export-json">
            {t('adminUsers.exportJson')}
          </a>
        </div>
      </div>

      {error !== null ? <FormAlert error={error} testId="users-error" /> : null}
      {message ? (
        <Notice testId="users-message">
          <p className="notice-body">{message}</p>
        </Notice>
      ) : null}

      {users.error !== null && !data ? (
        <ErrorNotice error={users.error} testId="users-load-error" />
      ) : !data ? (
        <p className="muted">{t('common.loading')}</p>
      ) : rows.length === 0 ? (
        <p className="muted empty" data-testid="users-empty">
          {t('adminUsers.none')}
        </p>
      ) : (
        <div className="table-wrap" aria-busy={users.loading}>
          <table className="table table-stack" data-testid="users-table">
            <thead>
              <tr>
                <th scope="col">{t('adminUsers.user')}</th>
                <th scope="col">{t('adminUsers.role')}</th>
                <th scope="col">{t('adminUsers.status')}</th>
                <th scope="col">{t('adminUsers.lastLogin')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('common.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((user) => {
                const self = user.id === auth.user?.id;
                const rowBusy = busy === user.id;
                return (
                  <tr key={user.id} data-testid="user-row" data-username={user.username}>
                    <td data-label={t('adminUsers.user')}>
                      <div className="user-cell">
                        {/* avatar_url serves the caller's own picture, so others get initials. */}
                        <Avatar user={{ ...user, avatar_url: self ? user.avatar_url : null }} size={32} />
                        <div>
                          <div className="user-cell-name">
                            {nameOf(user)}
                            {self ? <span className="muted small"> {t('adminUsers.you')}</span> : null}
                          </div>
                          <div className="muted small">
                            @{user.username} · {user.email}
                          </div>
                        </div>
                      </div>
                    </td>
                    <td data-label={t('adminUsers.role')}>
                      <select
                        className="select select-small"
                        value={user.role}
                        aria-label={t('adminUsers.roleOf', { username: user.username })}
                        disabled={self || rowBusy}
                        onChange={(event) => {
                          const next = event.target.value;
                          if (isRole(next)) {
                            void patch(user, { role: next }, (updated) =>
                              t('adminUsers.roleChanged', { username: updated.username, role: roleLabel(updated.role, t) }),
                            );
                          }
                        }}
                        data-testid="user-role"
                      >
                        {ROLES.map((value) => (
                          <option key={value} value={value}>
                            {roleLabel(value, t)}
                          </option>
                        ))}
                        {isRole(user.role) ? null : <option value={user.role}>{user.role}</option>}
                      </select>
                      {user.role !== 'admin' ? (
                        <UserPermissions user={user} disabled={rowBusy} onChange={(permissions, done) => void patch(user, { permissions }, done)} />
                      ) : null}
                    </td>
                    <td data-label={t('adminUsers.status')}>
                      <span className={`badge ${user.is_active ? 'badge-ok' : 'badge-error'}`} data-testid="user-status">
                        {user.is_active ? t('adminUsers.active') : t('adminUsers.disabled')}
                      </span>
                    </td>
                    <td data-label={t('adminUsers.lastLogin')}>
                      {user.last_login_at ? (
                        <time dateTime={user.last_login_at}>{formatDateTime(user.last_login_at, i18n.language)}</time>
                      ) : (
                        <span className="muted">{t('adminUsers.never')}</span>
                      )}
                    </td>
                    <td className="cell-actions">
                      <div className="row-actions">
                        <button
                          type="button"
                          className="button button-secondary button-small"
                          disabled={self || rowBusy}
                          onClick={() =>
                            void patch(user, { is_active: !user.is_active }, (updated) =>
                              updated.is_active
                                ? t('adminUsers.enabledDone', { username: updated.username })
                                : t('adminUsers.disabledDone', { username: updated.username }),
                            )
                          }
                          aria-label={
                            user.is_active
                              ? t('adminUsers.disableLabel', { username: user.username })
                              : t('adminUsers.enableLabel', { username: user.username })
                          }
                          data-testid="user-toggle-active"
                        >
                          {user.is_active ? t('adminUsers.disable') : t('adminUsers.enable')}
                        </button>
                        <button
                          type="button"
                          className="button button-secondary button-small"
                          disabled={rowBusy}
                          onClick={() =>
                            void act(user, async () => {
                              await resetUserPassword(user.id);
                              return t('adminUsers.resetSent', { username: user.username, email: user.email });
                            })
                          }
                          aria-label={t('adminUsers.resetLabel', { username: user.username })}
                          data-testid="user-reset-password"
                        >
                          {t('adminUsers.resetPassword')}
                        </button>
                        <button
                          type="button"
                          className="button button-secondary button-small"
                          onClick={() => setLimitsOf(user)}
                          data-testid="user-limits"
                        >
                          {t('limits.button')}
                        </button>
                        <button
                          type="button"
                          className="button button-danger button-small"
                          disabled={self || rowBusy}
                          onClick={() => setConfirming(user)}
                          aria-label={t('adminUsers.deleteLabel', { username: user.username })}
                          data-testid="user-delete"
                        >
                          {t('adminUsers.delete')}
                        </button>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      {data && data.total > 0 ? (
        <Pager
          page={data.page}
          perPage={data.per_page}
          total={data.total}
          onPage={(next) => update({ page: next > 1 ? String(next) : null }, false)}
          testId="users-pager"
        />
      ) : null}

      {limitsOf ? (
        <section className="card" aria-labelledby="user-limits-heading" data-testid="user-limits-panel">
          <div className="page-header">
            <h2 id="user-limits-heading">{t('limits.forUser', { name: limitsOf.username })}</h2>
            <button type="button" className="button button-secondary button-small" onClick={() => setLimitsOf(null)}>
              {t('limits.close')}
            </button>
          </div>
          <LimitsForm target={{ kind: 'user', id: limitsOf.id }} testId="user-limits-form" />
        </section>
      ) : null}

      {confirming ? (
        <ConfirmDialog
          title={t('adminUsers.deleteTitle', { username: confirming.username })}
          confirmLabel={busy === confirming.id ? t('adminUsers.deleting') : t('adminUsers.delete')}
          busy={busy === confirming.id}
          danger
          onConfirm={() => void remove(confirming)}
          onCancel={() => setConfirming(null)}
          testId="delete-dialog"
        >
          <p>{t('adminUsers.deleteWarning', { username: confirming.username, email: confirming.email })}</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
