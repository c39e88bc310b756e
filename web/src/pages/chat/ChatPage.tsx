// The chat: conversations on the left (a drawer on phones), the open one on the right — its
// header, its messages and the composer. `/chat` is a new chat (persona and model picked in the
// composer); its first reply's `start` event gives it a session and the URL becomes
// `/chat/{id}` without interrupting the stream. In an open session the pickers change the
// session itself. Images dropped anywhere on the conversation are attached to the next message.
// `/chat?model={id}` opens a new chat with that model picked (Admin → Deployments → Try it).

import { useCallback, useEffect, useLayoutEffect, useRef, useState, type DragEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { getSession, listChatModels, listPersonas, updateSession, type ChatMessage, type ChatSession, type Persona } from '../../api/chat.ts';
import { ApiError } from '../../api/client.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { FormAlert, Notice } from '../../components/forms.tsx';
import { preloadMarkdown } from '../../components/Markdown.tsx';
import { ImageIcon, MenuIcon } from '../../components/icons.tsx';
import { useAsync } from '../../lib/useAsync.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { ChatSidebar, titleOf } from './ChatSidebar.tsx';
import { ChatWelcome } from './ChatWelcome.tsx';
import { Composer } from './Composer.tsx';
import { MessageList } from './MessageList.tsx';
import { SessionHeader } from './SessionHeader.tsx';
import { carriesFiles, filesOf, useAttachments } from './useAttachments.ts';
import { useConversation } from './useConversation.ts';
import { useFollow } from './useFollow.ts';

export function ChatPage() {
  const { t } = useTranslation();
  const params = useParams();
  const routeSessionId = params.sessionId ?? null;
  const navigate = useNavigate();
  const location = useLocation();
  const root = useRef<HTMLDivElement>(null);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const [listVersion, setListVersion] = useState(0);
  const [sessionVersion, setSessionVersion] = useState(0);
  const [session, setSession] = useState<ChatSession | null>(null);
  const [sessionError, setSessionError] = useState<unknown>(null);
  const [pickError, setPickError] = useState<unknown>(null);
  const askedModel = new URLSearchParams(location.search).get('model');
  const [draftModel, setDraftModel] = useState(() => askedModel ?? '');
  const [draftPersona, setDraftPersona] = useState('');
  const models = useAsync((signal) => listChatModels(signal), []);
  const personas = useAsync((signal) => listPersonas(signal), []);
  const attachments = useAttachments();
  const [dragging, setDragging] = useState(false);

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
  // Follow the growing reply (and show the end of a conversation when it opens) unless the
  // reader has scrolled up.
  const { main, end, following } = useFollow(conversation.messages, routeSessionId);

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

  useEffect(() => {
    // Followed a link to a new chat with a model while the page was open.
    if (askedModel !== null) setDraftModel(askedModel);
  }, [askedModel]);

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

  const dragOver = (event: DragEvent) => {
    if (notFound || !carriesFiles(event.dataTransfer)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    setDragging(true);
  };
  const dragLeave = (event: DragEvent<HTMLElement>) => {
    if (!(event.relatedTarget instanceof Node) || !event.currentTarget.contains(event.relatedTarget)) setDragging(false);
  };
  const drop = (event: DragEvent) => {
    setDragging(false);
    const files = filesOf(event.dataTransfer);
    if (notFound || files.length === 0) return;
    event.preventDefault();
    attachments.add(files);
  };

  return (
    <div ref={root} className={drawerOpen ? 'chat drawer-open' : 'chat'} data-testid="chat-page">
      <aside id="chat-sidebar" className="chat-sidebar" aria-label={t('chat.conversations')}>
        <ChatSidebar activeId={sessionId} version={listVersion} onChanged={() => setSessionVersion((n) => n + 1)} onClose={() => setDrawerOpen(false)} />
      </aside>
      {drawerOpen ? <div className="chat-drawer-backdrop" onClick={() => setDrawerOpen(false)} aria-hidden="true" /> : null}
      <section
        ref={main}
        className={dragging ? 'chat-main dragging' : 'chat-main'}
        aria-labelledby="chat-title"
        onDragEnter={dragOver}
        onDragOver={dragOver}
        onDragLeave={dragLeave}
        onDrop={drop}
        data-testid="chat-main"
      >
        {dragging ? (
          <div className="chat-drop-hint" aria-hidden="true" data-testid="chat-drop-hint">
            <ImageIcon />
            {t('attach.drop')}
          </div>
        ) : null}
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
          <ChatWelcome personas={personas.data} selected={personaId} onPick={(id) => (current ? void pick({ persona_id: id || null }) : setDraftPersona(id))} />
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
              onSend={(text, imageIds) =>
                following(() => conversation.send(text, { model: draftModel || undefined, personaId: draftPersona || undefined, imageIds }))
              }
              onStop={() => void conversation.stop()}
              models={models.data}
              personas={personas.data}
              model={model}
              personaId={personaId}
              onModelChange={(value) => (current ? void pick({ model: value || null }) : setDraftModel(value))}
              onPersonaChange={(value) => (current ? void pick({ persona_id: value || null }) : setDraftPersona(value))}
              attachments={attachments}
            />
          </div>
        ) : null}
        <div ref={end} className="chat-end" />
      </section>
    </div>
  );
}
