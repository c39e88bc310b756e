// The chat: conversations on the left (a drawer on phones), the open one on the right — its
// header, its messages and the composer. `/chat` is a new chat (persona and model picked in the
// composer); its first reply's `start` event gives it a session and the URL becomes
// `/chat/{id}` without interrupting the stream. In an open session the pickers change the
// session itself.

import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { getSession, listChatModels, listPersonas, updateSession, type ChatMessage, type ChatSession, type Persona } from '../../api/chat.ts';
import { ApiError } from '../../api/client.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { FormAlert, Notice } from '../../components/forms.tsx';
import { preloadMarkdown } from '../../components/Markdown.tsx';
import { MenuIcon } from '../../components/icons.tsx';
import { PersonaAvatar } from '../../components/PersonaAvatar.tsx';
import { useAsync } from '../../lib/useAsync.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { ChatSidebar, titleOf } from './ChatSidebar.tsx';
import { Composer } from './Composer.tsx';
import { MessageList } from './MessageList.tsx';
import { SessionHeader } from './SessionHeader.tsx';
import { useConversation } from './useConversation.ts';

/** How close to the bottom (px) still counts as "reading the newest text". */
const STICK_DISTANCE = 160;

function nearBottom(): boolean {
  return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - STICK_DISTANCE;
}

export function ChatPage() {
  const { t } = useTranslation();
  const params = useParams();
  const routeSessionId = params.sessionId ?? null;
  const navigate = useNavigate();
  const location = useLocation();
  const root = useRef<HTMLDivElement>(null);
  const main = useRef<HTMLElement>(null);
  const end = useRef<HTMLDivElement>(null);
  /** The reader is at the newest text: keep it in view as the reply grows. */
  const stick = useRef(true);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const [listVersion, setListVersion] = useState(0);
  const [sessionVersion, setSessionVersion] = useState(0);
  const [session, setSession] = useState<ChatSession | null>(null);
  const [sessionError, setSessionError] = useState<unknown>(null);
  const [pickError, setPickError] = useState<unknown>(null);
  const [draftModel, setDraftModel] = useState('');
  const [draftPersona, setDraftPersona] = useState('');
  const models = useAsync((signal) => listChatModels(signal), []);
  const personas = useAsync((signal) => listPersonas(signal), []);

  const bumpList = useCallback(() => setListVersion((n) => n + 1), []);
  const conversation = useConversation(routeSessionId, {
    onSessionStarted: (id) => {
      void navigate(`/chat/${encodeURIComponent(id)}`, { replace: true });
      bumpList();
    },
    onReplyEnded: () => {
      // The server may have titled the conversation after its first answer.
      bumpList();
      setSessionVersion((n) => n + 1);
    },
  });
  const sessionId = conversation.sessionId;

  useEffect(() => {
    setPickError(null);
    if (!sessionId) {
      setSession(null);
      setSessionError(null);
      return;
    }
    const controller = new AbortController();
    getSession(sessionId, controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setSession(value);
        setSessionError(null);
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setSessionError(error);
      },
    );
    return () => controller.abort();
  }, [sessionId, sessionVersion]);

  // The sticky parts sit under the app header, whatever its height (it wraps on phones).
  useLayoutEffect(() => {
    const header = document.querySelector<HTMLElement>('.app-header');
    const element = root.current;
    if (!header || !element) return;
    const apply = () => element.style.setProperty('--chat-top', `${header.offsetHeight}px`);
    apply();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(apply);
    observer.observe(header);
    return () => observer.disconnect();
  }, []);

  useEffect(() => setDrawerOpen(false), [location.pathname]);

  // Follow the growing reply (and show the end of a conversation when it opens) unless the
  // reader has scrolled up. The end mark is below the composer, so nothing hides under it.
  const follow = useCallback(() => {
    if (stick.current) end.current?.scrollIntoView?.({ block: 'end' });
  }, []);
  useEffect(() => {
    const onScroll = () => {
      stick.current = nearBottom();
    };
    window.addEventListener('scroll', onScroll, { passive: true });
    return () => window.removeEventListener('scroll', onScroll);
  }, []);
  useEffect(() => {
    stick.current = true;
  }, [routeSessionId]);
  useLayoutEffect(follow, [conversation.messages, follow]);
  useEffect(() => {
    // Markdown that loads or a code block that highlights changes the height after the render.
    if (!main.current || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(follow);
    observer.observe(main.current);
    return () => observer.disconnect();
  }, [follow]);
  const following = <T,>(action: () => T): T => {
    stick.current = true;
    return action();
  };
  useEffect(preloadMarkdown, []);

  useEffect(() => {
    if (!drawerOpen) return;
    // Into the drawer when it opens (phones), back to its toggle when it closes.
    root.current?.querySelector<HTMLElement>('.chat-drawer-close')?.focus();
    const toggle = root.current?.querySelector<HTMLElement>('.chat-drawer-toggle');
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setDrawerOpen(false);
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      if (document.activeElement?.closest('.chat-sidebar')) toggle?.focus();
    };
  }, [drawerOpen]);

  const current = session && session.id === sessionId ? session : null;
  const personaList = personas.data ?? [];
  const personaById = (id: string | null | undefined): Persona | null => (id ? (personaList.find((item) => item.id === id) ?? null) : null);
  const model = current ? (current.model ?? '') : draftModel;
  const personaId = current ? (current.persona_id ?? '') : draftPersona;
  const title = sessionId ? (current ? titleOf(current, t('chat.untitled')) : t('chat.title')) : t('chat.newChat');
  useDocumentTitle(title);

  const pick = async (change: { model?: string | null; persona_id?: string | null }) => {
    if (!current) return;
    setPickError(null);
    try {
      setSession(await updateSession(current.id, change));
      bumpList();
    } catch (error) {
      setPickError(error);
    }
  };

  const notFound =
    (conversation.loadError instanceof ApiError && conversation.loadError.status === 404) ||
    (sessionError instanceof ApiError && sessionError.status === 404);
  const personaOf = (message: ChatMessage) => personaById(message.persona_id ?? current?.persona_id ?? (sessionId ? null : draftPersona));
  const noModels = models.data !== null && models.data.length === 0;

  return (
    <div ref={root} className={drawerOpen ? 'chat drawer-open' : 'chat'} data-testid="chat-page">
      <aside id="chat-sidebar" className="chat-sidebar" aria-label={t('chat.conversations')}>
        <ChatSidebar activeId={sessionId} version={listVersion} onChanged={() => setSessionVersion((n) => n + 1)} onClose={() => setDrawerOpen(false)} />
      </aside>
      {drawerOpen ? <div className="chat-drawer-backdrop" onClick={() => setDrawerOpen(false)} aria-hidden="true" /> : null}
      <section ref={main} className="chat-main" aria-labelledby="chat-title">
        <div className="chat-topbar">
          <button
            type="button"
            className="icon-button chat-drawer-toggle"
            onClick={() => setDrawerOpen((open) => !open)}
            aria-expanded={drawerOpen}
            aria-controls="chat-sidebar"
            aria-label={drawerOpen ? t('chat.hideConversations') : t('chat.showConversations')}
            data-testid="chat-sidebar-toggle"
          >
            <MenuIcon />
          </button>
          <div className="chat-topbar-main">
            {current ? (
              <SessionHeader
                session={current}
                persona={personaById(current.persona_id)}
                onChanged={(value) => {
                  setSession(value);
                  bumpList();
                }}
              />
            ) : (
              <h1 id="chat-title" className="session-heading-title" data-testid="session-title">
                {title}
              </h1>
            )}
          </div>
        </div>

        {notFound ? (
          <Notice tone="warn" testId="chat-not-found">
            <p className="notice-body">{t('chat.notFound')}</p>
            <p className="notice-body">
              <Link to="/chat">{t('chat.newChat')}</Link>
            </p>
          </Notice>
        ) : conversation.loadError !== null ? (
          <div className="stack">
            <ErrorNotice error={conversation.loadError} testId="chat-load-error" />
            <div>
              <button type="button" className="button button-secondary button-small" onClick={conversation.reload}>
                {t('chat.retry')}
              </button>
            </div>
          </div>
        ) : conversation.loading ? (
          <p className="muted" role="status" data-testid="chat-loading">
            {t('common.loading')}
          </p>
        ) : conversation.messages.length === 0 ? (
          <Welcome personas={personas.data} selected={personaId} onPick={(id) => (current ? void pick({ persona_id: id || null }) : setDraftPersona(id))} />
        ) : (
          <MessageList
            messages={conversation.messages}
            streaming={conversation.streaming}
            personaOf={personaOf}
            onEdit={(id, content) => following(() => conversation.edit(id, content))}
            onRegenerate={() => following(() => void conversation.regenerate())}
          />
        )}

        {!notFound ? (
          <div className="chat-bottom">
            {noModels ? (
              <Notice tone="info" testId="chat-no-models">
                <p className="notice-body">
                  {t('chat.noModels')} <Link to="/settings/providers">{t('chat.providersLink')}</Link>
                </p>
              </Notice>
            ) : null}
            {models.error !== null || personas.error !== null ? <FormAlert error={models.error ?? personas.error} testId="chat-options-error" /> : null}
            {conversation.actionError !== null ? <FormAlert error={conversation.actionError} testId="chat-error" /> : null}
            {pickError !== null ? <FormAlert error={pickError} testId="chat-pick-error" /> : null}
            <Composer
              streaming={conversation.streaming}
              onSend={(text) => following(() => conversation.send(text, { model: draftModel || undefined, personaId: draftPersona || undefined }))}
              onStop={() => void conversation.stop()}
              models={models.data}
              personas={personas.data}
              model={model}
              personaId={personaId}
              onModelChange={(value) => (current ? void pick({ model: value || null }) : setDraftModel(value))}
              onPersonaChange={(value) => (current ? void pick({ persona_id: value || null }) : setDraftPersona(value))}
            />
          </div>
        ) : null}
        <div ref={end} className="chat-end" />
      </section>
    </div>
  );
}

/** The empty conversation: a greeting and the personas to start with. */
function Welcome({ personas, selected, onPick }: { personas: Persona[] | null; selected: string; onPick: (id: string) => void }) {
  const { t } = useTranslation();
  return (
    <div className="chat-welcome" data-testid="chat-welcome">
      <h2>{t('chat.welcomeTitle')}</h2>
      <p className="muted">{t('chat.welcomeText')}</p>
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
