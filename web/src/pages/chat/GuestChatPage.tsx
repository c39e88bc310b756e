// Guest chat (`/guest`, no account): a simplified chat when an admin has turned it on — no
// conversation list, nothing saved (the page keeps the history), the built-in personas only
// (there is no persona list for visitors: their names come from the locale files), and the
// admin's model. Says when guest chat is off, and how long to wait after too many messages.
// Signed-in users have the real chat.

import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate } from 'react-router';
import { getGuestInfo, type Persona } from '../../api/chat.ts';
import { ApiError } from '../../api/client.ts';
import { useAuth } from '../../auth/context.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { FormAlert, Notice } from '../../components/forms.tsx';
import { preloadMarkdown } from '../../components/Markdown.tsx';
import { formatDuration } from '../../lib/format.ts';
import { useAsync } from '../../lib/useAsync.ts';
import { useCountdown } from '../../lib/useCountdown.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { ChatWelcome } from './ChatWelcome.tsx';
import { Composer } from './Composer.tsx';
import { MessageList } from './MessageList.tsx';
import { useFollow } from './useFollow.ts';
import { useGuestConversation } from './useGuestConversation.ts';

/** The built-in personas guests may pick. */
export const GUEST_PERSONA_IDS = ['fox', 'dog', 'snake'] as const;

/** The guest personas in the UI language (their emoji comes from PersonaAvatar). */
export function useGuestPersonas(): Persona[] {
  const { t, i18n } = useTranslation();
  return useMemo(
    () =>
      GUEST_PERSONA_IDS.map((id) => ({
        id,
        name: t(`guest.personas.${id}.name`),
        description: t(`guest.personas.${id}.description`),
        avatar: null,
        system_prompt: null,
        model: null,
        params: null,
        kind: 'builtin',
      })),
    // The names change with the language.
    [t, i18n.language],
  );
}

export function GuestChatPage() {
  const { t } = useTranslation();
  const { user } = useAuth();
  const info = useAsync((signal) => getGuestInfo(signal), []);
  const personas = useGuestPersonas();
  const conversation = useGuestConversation();
  const [personaId, setPersonaId] = useState('');
  const [retryUntil, setRetryUntil] = useState<number | null>(null);
  const wait = useCountdown(retryUntil);
  const { main, end, following } = useFollow(conversation.messages, null);
  useDocumentTitle(t('guest.title'));
  useEffect(preloadMarkdown, []);

  const error = conversation.error;
  const limited = error instanceof ApiError && error.status === 429;
  useEffect(() => {
    if (error instanceof ApiError && error.status === 429) setRetryUntil(Date.now() + (error.retryAfterSecs ?? 60) * 1000);
  }, [error]);

  if (user) return <Navigate to="/chat" replace />;

  const off = info.data?.enabled === false || (error instanceof ApiError && error.status === 403);
  const ready = info.data !== null && !off;
  const personaOf = (id: string | null) => personas.find((persona) => persona.id === id) ?? null;

  return (
    <div className="chat chat-guest" data-testid="guest-chat">
      <section ref={main} className="chat-main" aria-labelledby="guest-title">
        <div className="chat-topbar">
          <div className="chat-topbar-main">
            <h1 id="guest-title" className="session-heading-title">
              {t('guest.title')}
            </h1>
            {ready && info.data?.model ? (
              <p className="muted small guest-model" data-testid="guest-model">
                {t('guest.model', { model: info.data.model })}
              </p>
            ) : null}
          </div>
        </div>
        <Notice tone="info" testId="guest-notice">
          <p className="notice-body">
            {t('guest.notSaved')} <Link to="/login?next=%2Fchat">{t('guest.signIn')}</Link>
          </p>
        </Notice>

        {info.error !== null && info.data === null ? (
          <ErrorNotice error={info.error} testId="guest-load-error" />
        ) : info.data === null ? (
          <p className="muted" role="status">
            {t('common.loading')}
          </p>
        ) : conversation.messages.length === 0 ? (
          <ChatWelcome personas={personas} selected={personaId} onPick={setPersonaId} text={t('guest.welcome')} />
        ) : (
          <MessageList messages={conversation.messages} streaming={conversation.streaming} personaOf={(message) => personaOf(message.persona_id)} />
        )}

        <div className="chat-bottom">
          {off ? (
            <Notice tone="warn" testId="guest-disabled">
              <p className="notice-body">
                {t('guest.disabled')} <Link to="/login?next=%2Fchat">{t('guest.signIn')}</Link>
              </p>
            </Notice>
          ) : limited ? (
            <FormAlert error={error} testId="guest-limited">
              <p className="notice-body">{error.message}</p>
              <p className="notice-body" data-testid="guest-wait">
                {wait > 0 ? t('guest.wait', { time: formatDuration(wait, t) }) : t('guest.waitOver')}
              </p>
            </FormAlert>
          ) : error !== null ? (
            <FormAlert error={error} testId="guest-error" />
          ) : null}
          <Composer
            streaming={conversation.streaming}
            onSend={(text) => following(() => conversation.send(text, personaId))}
            onStop={conversation.stop}
            personas={personas}
            personaId={personaId}
            onPersonaChange={setPersonaId}
            disabled={!ready || wait > 0}
            maxLength={info.data?.max_message_chars}
          />
        </div>
        <div ref={end} className="chat-end" />
      </section>
    </div>
  );
}
