// Registration: username, email and password (typed twice, compared here). On 201 it logs in
// with the same credentials and goes to `/`. A 422 puts each field's problem under the field;
// a 403 means registration is closed.

import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { getRegistrationMode, register, type RegistrationMode } from '../../api/auth.ts';
import { ApiError } from '../../api/client.ts';
import { useAuth } from '../../auth/context.ts';
import { FormAlert, TextField, fieldErrorsOf } from '../../components/forms.tsx';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { AuthCard } from './AuthCard.tsx';
import { NewAccountFields } from './NewAccountFields.tsx';

const FIELDS = ['username', 'email', 'password', 'invite_code'] as const;

export function RegisterPage() {
  const { t } = useTranslation();
  const auth = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [values, setValues] = useState({
    username: '',
    email: '',
    password: '',
    confirm: '',
    invite: params.get('invite') ?? '',
  });
  const [mode, setMode] = useState<RegistrationMode>('open');
  useEffect(() => {
    const controller = new AbortController();
    getRegistrationMode(controller.signal)
      .then(setMode)
      // Unknown: show the plain form; the server still decides.
      .catch(() => {});
    return () => controller.abort();
  }, []);
  const [error, setError] = useState<unknown>(null);
  const [mismatch, setMismatch] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  useDocumentTitle(t('register.title'));

  if (auth.user) return <Navigate to="/" replace />;

  const fields = fieldErrorsOf(error);
  const unplaced = error !== null && !FIELDS.some((name) => fields[name]);
  const closed = mode === 'closed' || (error instanceof ApiError && error.status === 403);

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
      await register({
        username,
        email: values.email.trim(),
        password: values.password,
        ...(mode === 'invite_only' ? { invite_code: values.invite.trim() } : {}),
      });
    } catch (reason) {
      setError(reason);
      setSubmitting(false);
      return;
    }
    try {
      await auth.login(username, values.password);
    } catch {
      // The account exists; let the user log in by hand.
      await navigate('/login');
    }
  };

  return (
    <AuthCard
      title={t('register.title')}
      intro={t('register.intro')}
      testId="register-page"
      footer={
        <p>
          {t('register.haveAccount')} <Link to="/login">{t('register.loginLink')}</Link>
        </p>
      }
    >
      <form className="form" onSubmit={(event) => void submit(event)}>
        {closed ? (
          <FormAlert error={error} testId="register-error">
            <p className="notice-body">{t('register.closed')}</p>
          </FormAlert>
        ) : unplaced ? (
          <FormAlert error={error} testId="register-error" />
        ) : null}
        {mode === 'invite_only' ? (
          <TextField
            label={t('register.inviteCode')}
            name="invite"
            value={values.invite}
            onChange={set('invite')}
            autoComplete="off"
            spellCheck={false}
            required
            hint={t('register.inviteHint')}
            error={fields.invite_code}
            testId="register-invite"
          />
        ) : null}
        <NewAccountFields values={values} onChange={set} fields={fields} mismatch={mismatch} testIdPrefix="register" />
        <div className="form-actions">
          <button type="submit" className="button" disabled={submitting || mode === 'closed'} data-testid="register-submit">
            {submitting ? t('register.submitting') : t('register.submit')}
          </button>
        </div>
      </form>
    </AuthCard>
  );
}
