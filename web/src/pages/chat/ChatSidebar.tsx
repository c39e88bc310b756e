// The conversation list beside the chat: New chat, a search box (full-text `q`), a tag filter,
// then the sessions (pinned first) with rename in place, pin/unpin and delete (confirmed).
// Pages are appended with "Show more". At the bottom: personas, statistics and the download of
// every conversation.

import { useEffect, useRef, useState, type FormEvent } from 'react';
import { createPortal } from 'react-dom';
import { useTranslation } from 'react-i18next';
import { Link, NavLink, useNavigate } from 'react-router';
import { deleteSession, exportAllUrl, listSessions, updateSession, type ChatSession } from '../../api/chat.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { FormAlert } from '../../components/forms.tsx';
import { ChartIcon, CloseIcon, DownloadIcon, PencilIcon, PinIcon, PlusIcon, TrashIcon } from '../../components/icons.tsx';
import { useDebouncedValue } from '../../lib/useDebouncedValue.ts';

const PER_PAGE = 30;
const SEARCH_DELAY_MS = 300;

/** The title to show for a session. */
export function titleOf(session: Pick<ChatSession, 'title'>, untitled: string): string {
  return session.title?.trim() || untitled;
}

export function ChatSidebar({
  activeId,
  version,
  onChanged,
  onClose,
}: {
  activeId: string | null;
  /** Changes when the list must be read again (a reply ended, a session started). */
  version: number;
  /** A session was renamed, pinned or deleted. */
  onChanged: () => void;
  /** Closes the drawer (phones). */
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [search, setSearch] = useState('');
  const q = useDebouncedValue(search.trim(), SEARCH_DELAY_MS);
  const [tag, setTag] = useState('');
  const [items, setItems] = useState<ChatSession[] | null>(null);
  const [total, setTotal] = useState(0);
  const [page, setPage] = useState(1);
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);
  const [deleting, setDeleting] = useState<ChatSession | null>(null);
  const [busy, setBusy] = useState(false);
  const [knownTags, setKnownTags] = useState<string[]>([]);

  // Page 1 again whenever the filters change or the list was touched.
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    listSessions({ page: 1, per_page: PER_PAGE, q: q || undefined, tag: tag || undefined }, controller.signal).then(
      (answer) => {
        if (controller.signal.aborted) return;
        setItems(answer.items);
        setTotal(answer.total);
        setPage(1);
        setLoadError(null);
        setLoading(false);
        setKnownTags((previous) => [...new Set([...previous, ...answer.items.flatMap((item) => item.tags)])].sort());
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setLoadError(error);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [q, tag, version, reloads]);

  const more = async () => {
    setLoading(true);
    try {
      const answer = await listSessions({ page: page + 1, per_page: PER_PAGE, q: q || undefined, tag: tag || undefined });
      setItems((previous) => {
        const seen = new Set((previous ?? []).map((item) => item.id));
        return [...(previous ?? []), ...answer.items.filter((item) => !seen.has(item.id))];
      });
      setTotal(answer.total);
      setPage(page + 1);
    } catch (error) {
      setActionError(error);
    } finally {
      setLoading(false);
    }
  };

  const patch = async (session: ChatSession, change: { title?: string; pinned?: boolean }) => {
    setActionError(null);
    try {
      const saved = await updateSession(session.id, change);
      setItems((previous) => previous?.map((item) => (item.id === saved.id ? saved : item)) ?? previous);
      // Pinning moves it: read the order again.
      if (change.pinned !== undefined) setReloads((n) => n + 1);
      onChanged();
      return true;
    } catch (error) {
      setActionError(error);
      return false;
    }
  };

  const remove = async (session: ChatSession) => {
    setBusy(true);
    setActionError(null);
    try {
      await deleteSession(session.id);
      setItems((previous) => previous?.filter((item) => item.id !== session.id) ?? previous);
      setTotal((n) => Math.max(0, n - 1));
      if (session.id === activeId) void navigate('/chat');
      onChanged();
    } catch (error) {
      setActionError(error);
    } finally {
      setBusy(false);
      setDeleting(null);
    }
  };

  const tags = tag && !knownTags.includes(tag) ? [...knownTags, tag] : knownTags;
  const filtered = Boolean(q || tag);

  return (
    <div className="chat-sidebar-inner" data-testid="chat-sidebar">
      <div className="chat-sidebar-top">
        <h2 className="chat-sidebar-title">{t('chat.conversations')}</h2>
        <button type="button" className="icon-button chat-drawer-close" onClick={onClose} aria-label={t('chat.hideConversations')}>
          <CloseIcon />
        </button>
      </div>
      <Link to="/chat" className="button chat-new" onClick={onClose} data-testid="chat-new">
        <PlusIcon />
        {t('chat.newChat')}
      </Link>
      <div className="chat-filters">
        <label className="visually-hidden" htmlFor="chat-search">
          {t('chat.search')}
        </label>
        <input
          id="chat-search"
          className="input"
          type="search"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
          placeholder={t('chat.searchPlaceholder')}
          autoComplete="off"
          data-testid="chat-search"
        />
        {tags.length > 0 ? (
          <>
            <label className="visually-hidden" htmlFor="chat-tag-filter">
              {t('chat.tagFilter')}
            </label>
            <select id="chat-tag-filter" className="select" value={tag} onChange={(event) => setTag(event.target.value)} data-testid="chat-tag-filter">
              <option value="">{t('chat.allTags')}</option>
              {tags.map((name) => (
                <option key={name} value={name}>
                  #{name}
                </option>
              ))}
            </select>
          </>
        ) : null}
      </div>
      {actionError !== null ? <FormAlert error={actionError} testId="chat-sidebar-error" /> : null}
      {loadError !== null && !items ? (
        <ErrorNotice error={loadError} testId="chat-sessions-error" />
      ) : !items ? (
        <p className="muted small" role="status">
          {t('common.loading')}
        </p>
      ) : items.length === 0 ? (
        <p className="muted small chat-sidebar-empty" data-testid="chat-sessions-empty">
          {filtered ? t('chat.noMatches') : t('chat.noConversations')}
        </p>
      ) : (
        <ul className="session-list" aria-busy={loading} data-testid="session-list">
          {items.map((session) => (
            <SessionItem
              key={session.id}
              session={session}
              active={session.id === activeId}
              onOpen={onClose}
              onRename={(title) => patch(session, { title })}
              onPin={() => void patch(session, { pinned: !session.pinned })}
              onDelete={() => setDeleting(session)}
            />
          ))}
        </ul>
      )}
      {items && items.length < total ? (
        <button type="button" className="button button-secondary button-small chat-more" onClick={() => void more()} disabled={loading} data-testid="chat-more">
          {t('chat.loadMore')}
        </button>
      ) : null}
      <div className="chat-sidebar-links small">
        <Link to="/chat/personas" className="chat-personas-link" onClick={onClose} data-testid="chat-personas-link">
          {t('chat.managePersonas')}
        </Link>
        <Link to="/chat/statistics" className="chat-sidebar-link" onClick={onClose} data-testid="chat-statistics-link">
          <ChartIcon />
          {t('stats.link')}
        </Link>
        <a href={exportAllUrl()} className="chat-sidebar-link" download data-testid="chat-export-all">
          <DownloadIcon />
          {t('stats.exportAll')}
        </a>
      </div>
      {/* On the body: the sidebar is its own stacking context (sticky, or the phone drawer). */}
      {deleting
        ? createPortal(
        <ConfirmDialog
          title={t('chat.deleteTitle', { title: titleOf(deleting, t('chat.untitled')) })}
          confirmLabel={busy ? t('chat.deleting') : t('chat.delete')}
          busy={busy}
          danger
          onConfirm={() => void remove(deleting)}
          onCancel={() => setDeleting(null)}
          testId="session-delete-dialog"
        >
          <p>{t('chat.deleteWarning')}</p>
        </ConfirmDialog>,
            document.body,
          )
        : null}
    </div>
  );
}

function SessionItem({
  session,
  active,
  onOpen,
  onRename,
  onPin,
  onDelete,
}: {
  session: ChatSession;
  active: boolean;
  onOpen: () => void;
  onRename: (title: string) => Promise<boolean>;
  onPin: () => void;
  onDelete: () => void;
}) {
  const { t } = useTranslation();
  const title = titleOf(session, t('chat.untitled'));
  const [renaming, setRenaming] = useState(false);
  const [draft, setDraft] = useState(title);
  const [saving, setSaving] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (renaming) input.current?.select();
  }, [renaming]);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const next = draft.trim();
    if (!next || next === session.title) {
      setRenaming(false);
      return;
    }
    setSaving(true);
    const ok = await onRename(next);
    setSaving(false);
    if (ok) setRenaming(false);
  };

  return (
    <li
      className={active ? 'session-item active' : 'session-item'}
      data-testid="session-item"
      data-id={session.id}
      data-title={title}
      data-pinned={session.pinned}
    >
      {renaming ? (
        <form className="session-rename" onSubmit={(event) => void save(event)}>
          <label className="visually-hidden" htmlFor={`rename-${session.id}`}>
            {t('chat.renameInput')}
          </label>
          <input
            ref={input}
            id={`rename-${session.id}`}
            className="input"
            value={draft}
            maxLength={200}
            onChange={(event) => setDraft(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Escape') {
                event.preventDefault();
                setRenaming(false);
              }
            }}
            disabled={saving}
            data-testid="session-rename-input"
          />
          <button type="submit" className="button button-small" disabled={saving} data-testid="session-rename-save">
            {t('common.save')}
          </button>
          <button type="button" className="button button-secondary button-small" onClick={() => setRenaming(false)} disabled={saving}>
            {t('common.cancel')}
          </button>
        </form>
      ) : (
        <>
          <NavLink to={`/chat/${encodeURIComponent(session.id)}`} className="session-link" onClick={onOpen} data-testid="session-link">
            <span className="session-title">
              {session.pinned ? <PinIcon className="session-pin-mark" /> : null}
              {title}
            </span>
            {session.tags.length > 0 ? (
              <span className="session-tags">{session.tags.map((name) => `#${name}`).join(' ')}</span>
            ) : null}
            {session.pinned ? <span className="visually-hidden">{t('chat.pinned')}</span> : null}
          </NavLink>
          <div className="session-actions">
            <button
              type="button"
              className="session-action"
              onClick={() => {
                setDraft(title);
                setRenaming(true);
              }}
              aria-label={t('chat.renameLabel', { title })}
              title={t('chat.rename')}
              data-testid="session-rename"
            >
              <PencilIcon />
            </button>
            <button
              type="button"
              className="session-action"
              onClick={onPin}
              aria-pressed={session.pinned}
              aria-label={session.pinned ? t('chat.unpinLabel', { title }) : t('chat.pinLabel', { title })}
              title={session.pinned ? t('chat.unpin') : t('chat.pin')}
              data-testid="session-pin"
            >
              <PinIcon />
            </button>
            <button
              type="button"
              className="session-action session-action-danger"
              onClick={onDelete}
              aria-label={t('chat.deleteLabel', { title })}
              title={t('chat.delete')}
              data-testid="session-delete"
            >
              <TrashIcon />
            </button>
          </div>
        </>
      )}
    </li>
  );
}
