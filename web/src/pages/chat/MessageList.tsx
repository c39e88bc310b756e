// The messages of a conversation: the user's as plain text with their attached images (and
// Edit, which sends the edited question again), the assistant's as sanitised markdown with its
// persona — or, for the `emotion` persona, its reading as a chart — a badge for a reply that was
// stopped, failed or cut off, and Regenerate on the last answer. Without `onEdit` and
// `onRegenerate` (guests) there is only Copy.

import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { ChatMessage, Persona } from '../../api/chat.ts';
import { fileUrl } from '../../api/files.ts';
import { Markdown } from '../../components/Markdown.tsx';
import { PersonaAvatar } from '../../components/PersonaAvatar.tsx';
import { CopyIcon, PencilIcon, RefreshIcon } from '../../components/icons.tsx';
import { copyText } from '../../lib/clipboard.ts';
import { EMOTION_PERSONA, EmotionChart, parseEmotionReading } from './EmotionChart.tsx';

export function MessageList({
  messages,
  streaming,
  personaOf,
  onEdit,
  onRegenerate,
}: {
  messages: ChatMessage[];
  streaming: boolean;
  /** The persona that wrote an answer (its own, else the session's), shown beside it. */
  personaOf: (message: ChatMessage) => Persona | null;
  onEdit?: (messageId: string, content: string) => Promise<boolean>;
  onRegenerate?: () => void;
}) {
  const { t } = useTranslation();
  const [editing, setEditing] = useState<string | null>(null);

  const lastAssistant = [...messages].reverse().find((message) => message.role === 'assistant') ?? null;
  const canRegenerate = onRegenerate !== undefined && !streaming && lastAssistant !== null && messages[messages.length - 1]?.id === lastAssistant.id;

  return (
    <ol className="messages" aria-label={t('chat.messagesLabel')} aria-busy={streaming} data-testid="message-list">
        {messages.map((message) =>
          message.role === 'user' ? (
            <UserMessage
              key={message.id}
              message={message}
              editing={editing === message.id}
              canEdit={onEdit !== undefined && !streaming && !message.id.startsWith('local-')}
              onStartEdit={() => setEditing(message.id)}
              onCancelEdit={() => setEditing(null)}
              onSave={async (content) => {
                setEditing(null);
                return onEdit ? onEdit(message.id, content) : false;
              }}
            />
          ) : (
            <AssistantMessage
              key={message.id}
              message={message}
              persona={personaOf(message)}
              canRegenerate={canRegenerate && message.id === lastAssistant?.id}
              onRegenerate={() => onRegenerate?.()}
            />
          ),
        )}
    </ol>
  );
}

function CopyButton({ text }: { text: string }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);

  useEffect(() => {
    if (copied === null) return;
    const timer = window.setTimeout(() => setCopied(null), 2000);
    return () => window.clearTimeout(timer);
  }, [copied]);

  return (
    <button
      type="button"
      className="message-action"
      onClick={() => void copyText(text).then((ok) => setCopied(ok ? 'yes' : 'no'))}
      aria-label={t('chat.copyMessage')}
      data-testid="message-copy"
    >
      <CopyIcon />
      <span aria-live="polite">{copied === 'yes' ? t('chat.copied') : copied === 'no' ? t('chat.copyFailed') : t('chat.copy')}</span>
    </button>
  );
}

function UserMessage({
  message,
  editing,
  canEdit,
  onStartEdit,
  onCancelEdit,
  onSave,
}: {
  message: ChatMessage;
  editing: boolean;
  canEdit: boolean;
  onStartEdit: () => void;
  onCancelEdit: () => void;
  onSave: (content: string) => Promise<boolean>;
}) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState(message.content);
  const area = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (!editing) return;
    setDraft(message.content);
    area.current?.focus();
  }, [editing, message.content]);

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    const content = draft.trim();
    if (!content) return;
    if (content === message.content.trim()) {
      onCancelEdit();
      return;
    }
    void onSave(content);
  };

  return (
    <li className="message message-user" data-testid="message" data-role="user" data-id={message.id} data-status={message.status}>
      <span className="visually-hidden">{t('chat.you')}</span>
      {editing ? (
        <form className="message-edit" onSubmit={submit}>
          <label className="visually-hidden" htmlFor={`edit-${message.id}`}>
            {t('chat.editLabel')}
          </label>
          <textarea
            ref={area}
            id={`edit-${message.id}`}
            className="input textarea"
            value={draft}
            rows={Math.min(10, Math.max(2, draft.split('\n').length))}
            onChange={(event) => setDraft(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Escape') {
                event.preventDefault();
                onCancelEdit();
              } else if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
                event.preventDefault();
                submit();
              }
            }}
            data-testid="message-edit-input"
          />
          <div className="form-actions">
            <button type="submit" className="button button-small" disabled={!draft.trim()} data-testid="message-edit-save">
              {t('chat.saveAndSend')}
            </button>
            <button type="button" className="button button-secondary button-small" onClick={onCancelEdit}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      ) : (
        <>
          <div className="bubble bubble-user">
            {message.image_ids && message.image_ids.length > 0 ? <MessageImages ids={message.image_ids} /> : null}
            <p className="message-text" data-testid="message-content">
              {message.content}
            </p>
          </div>
          <div className="message-actions">
            <CopyButton text={message.content} />
            {canEdit ? (
              <button type="button" className="message-action" onClick={onStartEdit} data-testid="message-edit">
                <PencilIcon />
                <span>{t('chat.edit')}</span>
              </button>
            ) : null}
          </div>
        </>
      )}
    </li>
  );
}

/** The images attached to a question, as thumbnails that open the full picture. */
function MessageImages({ ids }: { ids: string[] }) {
  const { t } = useTranslation();
  return (
    <ul className="message-images" aria-label={t('attach.inMessage', { count: ids.length })}>
      {ids.map((id, index) => (
        <li key={id}>
          <a href={fileUrl(id)} target="_blank" rel="noopener noreferrer" className="message-image-link">
            <img
              className="message-image"
              src={fileUrl(id)}
              alt={t('attach.imageAlt', { number: index + 1 })}
              loading="lazy"
              data-testid="message-image"
              data-id={id}
            />
          </a>
        </li>
      ))}
    </ul>
  );
}

const BADGES: Record<string, string> = {
  cancelled: 'badge badge-disabled',
  error: 'badge badge-error',
  incomplete: 'badge badge-pending',
};

function AssistantMessage({
  message,
  persona,
  canRegenerate,
  onRegenerate,
}: {
  message: ChatMessage;
  persona: Persona | null;
  canRegenerate: boolean;
  onRegenerate: () => void;
}) {
  const { t } = useTranslation();
  const writing = message.status === 'streaming';
  const reading = useMemo(
    () => (message.persona_id === EMOTION_PERSONA && !writing && message.content ? parseEmotionReading(message.content) : null),
    [message.persona_id, message.content, writing],
  );
  const badge = BADGES[message.status];
  const badgeText =
    message.status === 'cancelled'
      ? t('chat.status.cancelled')
      : message.status === 'error'
        ? t('chat.status.error')
        : message.status === 'incomplete'
          ? t('chat.status.incomplete')
          : null;

  return (
    <li className="message message-assistant" data-testid="message" data-role="assistant" data-id={message.id} data-status={message.status}>
      <div className="message-author">
        {persona ? <PersonaAvatar persona={persona} size={26} /> : null}
        <span className="message-author-name">{persona?.name ?? t('chat.assistant')}</span>
        {message.model ? <span className="muted small message-model">{message.model}</span> : null}
        {badge && badgeText ? (
          <span className={badge} data-testid="message-status">
            {badgeText}
          </span>
        ) : null}
      </div>
      <div className="bubble bubble-assistant">
        <div data-testid="message-content">
          {reading ? <EmotionChart reading={reading} /> : message.content ? <Markdown content={message.content} /> : null}
        </div>
        {writing ? (
          <p className="typing" role="status" data-testid="message-writing">
            <span className="typing-dots" aria-hidden="true">
              <span />
              <span />
              <span />
            </span>
            <span className="visually-hidden">{t('chat.writing')}</span>
          </p>
        ) : null}
        {message.status === 'error' && message.error ? (
          <p className="message-error" data-testid="message-error">
            {message.error}
          </p>
        ) : null}
      </div>
      {!writing ? (
        <div className="message-actions">
          <CopyButton text={message.content} />
          {canRegenerate ? (
            <button type="button" className="message-action" onClick={onRegenerate} data-testid="message-regenerate">
              <RefreshIcon />
              <span>{t('chat.regenerate')}</span>
            </button>
          ) : null}
          {message.completion_tokens !== null && message.prompt_tokens !== null ? (
            <span className="muted small message-tokens">
              {t('chat.tokens', { prompt: message.prompt_tokens, completion: message.completion_tokens })}
            </span>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}
