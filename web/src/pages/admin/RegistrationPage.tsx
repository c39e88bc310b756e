// Admin: how accounts are made (open, invite-only, closed) and the invitations. A new
// invitation's code is shown once, with a ready-made registration link.

import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import {
  createInvite,
  deleteInvite,
  getRegistrationSettings,
  listInvites,
  putRegistrationSettings,
  type Invite,
} from '../../api/admin.ts';
import type { RegistrationMode } from '../../api/auth.ts';
import { FormAlert, Notice, TextField, fieldErrorsOf } from '../../components/forms.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';

const MODES: RegistrationMode[] = ['open', 'invite_only', 'closed'];

export function RegistrationPage() {
  const { t, i18n } = useTranslation();
  useDocumentTitle(t('adminRegistration.title'));
  const [mode, setMode] = useState<RegistrationMode | null>(null);
  const [saved, setSaved] = useState(false);
  const [invites, setInvites] = useState<Invite[]>([]);
  const [email, setEmail] = useState('');
  const [days, setDays] = useState('7');
  const [created, setCreated] = useState<Invite | null>(null);
  const [error, setError] = useState<unknown>(null);

  const reload = useCallback(async (signal?: AbortSignal) => {
    const [current, list] = await Promise.all([getRegistrationSettings(signal), listInvites(signal)]);
    setMode(current);
    setInvites(list);
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    reload(controller.signal).catch((reason: unknown) => {
      if (!controller.signal.aborted) setError(reason);
    });
    return () => controller.abort();
  }, [reload]);

  const changeMode = async (next: RegistrationMode) => {
    setError(null);
    setSaved(false);
    try {
      setMode(await putRegistrationSettings(next));
      setSaved(true);
    } catch (reason) {
      setError(reason);
    }
  };

  const invite = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setCreated(null);
    try {
      const made = await createInvite(email.trim() || null, Number(days));
      setCreated(made);
      setEmail('');
      await reload();
    } catch (reason) {
      setError(reason);
    }
  };

  const remove = async (id: string) => {
    setError(null);
    try {
      await deleteInvite(id);
      await reload();
    } catch (reason) {
      setError(reason);
    }
  };

  const fields = fieldErrorsOf(error);
  const link = created?.code ? `${window.location.origin}/register?invite=${encodeURIComponent(created.code)}` : null;

  return (
    <section className="stack" data-testid="admin-registration">
      {error && !fields.email && !fields.expires_in_days ? <FormAlert error={error} testId="registration-error" /> : null}
      <div className="card">
        <h2>{t('adminRegistration.modeHeading')}</h2>
        <div className="field">
          <label htmlFor="registration-mode">{t('adminRegistration.mode')}</label>
          <select
            id="registration-mode"
            className="select"
            value={mode ?? 'open'}
            disabled={mode === null}
            onChange={(event) => void changeMode(event.target.value as RegistrationMode)}
            data-testid="registration-mode"
          >
            {MODES.map((m) => (
              <option key={m} value={m}>
                {t(`adminRegistration.modes.${m}`)}
              </option>
            ))}
          </select>
        </div>
        {saved ? (
          <Notice testId="registration-saved">
            <p className="notice-body">{t('adminRegistration.saved')}</p>
          </Notice>
        ) : null}
      </div>
      <div className="card">
        <h2>{t('adminRegistration.invitesHeading')}</h2>
        <form className="form" onSubmit={(event) => void invite(event)}>
          <TextField
            label={t('adminRegistration.inviteEmail')}
            type="email"
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            hint={t('adminRegistration.inviteEmailHint')}
            error={fields.email}
            testId="invite-email"
          />
          <TextField
            label={t('adminRegistration.inviteDays')}
            type="number"
            min={1}
            max={90}
            value={days}
            onChange={(event) => setDays(event.target.value)}
            error={fields.expires_in_days}
            testId="invite-days"
          />
          <div className="form-actions">
            <button type="submit" className="button" data-testid="invite-create">
              {t('adminRegistration.create')}
            </button>
          </div>
        </form>
        {link ? (
          <Notice tone="warn" testId="invite-created">
            <p className="notice-body">{t('adminRegistration.createdOnce')}</p>
            <code className="secret" data-testid="invite-link">
              {link}
            </code>
          </Notice>
        ) : null}
        <div className="table-wrap">
          <table className="table" data-testid="invites-table">
            <thead>
              <tr>
                <th>{t('adminRegistration.columns.email')}</th>
                <th>{t('adminRegistration.columns.expires')}</th>
                <th>{t('adminRegistration.columns.status')}</th>
                <th aria-label={t('adminRegistration.columns.actions')} />
              </tr>
            </thead>
            <tbody>
              {invites.map((inv) => (
                <tr key={inv.id} data-testid="invite-row">
                  <td>{inv.email ?? t('adminRegistration.anyEmail')}</td>
                  <td>{formatDateTime(inv.expires_at, i18n.language)}</td>
                  <td>{inv.used_at ? t('adminRegistration.used') : t('adminRegistration.unused')}</td>
                  <td>
                    {inv.used_at ? null : (
                      <button type="button" className="button button-secondary" onClick={() => void remove(inv.id)} data-testid="invite-delete">
                        {t('adminRegistration.delete')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </section>
  );
}
