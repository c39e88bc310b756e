// The user's live sessions: browser or API client, IP, login and last activity; "this device"
// marks the current one and every other can be ended.

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { endSession, listSessions, type Session } from '../../api/auth.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { FormAlert, Notice } from '../../components/forms.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { useAsync } from '../../lib/useAsync.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { describeUserAgent } from '../../lib/userAgent.ts';

export function SessionsSettings() {
  const { t, i18n } = useTranslation();
  useDocumentTitle(t('settings.sessions'));
  const sessions = useAsync((signal) => listSessions(signal), []);
  const [ending, setEnding] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [ended, setEnded] = useState(false);

  const end = async (session: Session) => {
    setEnding(session.id);
    setError(null);
    setEnded(false);
    try {
      await endSession(session.id);
      setEnded(true);
      sessions.reload();
    } catch (reason) {
      setError(reason);
    } finally {
      setEnding(null);
    }
  };

  const rows = sessions.data
    ? [...sessions.data].sort((a, b) => Number(b.current) - Number(a.current) || b.last_seen_at.localeCompare(a.last_seen_at))
    : null;

  return (
    <section className="card" aria-labelledby="sessions-heading" aria-busy={sessions.loading}>
      <h2 id="sessions-heading">{t('sessions.heading')}</h2>
      <p className="muted small section-intro">{t('sessions.intro')}</p>
      {error !== null ? <FormAlert error={error} testId="sessions-error" /> : null}
      {ended ? (
        <Notice testId="sessions-ended">
          <p className="notice-body">{t('sessions.ended')}</p>
        </Notice>
      ) : null}
      {sessions.error !== null && !rows ? (
        <ErrorNotice error={sessions.error} testId="sessions-load-error" />
      ) : !rows ? (
        <p className="muted">{t('common.loading')}</p>
      ) : (
        <table className="table table-stack" data-testid="sessions-table">
          <thead>
            <tr>
              <th scope="col">{t('sessions.device')}</th>
              <th scope="col">{t('sessions.ip')}</th>
              <th scope="col">{t('sessions.signedIn')}</th>
              <th scope="col">{t('sessions.lastSeen')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('common.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((session) => (
              <tr key={session.id} data-testid="session-row" data-current={session.current || undefined}>
                <td data-label={t('sessions.device')}>
                  <span className="cell-content">
                  <span title={session.user_agent ?? undefined}>
                    {describeUserAgent(session.user_agent) ?? t('sessions.unknownDevice')}
                  </span>{' '}
                  <span className="badge badge-disabled">
                    {session.kind === 'token' ? t('sessions.kindToken') : t('sessions.kindBrowser')}
                  </span>
                  {session.current ? (
                    <>
                      {' '}
                      <span className="badge badge-ok" data-testid="session-current">
                        {t('sessions.thisDevice')}
                      </span>
                    </>
                  ) : null}
                  </span>
                </td>
                <td data-label={t('sessions.ip')}>{session.ip ?? '—'}</td>
                <td data-label={t('sessions.signedIn')}>
                  <time dateTime={session.created_at}>{formatDateTime(session.created_at, i18n.language)}</time>
                </td>
                <td data-label={t('sessions.lastSeen')}>
                  <time dateTime={session.last_seen_at}>{formatDateTime(session.last_seen_at, i18n.language)}</time>
                </td>
                <td className="cell-actions">
                  {session.current ? null : (
                    <button
                      type="button"
                      className="button button-small button-danger"
                      onClick={() => void end(session)}
                      disabled={ending !== null}
                      aria-label={t('sessions.endLabel', {
                        device: describeUserAgent(session.user_agent) ?? t('sessions.unknownDevice'),
                        ip: session.ip ?? '—',
                      })}
                      data-testid="session-end"
                    >
                      {ending === session.id ? t('sessions.ending') : t('sessions.end')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
