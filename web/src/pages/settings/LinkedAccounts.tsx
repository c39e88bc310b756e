// Linked sign-in accounts: the external identities (OpenID Connect, Google, GitHub) linked to
// this account, a link button for each configured provider not linked yet (a full-page trip
// through the provider and back), and unlinking.

import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { apiGet, apiSend } from '../../api/client.ts';
import { FormAlert } from '../../components/forms.tsx';
import { formatDateTime } from '../../lib/format.ts';
import type { PublicProvider } from '../auth/ExternalSignIn.tsx';

/** A linked identity as `GET /api/auth/identities` lists it. */
export interface LinkedIdentity {
  id: string;
  provider: string;
  email: string | null;
  created_at: string;
}

export function LinkedAccounts() {
  const { t, i18n } = useTranslation();
  const [providers, setProviders] = useState<PublicProvider[]>([]);
  const [identities, setIdentities] = useState<LinkedIdentity[]>([]);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async (signal?: AbortSignal) => {
    const [list, linked] = await Promise.all([
      apiGet<PublicProvider[]>('/api/auth/oauth/providers', { signal }),
      apiGet<LinkedIdentity[]>('/api/auth/identities', { signal }),
    ]);
    setProviders(list);
    setIdentities(linked);
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    // Without the lists the section stays hidden: it is an extra beside password and 2FA.
    load(controller.signal).catch(() => {});
    return () => controller.abort();
  }, [load]);

  const unlink = async (id: string) => {
    setError(null);
    try {
      await apiSend<void>('DELETE', `/api/auth/identities/${encodeURIComponent(id)}`);
      await load();
    } catch (reason) {
      setError(reason);
    }
  };

  // Nothing to show on a server without external sign-in.
  if (providers.length === 0 && identities.length === 0 && error === null) return null;
  const name = (slug: string) => providers.find((p) => p.slug === slug)?.display_name ?? slug;
  const unlinked = providers.filter((p) => !identities.some((i) => i.provider === p.slug));

  return (
    <section className="card" aria-labelledby="linked-heading" data-testid="linked-accounts">
      <h2 id="linked-heading">{t('linked.heading')}</h2>
      <p className="muted small section-intro">{t('linked.intro')}</p>
      {error !== null ? <FormAlert error={error} testId="linked-error" /> : null}
      <ul className="plain-list">
        {identities.map((identity) => (
          <li key={identity.id} data-testid="linked-identity">
            <strong>{name(identity.provider)}</strong> {identity.email ?? ''}{' '}
            <span className="muted small">{formatDateTime(identity.created_at, i18n.language)}</span>{' '}
            <button type="button" className="button button-secondary" onClick={() => void unlink(identity.id)} data-testid="linked-unlink">
              {t('linked.unlink')}
            </button>
          </li>
        ))}
      </ul>
      {unlinked.map((p) => (
        <a
          key={p.slug}
          className="button button-secondary"
          href={`/api/auth/oauth/${encodeURIComponent(p.slug)}/start?link=true&next=${encodeURIComponent('/settings/security')}`}
          data-testid={`linked-link-${p.slug}`}
        >
          {t('linked.link', { name: p.display_name })}
        </a>
      ))}
    </section>
  );
}
