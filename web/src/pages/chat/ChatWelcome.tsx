// The empty conversation: a greeting and the personas to start with (the chat and the guest
// chat).

import { useTranslation } from 'react-i18next';
import type { Persona } from '../../api/chat.ts';
import { PersonaAvatar } from '../../components/PersonaAvatar.tsx';

export function ChatWelcome({
  personas,
  selected,
  onPick,
  text,
}: {
  personas: Persona[] | null;
  selected: string;
  onPick: (id: string) => void;
  /** The line under the greeting, if not the usual one. */
  text?: string;
}) {
  const { t } = useTranslation();
  return (
    <div className="chat-welcome" data-testid="chat-welcome">
      <h2>{t('chat.welcomeTitle')}</h2>
      <p className="muted">{text ?? t('chat.welcomeText')}</p>
      {personas && personas.length > 0 ? (
        <ul className="persona-picks" aria-label={t('chat.persona')}>
          {personas.map((persona) => (
            <li key={persona.id}>
              <button
                type="button"
                className="persona-pick"
                aria-pressed={selected === persona.id}
                onClick={() => onPick(selected === persona.id ? '' : persona.id)}
                data-testid="persona-pick"
                data-persona={persona.id}
              >
                <PersonaAvatar persona={persona} size={32} />
                <span className="persona-pick-text">
                  <span className="persona-pick-name">{persona.name}</span>
                  {persona.description ? <span className="muted small">{persona.description}</span> : null}
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
