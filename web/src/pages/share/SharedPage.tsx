// A shared conversation (`/s/{token}`, no login needed): the title and the transcript, read
// only, answers as the same sanitised markdown as in the chat. A revoked or unknown link gets a
// friendly message instead of an error.

import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { getSharedTranscript } from '../../api/chat.ts';
import { ApiError } from '../../api/client.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Markdown, preloadMarkdown } from '../../components/Markdown.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { useAsync } from '../../lib/useAsync.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';

export function SharedPage() {
  const { t, i18n } = useTranslation();
  const { token = '' } = useParams();
  useEffect(preloadMarkdown, []);
  const transcript = useAsync((signal) => getSharedTranscript(token, signal), [token]);
  const data = transcript.data;
  const title = data?.title?.trim() || t('shared.untitled');
  useDocumentTitle(data ? title : t('shared.title'));

  if (transcript.error instanceof ApiError && transcript.error.status === 404) {
    return (
      <div className="page page-narrow" data-testid="shared-not-found">
        <h1>{t('shared.notFoundTitle')}</h1>
        <p className="muted">{t('shared.notFound')}</p>
        <p>
          <Link to="/status" className="button button-secondary">
            {t('notFound.back')}
          </Link>
        </p>
      </div>
    );
  }
  if (transcript.error !== null) return <ErrorNotice error={transcript.error} testId="shared-error" />;
  if (!data) {
    return (
      <p className="muted" role="status">
        {t('common.loading')}
      </p>
    );
  }

  return (
    <article className="page shared-page" data-testid="shared-page">
      <header className="shared-header">
        <p className="muted small">{t('shared.kicker')}</p>
        <h1 data-testid="shared-title">{title}</h1>
        <p className="muted small">
          {t('shared.sharedAt', { time: formatDateTime(data.shared_at, i18n.language) })}
        </p>
      </header>
      {data.messages.length === 0 ? (
        <p className="muted empty">{t('shared.empty')}</p>
      ) : (
        <ol className="messages" data-testid="shared-messages">
          {data.messages.map((message, index) => (
            <li
              key={index}
              className={message.role === 'user' ? 'message message-user' : 'message message-assistant'}
              data-testid="shared-message"
              data-role={message.role}
            >
              <div className="message-author">
                <span className="message-author-name">{message.role === 'user' ? t('shared.user') : t('shared.assistant')}</span>
              </div>
              {message.role === 'user' ? (
                <div className="bubble bubble-user">
                  <p className="message-text">{message.content}</p>
                </div>
              ) : (
                <div className="bubble bubble-assistant">
                  <Markdown content={message.content} />
                </div>
              )}
            </li>
          ))}
        </ol>
      )}
    </article>
  );
}
