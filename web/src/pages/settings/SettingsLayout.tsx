// Settings frame: heading, section links (profile, security, sessions, provider keys, API keys)
// and, while the email address is not verified, a banner that can mail a new verification link.

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink, Outlet } from 'react-router';
import { sendVerification } from '../../api/auth.ts';
import { useAuth } from '../../auth/context.ts';
import { FormAlert } from '../../components/forms.tsx';

export function SettingsLayout() {
  const { t } = useTranslation();
  const { user } = useAuth();

  return (
    <div className="page" data-testid="settings-page">
      <div className="page-header">
        <div>
          <h1>{t('settings.title')}</h1>
          <p className="muted">{t('settings.subtitle')}</p>
        </div>
      </div>
      {user && !user.email_verified ? <VerifyBanner email={user.email} /> : null}
      <nav className="tabs" aria-label={t('settings.sections')}>
        <NavLink to="/settings/profile" className="tab" data-testid="settings-tab-profile">
          {t('settings.profile')}
        </NavLink>
        <NavLink to="/settings/security" className="tab" data-testid="settings-tab-security">
          {t('settings.security')}
        </NavLink>
        <NavLink to="/settings/sessions" className="tab" data-testid="settings-tab-sessions">
          {t('settings.sessions')}
        </NavLink>
        <NavLink to="/settings/providers" className="tab" data-testid="settings-tab-providers">
          {t('settings.providers')}
        </NavLink>
        <NavLink to="/settings/api-keys" className="tab" data-testid="settings-tab-api-keys">
          {t('settings.apiKeys')}
        </NavLink>
      </nav>
      <Outlet />
    </div>
  );
}

function VerifyBanner({ email }: { email: string }) {
  const { t } = useTranslation();
  const [state, setState] = useState<'idle' | 'sending' | 'sent'>('idle');
  const [error, setError] = useState<unknown>(null);

  const resend = async () => {
    setState('sending');
    setError(null);
    try {
      await sendVerification();
      setState('sent');
    } catch (reason) {
      setError(reason);
      setState('idle');
    }
  };

  return (
    <div className="notice notice-warn banner" data-testid="verify-banner">
      <p className="notice-body">{t('settings.unverified', { email })}</p>
      {state === 'sent' ? (
        <p className="notice-body" role="status" data-testid="verify-sent">
          {t('settings.verificationSent')}
        </p>
      ) : (
        <button
          type="button"
          className="button button-small button-secondary"
          onClick={() => void resend()}
          disabled={state === 'sending'}
          data-testid="verify-resend"
        >
          {state === 'sending' ? t('settings.resending') : t('settings.resend')}
        </button>
      )}
      {error !== null ? <FormAlert error={error} testId="verify-resend-error" /> : null}
    </div>
  );
}
