// Where the user writes: a textarea (Enter sends, Shift+Enter adds a line; an IME composition
// is left alone), the persona and model pickers, and Send — which is Stop while a reply is being
// received. The text stays until the server has taken it. With `attachments`, images can be
// attached (a button, a paste into the text; the page adds dropped ones): they show as chips
// with their upload state and a remove button, and Send waits for their uploads. Guests get the
// same composer without the model picker and the images.

import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { ChatModel, Persona } from '../../api/chat.ts';
import { IMAGE_TYPES, fileUrl } from '../../api/files.ts';
import { errorMessage } from '../../components/ErrorNotice.tsx';
import { PersonaAvatar, avatarText } from '../../components/PersonaAvatar.tsx';
import { CloseIcon, ImageIcon, SendIcon, StopIcon } from '../../components/icons.tsx';
import { MAX_ATTACHMENTS, filesOf, type Attachment, type Attachments } from './useAttachments.ts';

export function Composer({
  streaming,
  onSend,
  onStop,
  models,
  personas,
  model = '',
  personaId,
  onModelChange,
  onPersonaChange,
  attachments,
  disabled = false,
  maxLength = 100_000,
}: {
  streaming: boolean;
  /** Sends the text with the uploaded images; resolves whether the server took it. */
  onSend: (text: string, imageIds: string[]) => Promise<boolean>;
  onStop: () => void;
  personas: Persona[] | null;
  /** The chosen persona; "" for none. */
  personaId: string;
  onPersonaChange: (personaId: string) => void;
  /** The models to pick from; the picker is left out without `onModelChange`. */
  models?: ChatModel[] | null;
  /** The chosen model; "" for the default. */
  model?: string;
  onModelChange?: (model: string) => void;
  /** Images for the next message; left out: nothing can be attached. */
  attachments?: Attachments;
  /** Nothing can be sent now. */
  disabled?: boolean;
  maxLength?: number;
}) {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const persona = personas?.find((item) => item.id === personaId) ?? null;
  // A model the list does not have (any more) is still shown, so the picker tells the truth.
  const modelIds = models?.map((item) => item.id) ?? [];
  if (model && !modelIds.includes(model)) modelIds.push(model);
  const uploading = attachments?.uploading ?? false;
  const canSend = !disabled && !sending && !uploading && text.trim() !== '';

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (streaming || !canSend) return;
    setSending(true);
    const accepted = await onSend(text.trim(), attachments?.ids ?? []);
    setSending(false);
    if (accepted) {
      setText('');
      attachments?.clear();
    }
    area.current?.focus();
  };

  return (
    <form className="composer" onSubmit={(event) => void submit(event)} data-testid="composer">
      {attachments && attachments.items.length > 0 ? (
        <ul className="attachments" aria-label={t('attach.list')} data-testid="attachments">
          {attachments.items.map((item) => (
            <AttachmentChip key={item.key} item={item} onRemove={() => attachments.remove(item.key)} />
          ))}
        </ul>
      ) : null}
      {attachments?.overflow ? (
        <p className="attachments-note small" role="status" data-testid="attachments-overflow">
          {t('attach.tooMany', { count: MAX_ATTACHMENTS })}
        </p>
      ) : null}
      <label className="visually-hidden" htmlFor="composer-input">
        {t('chat.messageInput')}
      </label>
      <textarea
        ref={area}
        id="composer-input"
        className="input composer-input"
        value={text}
        rows={Math.min(8, Math.max(2, text.split('\n').length))}
        placeholder={t('chat.messagePlaceholder')}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
            event.preventDefault();
            void submit();
          }
        }}
        onPaste={(event) => {
          if (!attachments) return;
          const images = filesOf(event.clipboardData).filter((file) => file.type.startsWith('image/'));
          if (images.length === 0) return;
          event.preventDefault();
          attachments.add(images);
        }}
        maxLength={maxLength}
        disabled={disabled}
        data-testid="composer-input"
      />
      <div className="composer-bar">
        <div className="composer-pickers">
          {attachments ? (
            <>
              <button
                type="button"
                className="icon-button composer-attach"
                onClick={() => picker.current?.click()}
                disabled={attachments.full || disabled}
                aria-label={t('attach.add')}
                title={t('attach.add')}
                data-testid="composer-attach"
              >
                <ImageIcon />
              </button>
              <input
                ref={picker}
                type="file"
                accept={IMAGE_TYPES.join(',')}
                multiple
                hidden
                onChange={(event) => {
                  attachments.add(Array.from(event.target.files ?? []));
                  // The same file may be picked again after it was removed.
                  event.target.value = '';
                }}
                data-testid="composer-file"
              />
            </>
          ) : null}
          <span className="composer-persona">
            {persona ? <PersonaAvatar persona={persona} size={24} /> : null}
            <label className="visually-hidden" htmlFor="composer-persona">
              {t('chat.persona')}
            </label>
            <select
              id="composer-persona"
              className="select select-small"
              value={personaId}
              onChange={(event) => onPersonaChange(event.target.value)}
              disabled={streaming || personas === null || disabled}
              data-testid="composer-persona"
            >
              <option value="">{t('chat.noPersona')}</option>
              {(personas ?? []).map((item) => (
                <option key={item.id} value={item.id}>
                  {`${avatarText(item)} ${item.name}`}
                </option>
              ))}
            </select>
          </span>
          {onModelChange ? (
            <>
              <label className="visually-hidden" htmlFor="composer-model">
                {t('chat.model')}
              </label>
              <select
                id="composer-model"
                className="select select-small"
                value={model}
                onChange={(event) => onModelChange(event.target.value)}
                disabled={streaming || models === null || models === undefined}
                data-testid="composer-model"
              >
                <option value="">{t('chat.defaultModel')}</option>
                {modelIds.map((id) => (
                  <option key={id} value={id}>
                    {id}
                  </option>
                ))}
              </select>
            </>
          ) : null}
        </div>
        {streaming ? (
          <button type="button" className="button button-secondary composer-button" onClick={onStop} data-testid="chat-stop">
            <StopIcon />
            {t('chat.stop')}
          </button>
        ) : (
          <button type="submit" className="button composer-button" disabled={!canSend} data-testid="composer-send">
            <SendIcon />
            {uploading ? t('attach.waiting') : t('chat.send')}
          </button>
        )}
      </div>
    </form>
  );
}

function AttachmentChip({ item, onRemove }: { item: Attachment; onRemove: () => void }) {
  const { t } = useTranslation();
  const thumbnail = item.preview ?? (item.id ? fileUrl(item.id) : null);
  const problem =
    item.problem === 'type'
      ? t('attach.badType')
      : item.problem === 'size'
        ? t('attach.tooLarge')
        : item.status === 'error'
          ? errorMessage(item.error, t)
          : null;
  return (
    <li className={`attachment attachment-${item.status}`} data-testid="attachment" data-status={item.status} data-id={item.id ?? undefined}>
      {thumbnail ? (
        <img className="attachment-thumb" src={thumbnail} alt="" />
      ) : (
        <span className="attachment-thumb attachment-placeholder" aria-hidden="true">
          <ImageIcon />
        </span>
      )}
      <span className="attachment-info">
        <span className="attachment-name" title={item.name}>
          {item.name}
        </span>
        {item.status === 'uploading' ? (
          <progress className="attachment-progress" aria-label={t('attach.uploading', { name: item.name })} data-testid="attachment-progress" />
        ) : problem ? (
          <span className="attachment-error" role="alert" data-testid="attachment-error">
            {problem}
          </span>
        ) : (
          <span className="visually-hidden">{t('attach.ready')}</span>
        )}
      </span>
      <button
        type="button"
        className="attachment-remove"
        onClick={onRemove}
        aria-label={t('attach.remove', { name: item.name })}
        title={t('attach.removeShort')}
        data-testid="attachment-remove"
      >
        <CloseIcon />
      </button>
    </li>
  );
}
