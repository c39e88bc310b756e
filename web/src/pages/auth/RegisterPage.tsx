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
        <TextField
          label={t('register.username')}
          name="username"
          value={values.username}
          onChange={set('username')}
          autoComplete="username"
          autoCapitalize="off"
          spellCheck={false}
          required
          hint={t('register.usernameHint')}
          error={fields.username}
          testId="register-username"
        />
        <TextField
          label={t('register.email')}
          name="email"
          type="email"
          value={values.email}
          onChange={set('email')}
          autoComplete="email"
          required
          error={fields.email}
          testId="register-email"
        />
        <TextField
          label={t('register.password')}
          name="password"
          type="password"
          value={values.password}
          onChange={set('password')}
          autoComplete="new-password"
          required
          hint={t('register.passwordHint')}
          error={fields.password}
          testId="register-password"
        />
        <TextField
          label={t('register.confirm')}
          name="confirm"
          type="password"
          value={values.confirm}
          onChange={set('confirm')}
          autoComplete="new-password"
          required
          error={mismatch ? t('register.mismatch') : null}
          testId="register-confirm"
        />
        <div className="form-actions">
          <button type="submit" className="button" disabled={submitting || mode === 'closed'} data-testid="register-submit">
            {submitting ? t('register.submitting') : t('register.submit')}
          </button>
        </div>
      </form>
    </AuthCard>
  );
}
