// Where the user writes: a textarea (Enter sends, Shift+Enter adds a line; an IME composition
// is left alone), the persona and model pickers, and Send — which is Stop while a reply is being
// received. The text stays until the server has taken it.

import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { ChatModel, Persona } from '../../api/chat.ts';
import { PersonaAvatar, avatarText } from '../../components/PersonaAvatar.tsx';
import { SendIcon, StopIcon } from '../../components/icons.tsx';

export function Composer({
  streaming,
  onSend,
  onStop,
  models,
  personas,
  model,
  personaId,
  onModelChange,
  onPersonaChange,
}: {
  streaming: boolean;
  onSend: (text: string) => Promise<boolean>;
  onStop: () => void;
  models: ChatModel[] | null;
  personas: Persona[] | null;
  /** The chosen model; "" for the default. */
  model: string;
  /** The chosen persona; "" for none. */
  personaId: string;
  onModelChange: (model: string) => void;
  onPersonaChange: (personaId: string) => void;
}) {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const persona = personas?.find((item) => item.id === personaId) ?? null;
  // A model the list does not have (any more) is still shown, so the picker tells the truth.
  const modelIds = models?.map((item) => item.id) ?? [];
  if (model && !modelIds.includes(model)) modelIds.push(model);

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (streaming || sending || !text.trim()) return;
    setSending(true);
    const accepted = await onSend(text.trim());
    setSending(false);
    if (accepted) setText('');
    area.current?.focus();
  };

  return (
    <form className="composer" onSubmit={(event) => void submit(event)} data-testid="composer">
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
        maxLength={100_000}
        data-testid="composer-input"
      />
      <div className="composer-bar">
        <div className="composer-pickers">
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
              disabled={streaming || personas === null}
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
          <label className="visually-hidden" htmlFor="composer-model">
            {t('chat.model')}
          </label>
          <select
            id="composer-model"
            className="select select-small"
            value={model}
            onChange={(event) => onModelChange(event.target.value)}
            disabled={streaming || models === null}
            data-testid="composer-model"
          >
            <option value="">{t('chat.defaultModel')}</option>
            {modelIds.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </div>
        {streaming ? (
          <button type="button" className="button button-secondary composer-button" onClick={onStop} data-testid="chat-stop">
            <StopIcon />
            {t('chat.stop')}
          </button>
        ) : (
          <button type="submit" className="button composer-button" disabled={sending || !text.trim()} data-testid="composer-send">
            <SendIcon />
            {t('chat.send')}
          </button>
        )}
      </div>
    </form>
  );
}
