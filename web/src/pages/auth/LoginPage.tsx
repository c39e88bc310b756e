// Login: username or email + password on a cookie session, then — for accounts with
// two-factor authentication — a TOTP or recovery code. Goes to `?next=` (a path of this app)
// or `/` afterwards. A 429 shows how long to wait. When guest chat is on, visitors may chat
// without an account instead.

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useSearchParams } from 'react-router';
import type { TwoFactorChallenge } from '../../api/auth.ts';
import { getGuestInfo } from '../../api/chat.ts';
import { ApiError } from '../../api/client.ts';
import { safeNext, useAuth } from '../../auth/context.ts';
import { FormAlert, Notice, TextField } from '../../components/forms.tsx';
import { formatDuration } from '../../lib/format.ts';
import { useAsync } from '../../lib/useAsync.ts';
import { useCountdown } from '../../lib/useCountdown.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { AuthCard } from './AuthCard.tsx';
import { ExternalSignIn } from './ExternalSignIn.tsx';

export function LoginPage() {
  const { t } = useTranslation();
  const auth = useAuth();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [challenge, setChallenge] = useState<TwoFactorChallenge | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  const [retryUntil, setRetryUntil] = useState<number | null>(null);
  const wait = useCountdown(retryUntil);
  // "Chat as a guest" is offered only when an admin has turned guest chat on.
  const guest = useAsync((signal) => getGuestInfo(signal), []);
  useDocumentTitle(t('login.title'));

  if (auth.user) return <Navigate to={next} replace />;

  const fail = (reason: unknown) => {
    setError(reason);
    if (reason instanceof ApiError && reason.status === 429 && reason.retryAfterSecs !== null) {
      setRetryUntil(Date.now() + reason.retryAfterSecs * 1000);
    }
  };

  const submitPassword = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      const result = await auth.login(username.trim(), password);
      if (result.kind === 'two_factor') {
        setChallenge(result.challenge);
        setPassword('');
        setCode('');
      }
    } catch (reason) {
      fail(reason);
    } finally {
      setSubmitting(false);
    }
  };

  const submitCode = async (event: FormEvent) => {
    event.preventDefault();
    if (!challenge) return;
    setSubmitting(true);
    setError(null);
    try {
      await auth.completeTwoFactor(challenge.challenge_token, code.replace(/\s+/g, ''));
    } catch (reason) {
      fail(reason);
    } finally {
      setSubmitting(false);
    }
  };

  const startOver = () => {
    setChallenge(null);
    setCode('');
    setError(null);
  };

  const errorBox =
    error === null ? null : (
      <FormAlert error={error} testId="login-error">
        {error instanceof ApiError && error.status === 429 ? (
          <>
            <p className="notice-body">{error.message}</p>
            {wait > 0 ? (
              <p className="notice-body" data-testid="login-wait">
                {t('login.wait', { time: formatDuration(wait, t) })}
              </p>
            ) : (
              <p className="notice-body">{t('login.waitOver')}</p>
            )}
          </>
        ) : undefined}
      </FormAlert>
    );

  if (challenge) {
    return (
      <AuthCard title={t('login.twoFactorTitle')} intro={t('login.twoFactorIntro')} testId="login-2fa">
        <form className="form" onSubmit={(event) => void submitCode(event)}>
          {errorBox}
          <TextField
            label={t('login.code')}
            name="code"
            value={code}
            onChange={(event) => setCode(event.target.value)}
            autoComplete="one-time-code"
            autoCapitalize="off"
            spellCheck={false}
            required
            autoFocus
            maxLength={64}
            hint={t('login.codeHint', { minutes: Math.max(1, Math.round(challenge.expires_in / 60)) })}
            testId="login-code"
          />
          <div className="form-actions">
            <button type="submit" className="button" disabled={submitting || wait > 0} data-testid="login-verify">
              {submitting ? t('login.verifying') : t('login.verify')}
            </button>
            <button type="button" className="button button-secondary" onClick={startOver}>
              {t('login.startOver')}
            </button>
          </div>
        </form>
      </AuthCard>
    );
  }

  return (
    <AuthCard
      title={t('login.title')}
      intro={t('login.intro')}
      testId="login-page"
      footer={
        <>
          <p>
            {t('login.noAccount')} <Link to="/register">{t('login.registerLink')}</Link>
          </p>
          {guest.data?.enabled ? (
            <p>
              <Link to="/guest" data-testid="login-guest">
                {t('login.guest')}
              </Link>
            </p>
          ) : null}
        </>
      }
    >
      {auth.sessionEnded ? (
        <Notice tone="info" testId="login-session-ended">
          <p className="notice-body">{t('login.sessionEnded')}</p>
        </Notice>
      ) : null}
      <form className="form" onSubmit={(event) => void submitPassword(event)}>
        {errorBox}
        <TextField
          label={t('login.username')}
          name="username"
          value={username}
          onChange={(event) => setUsername(event.target.value)}
          autoComplete="username"
          autoCapitalize="off"
          spellCheck={false}
          required
          testId="login-username"
        />
        <TextField
          label={t('login.password')}
          name="password"
          type="password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          autoComplete="current-password"
          required
          testId="login-password"
        />
        <div className="form-actions form-actions-split">
          <button type="submit" className="button" disabled={submitting || wait > 0} data-testid="login-submit">
            {submitting ? t('login.submitting') : t('login.submit')}
          </button>
          <Link to="/forgot-password" data-testid="login-forgot">
            {t('login.forgot')}
          </Link>
        </div>
      </form>
      <ExternalSignIn next={next} error={params.get('error')} />
    </AuthCard>
  );
}
