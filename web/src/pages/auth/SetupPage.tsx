// First start: create the first admin with the one-time link the server printed in its log
// (`/setup?token=…`), then log in as them and open the user admin. 403: the token is wrong or
// used; 409: an admin exists already.

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { setupAdmin } from '../../api/auth.ts';
import { ApiError } from '../../api/client.ts';
import { useAuth } from '../../auth/context.ts';
import { FormAlert, fieldErrorsOf } from '../../components/forms.tsx';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { AuthCard } from './AuthCard.tsx';
import { NewAccountFields } from './NewAccountFields.tsx';

const FIELDS = ['username', 'email', 'password'] as const;

export function SetupPage() {
  const { t } = useTranslation();
  const auth = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [values, setValues] = useState({ username: '', email: '', password: '', confirm: '' });
  const [mismatch, setMismatch] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  useDocumentTitle(t('setup.title'));

  const set = (name: keyof typeof values) => (event: { target: { value: string } }) =>
    setValues((previous) => ({ ...previous, [name]: event.target.value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (values.password !== values.confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    setSubmitting(true);
    setError(null);
    const username = values.username.trim();
    try {
      await setupAdmin({ token, username, email: values.email.trim(), password: values.password });
    } catch (reason) {
      setError(reason);
      setSubmitting(false);
      return;
    }
    try {
      await auth.login(username, values.password);
      await navigate('/admin/users', { replace: true });
    } catch {
      await navigate('/login?next=%2Fadmin%2Fusers', { replace: true });
    }
  };

  if (!token) {
    return (
      <AuthCard title={t('setup.title')} testId="setup-page">
        <FormAlert testId="setup-error">
          <p className="notice-body">{t('setup.missingToken')}</p>
        </FormAlert>
      </AuthCard>
    );
  }

  const fields = fieldErrorsOf(error);
  const status = error instanceof ApiError ? error.status : null;
  const unplaced = error !== null && !FIELDS.some((name) => fields[name]);

  return (
    <AuthCard title={t('setup.title')} intro={t('setup.intro')} testId="setup-page">
      <form className="form" onSubmit={(event) => void submit(event)}>
        {status === 403 ? (
          <FormAlert error={error} testId="setup-error">
            <p className="notice-body">{t('setup.invalidToken')}</p>
          </FormAlert>
        ) : status === 409 ? (
          <FormAlert error={error} testId="setup-error">
            <p className="notice-body">
              {t('setup.adminExists')} <Link to="/login">{t('setup.toLogin')}</Link>
            </p>
          </FormAlert>
        ) : unplaced ? (
          <FormAlert error={error} testId="setup-error" />
        ) : null}
        <NewAccountFields values={values} onChange={set} fields={fields} mismatch={mismatch} testIdPrefix="setup" />
        <div className="form-actions">
          <button type="submit" className="button" disabled={submitting} data-testid="setup-submit">
            {submitting ? t('setup.submitting') : t('setup.submit')}
          </button>
        </div>
      </form>
    </AuthCard>
  );
}
