// Security settings: change the password (the user's other sessions end), two-factor
// authentication (set up with a QR code, confirm a code, keep the recovery codes; disable
// with password + code) and linked external sign-in accounts.

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { changePassword } from '../../api/auth.ts';
import { FormAlert, Notice, TextField, UsernameHint, fieldErrorsOf } from '../../components/forms.tsx';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { LinkedAccounts } from './LinkedAccounts.tsx';
import { TwoFactorSection } from './TwoFactorSection.tsx';

export function SecuritySettings() {
  const { t } = useTranslation();
  useDocumentTitle(t('settings.security'));
  return (
    <div className="settings-grid">
      <PasswordChange />
      <TwoFactorSection />
      <LinkedAccounts />
    </div>
  );
}

function PasswordChange() {
  const { t } = useTranslation();
  const [values, setValues] = useState({ old: '', next: '', confirm: '' });
  const [mismatch, setMismatch] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [done, setDone] = useState(false);

  const set = (name: keyof typeof values) => (event: { target: { value: string } }) => {
    setDone(false);
    setValues((previous) => ({ ...previous, [name]: event.target.value }));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (values.next !== values.confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    setSaving(true);
    setError(null);
    try {
      await changePassword(values.old, values.next);
      setValues({ old: '', next: '', confirm: '' });
      setDone(true);
    } catch (reason) {
      setError(reason);
    } finally {
      setSaving(false);
    }
  };

  const fields = fieldErrorsOf(error);
  const placed = Boolean(fields.old_password || fields.new_password);

  return (
    <section className="card" aria-labelledby="password-heading">
      <h2 id="password-heading">{t('password.heading')}</h2>
      <p className="muted small section-intro">{t('password.intro')}</p>
      <form className="form" onSubmit={(event) => void submit(event)} data-testid="password-form">
        <UsernameHint />
        {error !== null && !placed ? <FormAlert error={error} testId="password-error" /> : null}
        <TextField
          label={t('password.current')}
          name="current-password"
          type="password"
          value={values.old}
          onChange={set('old')}
          autoComplete="current-password"
          required
          error={fields.old_password}
          testId="password-old"
        />
        <TextField
          label={t('password.new')}
          name="new-password"
          type="password"
          value={values.next}
          onChange={set('next')}
          autoComplete="new-password"
          required
          hint={t('register.passwordHint')}
          error={fields.new_password}
          testId="password-new"
        />
        <TextField
          label={t('password.confirm')}
          name="confirm-password"
          type="password"
          value={values.confirm}
          onChange={set('confirm')}
          autoComplete="new-password"
          required
          error={mismatch ? t('register.mismatch') : null}
          testId="password-confirm"
        />
        <div className="form-actions">
          <button type="submit" className="button" disabled={saving} data-testid="password-submit">
            {saving ? t('common.saving') : t('password.submit')}
          </button>
        </div>
        {done ? (
          <Notice testId="password-done">
            <p className="notice-body">{t('password.done')}</p>
          </Notice>
        ) : null}
      </form>
    </section>
  );
}
