// Buttons for the sign-in providers an admin configured (OpenID Connect, Google, GitHub), and
// the message the server's callback sends back in `?error=` when such a sign-in failed.
// The buttons are plain links: the server redirects to the provider and back.

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { apiGet } from '../../api/client.ts';
import { Notice } from '../../components/forms.tsx';

/** A provider as `GET /api/auth/oauth/providers` lists it. */
export interface PublicProvider {
  slug: string;
  display_name: string;
  kind: string;
}

export function ExternalSignIn({ next, error }: { next: string; error: string | null }) {
  const { t } = useTranslation();
  const [providers, setProviders] = useState<PublicProvider[]>([]);

  useEffect(() => {
    const controller = new AbortController();
    apiGet<PublicProvider[]>('/api/auth/oauth/providers', { signal: controller.signal })
      .then(setProviders)
      // The buttons are an extra: without the list, the password form still works.
      .catch(() => setProviders([]));
    return () => controller.abort();
  }, []);

  return (
    <>
      {error ? (
        <Notice tone="warn" testId="login-external-error">
          <p className="notice-body">{t('login.externalError', { message: error })}</p>
        </Notice>
      ) : null}
      {providers.length > 0 ? (
        <div className="external-sign-in" data-testid="login-providers">
          <p className="external-sign-in-or">{t('login.or')}</p>
          {providers.map((p) => (
            <a
              key={p.slug}
              className="button button-secondary"
              href={`/api/auth/oauth/${encodeURIComponent(p.slug)}/start?next=${encodeURIComponent(next)}`}
              data-testid={`login-provider-${p.slug}`}
            >
              {t('login.continueWith', { name: p.display_name })}
            </a>
          ))}
        </div>
      ) : null}
    </>
  );
}
