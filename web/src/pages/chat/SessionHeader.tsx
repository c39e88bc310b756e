// The head of an open conversation: its title, persona and model, its tags (edited in place),
// Share (a dialog) and Export (Markdown and JSON downloads).

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { exportUrl, updateSession, type ChatSession, type Persona } from '../../api/chat.ts';
import { FormAlert } from '../../components/forms.tsx';
import { DownloadIcon, ShareIcon } from '../../components/icons.tsx';
import { PersonaAvatar } from '../../components/PersonaAvatar.tsx';
import { titleOf } from './ChatSidebar.tsx';
import { ShareDialog } from './ShareDialog.tsx';

/** Tags typed as "a, b,, #c" → ["a", "b", "c"] (no duplicates). */
export function parseTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[,，]/)
        .map((tag) => tag.trim().replace(/^#+/, '').trim())
        .filter(Boolean),
    ),
  ];
}

export function SessionHeader({
  session,
  persona,
  onChanged,
}: {
  session: ChatSession;
  persona: Persona | null;
  onChanged: (session: ChatSession) => void;
}) {
  const { t } = useTranslation();
  const [sharing, setSharing] = useState(false);
  const [editingTags, setEditingTags] = useState(false);
  const [tags, setTags] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const title = titleOf(session, t('chat.untitled'));

  const saveTags = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      onChanged(await updateSession(session.id, { tags: parseTags(tags) }));
      setEditingTags(false);
    } catch (reason) {
      setError(reason);
    } finally {
      setSaving(false);
    }
  };

  return (
    <div className="session-header" data-testid="session-header">
      <div className="session-heading">
        <h1 id="chat-title" className="session-heading-title" data-testid="session-title">
          {title}
        </h1>
        <p className="session-meta muted small">
          {persona ? (
            <span className="session-persona" data-testid="session-persona">
              <PersonaAvatar persona={persona} size={20} />
              {persona.name}
            </span>
          ) : null}
          {session.model ? (
            <span className="session-model" data-testid="session-model">
              {session.model}
            </span>
          ) : null}
          {!editingTags ? (
            <button
              type="button"
              className="link-button"
              onClick={() => {
                setTags(session.tags.join(', '));
                setEditingTags(true);
              }}
              data-testid="session-tags-edit"
            >
              {session.tags.length > 0 ? session.tags.map((tag) => `#${tag}`).join(' ') : t('chat.addTags')}
            </button>
          ) : null}
        </p>
        {editingTags ? (
          <form className="session-tags-form" onSubmit={(event) => void saveTags(event)}>
            <label className="visually-hidden" htmlFor="session-tags-input">
              {t('chat.tagsInput')}
            </label>
            <input
              id="session-tags-input"
              className="input"
              value={tags}
              placeholder={t('chat.tagsInput')}
              onChange={(event) => setTags(event.target.value)}
              onKeyDown={(event) => {
                if (event.key === 'Escape') {
                  event.preventDefault();
                  setEditingTags(false);
                }
              }}
              autoFocus
              data-testid="session-tags-input"
            />
            <button type="submit" className="button button-small" disabled={saving} data-testid="session-tags-save">
              {t('common.save')}
            </button>
            <button type="button" className="button button-secondary button-small" onClick={() => setEditingTags(false)} disabled={saving}>
              {t('common.cancel')}
            </button>
          </form>
        ) : null}
        {error !== null ? <FormAlert error={error} testId="session-tags-error" /> : null}
      </div>
      <div className="session-tools">
        <button type="button" className="button button-secondary button-small" onClick={() => setSharing(true)} data-testid="session-share">
          <ShareIcon />
          {t('chat.share')}
        </button>
        <span className="export-links" role="group" aria-label={t('chat.export')}>
          <DownloadIcon className="export-icon" />
          <a
            className="button button-secondary button-small"
            href={exportUrl(session.id, 'md')}
            download
            aria-label={t('chat.exportLabel', { format: 'Markdown' })}
            data-testid="session-export-md"
          >
            {t('chat.exportMarkdown')}
          </a>
          <a
            className="button button-secondary button-small"
            href={exportUrl(session.id, 'json')}
            download
            aria-label={t('chat.exportLabel', { format: 'JSON' })}
            data-testid="session-export-json"
          >
            {t('chat.exportJson')}
          </a>
        </span>
      </div>
      {sharing ? <ShareDialog sessionId={session.id} onClose={() => setSharing(false)} /> : null}
    </div>
  );
}
