// Forgotten password: asks for the address and always answers the same way (202), so the page
// does not tell whether an account exists.

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { requestPasswordReset } from '../../api/auth.ts';
import { FormAlert, Notice, TextField, fieldErrorsOf } from '../../components/forms.tsx';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { AuthCard } from './AuthCard.tsx';

export function ForgotPasswordPage() {
  const { t } = useTranslation();
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  useDocumentTitle(t('forgot.title'));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      await requestPasswordReset(email.trim());
      setSent(true);
    } catch (reason) {
      setError(reason);
    } finally {
      setSubmitting(false);
    }
  };

  const fields = fieldErrorsOf(error);

  return (
    <AuthCard
      title={t('forgot.title')}
      intro={sent ? undefined : t('forgot.intro')}
      testId="forgot-page"
      footer={
        <p>
          <Link to="/login">{t('forgot.backToLogin')}</Link>
        </p>
      }
    >
      {sent ? (
        <Notice testId="forgot-sent">
          <p className="notice-body">{t('forgot.sent', { email: email.trim() })}</p>
        </Notice>
      ) : (
        <form className="form" onSubmit={(event) => void submit(event)}>
          {error !== null && !fields.email ? <FormAlert error={error} testId="forgot-error" /> : null}
          <TextField
            label={t('forgot.email')}
            name="email"
            type="email"
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            autoComplete="email"
            required
            error={fields.email}
            testId="forgot-email"
          />
          <div className="form-actions">
            <button type="submit" className="button" disabled={submitting} data-testid="forgot-submit">
              {submitting ? t('forgot.submitting') : t('forgot.submit')}
            </button>
          </div>
        </form>
      )}
    </AuthCard>
  );
}
