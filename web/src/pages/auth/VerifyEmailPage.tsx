// Email verification from the mailed link `/verify-email?token=…`: confirms on load, once.

import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { verifyEmail } from '../../api/auth.ts';
import { useAuth } from '../../auth/context.ts';
import { FormAlert, Notice } from '../../components/forms.tsx';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { AuthCard } from './AuthCard.tsx';

type Outcome = { state: 'pending' } | { state: 'done' } | { state: 'failed'; error: unknown };

export function VerifyEmailPage() {
  const { t } = useTranslation();
  const auth = useAuth();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [outcome, setOutcome] = useState<Outcome>({ state: 'pending' });
  // The token is single use: never send it twice (StrictMode runs effects twice in development).
  const sentFor = useRef<string | null>(null);
  const refresh = auth.refresh;
  const loggedIn = auth.user !== null;
  useDocumentTitle(t('verify.title'));

  useEffect(() => {
    if (!token || sentFor.current === token) return;
    sentFor.current = token;
    verifyEmail(token).then(
      () => {
        setOutcome({ state: 'done' });
        if (loggedIn) refresh().catch(() => {});
      },
      (error: unknown) => setOutcome({ state: 'failed', error }),
    );
  }, [token, loggedIn, refresh]);

  return (
    <AuthCard title={t('verify.title')} testId="verify-page">
      {!token ? (
        <FormAlert testId="verify-error">
          <p className="notice-body">{t('verify.missingToken')}</p>
        </FormAlert>
      ) : outcome.state === 'pending' ? (
        <p className="muted" role="status">
          {t('verify.checking')}
        </p>
      ) : outcome.state === 'done' ? (
        <Notice testId="verify-done">
          <p className="notice-body">{t('verify.done')}</p>
        </Notice>
      ) : (
        <FormAlert error={outcome.error} testId="verify-error" />
      )}
      <p className="auth-links">
        {loggedIn ? (
          <Link to="/settings/profile">{t('verify.toSettings')}</Link>
        ) : (
          <Link to="/login">{t('verify.toLogin')}</Link>
        )}
      </p>
    </AuthCard>
  );
}
