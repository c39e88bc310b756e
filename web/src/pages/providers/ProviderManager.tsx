// Providers of one owner, loaded, listed and edited: the admin page's shared providers
// (`mode="admin"`, `/api/admin/providers`) or the settings page's personal ones
// (`mode="personal"`, `/api/providers`, which also lists the enabled shared providers; those are
// shown read-only in their own section). The add/edit form opens as a panel above the list.

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { listProviders, type Provider } from '../../api/providers.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Notice } from '../../components/forms.tsx';
import { useAsync } from '../../lib/useAsync.ts';
import { ProviderForm } from './ProviderForm.tsx';
import { ProviderList } from './ProviderList.tsx';

type Panel = { kind: 'create' } | { kind: 'edit'; id: string } | null;

export function ProviderManager({ mode }: { mode: 'admin' | 'personal' }) {
  const { t } = useTranslation();
  const scope = mode === 'admin' ? 'admin' : 'user';
  const loaded = useAsync((signal) => listProviders(scope, signal), [scope]);
  const [rows, setRows] = useState<Provider[] | null>(null);
  const [panel, setPanel] = useState<Panel>(null);
  const [message, setMessage] = useState<string | null>(null);

  useEffect(() => {
    if (loaded.data) setRows(loaded.data);
  }, [loaded.data]);

  const replace = (provider: Provider) =>
    setRows((previous) => (previous ?? []).map((row) => (row.id === provider.id ? provider : row)));

  const own = rows?.filter((row) => (mode === 'admin' ? true : row.owner === 'personal')) ?? null;
  const shared = mode === 'personal' ? (rows?.filter((row) => row.owner === 'shared') ?? null) : null;
  const editing = panel?.kind === 'edit' ? (rows?.find((row) => row.id === panel.id) ?? null) : null;

  const list =
    loaded.error !== null && !own ? (
      <ErrorNotice error={loaded.error} testId="providers-load-error" />
    ) : !own ? (
      <p className="muted">{t('common.loading')}</p>
    ) : own.length === 0 ? (
      <p className="muted empty" data-testid="providers-empty">
        {mode === 'admin' ? t('providers.noneAdmin') : t('providers.nonePersonal')}
      </p>
    ) : (
      <ProviderList
        mode={mode}
        providers={own}
        onEdit={(provider) => {
          setMessage(null);
          setPanel({ kind: 'edit', id: provider.id });
        }}
        onUpdated={replace}
        onDeleted={(provider) => {
          setRows((previous) => (previous ?? []).filter((row) => row.id !== provider.id));
          if (panel?.kind === 'edit' && panel.id === provider.id) setPanel(null);
        }}
        testId="providers-table"
      />
    );

  const managed = (
    <>
      <div className="toolbar toolbar-end">
        <button
          type="button"
          className="button"
          onClick={() => {
            setMessage(null);
            setPanel({ kind: 'create' });
          }}
          disabled={panel?.kind === 'create'}
          data-testid="provider-add"
        >
          {t('providers.add')}
        </button>
      </div>
      {message ? (
        <Notice testId="provider-saved">
          <p className="notice-body">{message}</p>
        </Notice>
      ) : null}
      {panel && (panel.kind === 'create' || editing) ? (
        <ProviderForm
          // A fresh form for each provider (and for a new one).
          key={panel.kind === 'edit' ? panel.id : 'new'}
          scope={scope}
          provider={editing}
          onSaved={(provider, created) => {
            setRows((previous) =>
              created ? [...(previous ?? []), provider] : (previous ?? []).map((row) => (row.id === provider.id ? provider : row)),
            );
            setPanel(null);
            setMessage(created ? t('providers.created', { name: provider.name }) : t('providers.saved', { name: provider.name }));
          }}
          onProviderChange={replace}
          onCancel={() => setPanel(null)}
        />
      ) : null}
      {list}
    </>
  );

  if (mode === 'admin') return <div className="stack" data-testid="providers-manager">{managed}</div>;

  return (
    <div className="stack" data-testid="providers-manager">
      <section className="card" aria-labelledby="my-providers-heading">
        <h2 id="my-providers-heading">{t('providers.personal.heading')}</h2>
        <p className="muted small section-intro">{t('providers.personal.intro')}</p>
        {managed}
      </section>
      <section className="card" aria-labelledby="shared-providers-heading" data-testid="shared-providers">
        <h2 id="shared-providers-heading">{t('providers.personal.sharedHeading')}</h2>
        <p className="muted small section-intro">{t('providers.personal.sharedIntro')}</p>
        {!shared ? (
          loaded.error !== null ? null : <p className="muted">{t('common.loading')}</p>
        ) : shared.length === 0 ? (
          <p className="muted empty" data-testid="shared-providers-empty">
            {t('providers.personal.sharedNone')}
          </p>
        ) : (
          <ProviderList mode="shared" providers={shared} testId="shared-providers-table" />
        )}
      </section>
    </div>
  );
}
