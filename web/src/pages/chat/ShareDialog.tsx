// Sharing a conversation: create a read-only link (`/s/{token}`, no login needed), copy it, or
// revoke it (the link then answers 404).

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { createShare, revokeShare, shareUrl, type ShareLink } from '../../api/chat.ts';
import { ApiError } from '../../api/client.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { FormAlert, Notice } from '../../components/forms.tsx';
import { copyText } from '../../lib/clipboard.ts';

export function ShareDialog({ sessionId, onClose }: { sessionId: string; onClose: () => void }) {
  const { t } = useTranslation();
  const [link, setLink] = useState<ShareLink | null>(null);
  const [busy, setBusy] = useState<'create' | 'revoke' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [revoked, setRevoked] = useState<'revoked' | 'none' | null>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);

  useEffect(() => {
    if (copied === null) return;
    const timer = window.setTimeout(() => setCopied(null), 2000);
    return () => window.clearTimeout(timer);
  }, [copied]);

  const create = async () => {
    setBusy('create');
    setError(null);
    setRevoked(null);
    try {
      setLink(await createShare(sessionId));
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(null);
    }
  };

  const revoke = async () => {
    setBusy('revoke');
    setError(null);
    try {
      await revokeShare(sessionId);
      setLink(null);
      setRevoked('revoked');
    } catch (reason) {
      // No link to revoke (one made earlier may be long gone): nothing opens the conversation.
      if (reason instanceof ApiError && reason.status === 404) setRevoked('none');
      else setError(reason);
    } finally {
      setBusy(null);
    }
  };

  const url = link ? shareUrl(link.token) : null;

  return (
    <Dialog title={t('share.title')} onClose={onClose} testId="share-dialog">
      <div className="dialog-body stack">
        <p className="muted small">{t('share.intro')}</p>
        {error !== null ? <FormAlert error={error} testId="share-error" /> : null}
        {revoked ? (
          <Notice testId="share-revoked">
            <p className="notice-body">{revoked === 'revoked' ? t('share.revoked') : t('share.nothingToRevoke')}</p>
          </Notice>
        ) : null}
        {url ? (
          <div className="share-link">
            <label className="field-inline small muted" htmlFor="share-url">
              {t('share.linkLabel')}
            </label>
            <input id="share-url" className="input" value={url} readOnly onFocus={(event) => event.target.select()} data-testid="share-url" />
            <div className="form-actions">
              <button type="button" className="button button-small" onClick={() => void copyText(url).then((ok) => setCopied(ok ? 'yes' : 'no'))} data-testid="share-copy">
                {t('share.copy')}
              </button>
              <a className="button button-secondary button-small" href={url} target="_blank" rel="noopener noreferrer" data-testid="share-open">
                {t('share.open')}
              </a>
              {copied ? (
                <span className="small" role="status" data-testid="share-copied">
                  {copied === 'yes' ? t('chat.copied') : t('chat.copyFailed')}
                </span>
              ) : null}
            </div>
          </div>
        ) : null}
      </div>
      <div className="form-actions dialog-actions">
        {url ? (
          <button type="button" className="button button-danger" onClick={() => void revoke()} disabled={busy !== null} data-testid="share-revoke">
            {busy === 'revoke' ? t('share.revoking') : t('share.revoke')}
          </button>
        ) : (
          <>
            <button type="button" className="button" onClick={() => void create()} disabled={busy !== null} data-testid="share-create">
              {busy === 'create' ? t('share.creating') : t('share.create')}
            </button>
            {revoked === null ? (
              <button
                type="button"
                className="button button-secondary"
                onClick={() => void revoke()}
                disabled={busy !== null}
                data-testid="share-revoke-existing"
              >
                {busy === 'revoke' ? t('share.revoking') : t('share.revokeExisting')}
              </button>
            ) : null}
          </>
        )}
        <button type="button" className="button button-secondary" onClick={onClose} data-testid="share-close">
          {t('share.close')}
        </button>
      </div>
    </Dialog>
  );
}
