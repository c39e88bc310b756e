// Password reset from the mailed link `/reset-password?token=…`: the new password twice, then a
// link to the login page. A used or expired token (400) or a weak password (422) is shown.

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { confirmPasswordReset } from '../../api/auth.ts';
import { FormAlert, Notice, TextField, fieldErrorsOf } from '../../components/forms.tsx';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { AuthCard } from './AuthCard.tsx';

export function ResetPasswordPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  useDocumentTitle(t('reset.title'));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    setSubmitting(true);
    setError(null);
    try {
      await confirmPasswordReset(token, password);
      setDone(true);
    } catch (reason) {
      setError(reason);
    } finally {
      setSubmitting(false);
    }
  };

  const fields = fieldErrorsOf(error);
  const passwordError = fields.new_password ?? fields.password;

  if (!token) {
    return (
      <AuthCard title={t('reset.title')} testId="reset-page">
        <FormAlert testId="reset-error">
          <p className="notice-body">{t('reset.missingToken')}</p>
        </FormAlert>
        <p className="auth-links">
          <Link to="/forgot-password">{t('reset.requestNew')}</Link>
        </p>
      </AuthCard>
    );
  }

  if (done) {
    return (
      <AuthCard title={t('reset.title')} testId="reset-page">
        <Notice testId="reset-done">
          <p className="notice-body">{t('reset.done')}</p>
        </Notice>
        <p className="auth-links">
          <Link to="/login" className="button" data-testid="reset-login">
            {t('reset.goToLogin')}
          </Link>
        </p>
      </AuthCard>
    );
  }

  return (
    <AuthCard title={t('reset.title')} intro={t('reset.intro')} testId="reset-page">
      <form className="form" onSubmit={(event) => void submit(event)}>
        {error !== null && !passwordError ? (
          <>
            <FormAlert error={error} testId="reset-error" />
            <p className="small">
              <Link to="/forgot-password">{t('reset.requestNew')}</Link>
            </p>
          </>
        ) : null}
        <TextField
          label={t('reset.newPassword')}
          name="new-password"
          type="password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          autoComplete="new-password"
          required
          hint={t('register.passwordHint')}
          error={passwordError}
          testId="reset-password"
        />
        <TextField
          label={t('reset.confirm')}
          name="confirm"
          type="password"
          value={confirm}
          onChange={(event) => setConfirm(event.target.value)}
          autoComplete="new-password"
          required
          error={mismatch ? t('register.mismatch') : null}
          testId="reset-confirm"
        />
        <div className="form-actions">
          <button type="submit" className="button" disabled={submitting} data-testid="reset-submit">
            {submitting ? t('reset.submitting') : t('reset.submit')}
          </button>
        </div>
      </form>
    </AuthCard>
  );
}
