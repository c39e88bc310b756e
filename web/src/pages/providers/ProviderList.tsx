// A table of providers. `admin` (shared providers) and `personal` (the caller's own) have the
// full controls: enabled switch (PATCH `enabled`), edit, test (the answer shown under the row),
// refresh models and delete (confirmed). `shared` lists what admins share with a user, read
// only. Keys appear as hints, never in full.

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import {
  DEFAULT_BASE_URLS,
  deleteProvider,
  isProviderKind,
  refreshProviderModels,
  testProvider,
  updateProvider,
  type Provider,
  type ProviderTestResult,
} from '../../api/providers.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { FormAlert, Notice } from '../../components/forms.tsx';

export type ProviderListMode = 'admin' | 'personal' | 'shared';

/** The display name of a kind (unknown kinds as the server spells them). */
export function kindLabel(kind: string, t: TFunction): string {
  // `local`: a deployment's provider, made with it (never offered in the form).
  return isProviderKind(kind) || kind === 'local' ? t(`providers.kinds.${kind}`) : kind;
}

type RowTest = { state: 'running' } | { state: 'done'; result: ProviderTestResult } | { state: 'error'; error: unknown };

export function ProviderList({
  mode,
  providers,
  onEdit,
  onUpdated,
  onDeleted,
  testId,
}: {
  mode: ProviderListMode;
  providers: Provider[];
  onEdit?: (provider: Provider) => void;
  onUpdated?: (provider: Provider) => void;
  onDeleted?: (provider: Provider) => void;
  testId?: string;
}) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [tests, setTests] = useState<Record<string, RowTest>>({});
  const [confirming, setConfirming] = useState<Provider | null>(null);
  const scope = mode === 'admin' ? 'admin' : 'user';

  if (mode === 'shared') return <SharedTable providers={providers} testId={testId} />;

  const act = async (provider: Provider, action: () => Promise<string>) => {
    setBusy(provider.id);
    setError(null);
    setMessage(null);
    try {
      setMessage(await action());
      return true;
    } catch (reason) {
      setError(reason);
      return false;
    } finally {
      setBusy(null);
    }
  };

  const toggle = (provider: Provider) =>
    act(provider, async () => {
      const updated = await updateProvider(scope, provider.id, { enabled: !provider.enabled });
      onUpdated?.(updated);
      return updated.enabled
        ? t('providers.enabledDone', { name: updated.name })
        : t('providers.disabledDone', { name: updated.name });
    });

  const refresh = (provider: Provider) =>
    act(provider, async () => {
      const updated = await refreshProviderModels(provider.id);
      onUpdated?.(updated);
      return t('providers.refreshed', { name: updated.name, count: updated.models.length });
    });

  const runTest = async (provider: Provider) => {
    setTests((previous) => ({ ...previous, [provider.id]: { state: 'running' } }));
    let next: RowTest;
    try {
      next = { state: 'done', result: await testProvider(provider.id) };
    } catch (reason) {
      next = { state: 'error', error: reason };
    }
    setTests((previous) => ({ ...previous, [provider.id]: next }));
  };

  const remove = async (provider: Provider) => {
    const ok = await act(provider, async () => {
      await deleteProvider(scope, provider.id);
      return t('providers.deleted', { name: provider.name });
    });
    setConfirming(null);
    if (ok) onDeleted?.(provider);
  };

  return (
    <>
      {error !== null ? <FormAlert error={error} testId="providers-error" /> : null}
      {message ? (
        <Notice testId="providers-message">
          <p className="notice-body">{message}</p>
        </Notice>
      ) : null}
      <div className="table-wrap">
        <table className="table table-stack provider-table" data-testid={testId}>
          <thead>
            <tr>
              <th scope="col">{t('providers.columns.name')}</th>
              <th scope="col">{t('providers.columns.baseUrl')}</th>
              <th scope="col">{t('providers.columns.models')}</th>
              <th scope="col">{t('providers.columns.keys')}</th>
              <th scope="col">{t('providers.columns.priority')}</th>
              <th scope="col">{t('providers.columns.enabled')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('common.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {providers.map((provider) => {
              const rowBusy = busy === provider.id;
              const test = tests[provider.id];
              return (
                <ProviderRows
                  key={provider.id}
                  provider={provider}
                  busy={rowBusy}
                  test={test}
                  onToggle={() => void toggle(provider)}
                  onEdit={() => onEdit?.(provider)}
                  onTest={() => void runTest(provider)}
                  onRefresh={() => void refresh(provider)}
                  onDelete={() => setConfirming(provider)}
                />
              );
            })}
          </tbody>
        </table>
      </div>
      {confirming ? (
        <ConfirmDialog
          title={t('providers.deleteTitle', { name: confirming.name })}
          confirmLabel={busy === confirming.id ? t('providers.deleting') : t('providers.delete')}
          busy={busy === confirming.id}
          danger
          onConfirm={() => void remove(confirming)}
          onCancel={() => setConfirming(null)}
          testId="provider-delete-dialog"
        >
          <p>{t('providers.deleteWarning', { name: confirming.name })}</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

/** One provider's row, and under it the answer of its last test. */
function ProviderRows({
  provider,
  busy,
  test,
  onToggle,
  onEdit,
  onTest,
  onRefresh,
  onDelete,
}: {
  provider: Provider;
  busy: boolean;
  test: RowTest | undefined;
  onToggle: () => void;
  onEdit: () => void;
  onTest: () => void;
  onRefresh: () => void;
  onDelete: () => void;
}) {
  const { t } = useTranslation();
  const name = provider.name;
  const defaultBase = isProviderKind(provider.kind) ? DEFAULT_BASE_URLS[provider.kind] : undefined;
  return (
    <>
      <tr data-testid="provider-row" data-name={name} data-enabled={provider.enabled}>
        <td data-label={t('providers.columns.name')}>
          <div className="cell-stack">
            <span className="provider-name">{name}</span>
            <span className="muted small">{kindLabel(provider.kind, t)}</span>
          </div>
        </td>
        <td data-label={t('providers.columns.baseUrl')}>
          {provider.base_url ? (
            <code className="url">{provider.base_url}</code>
          ) : defaultBase ? (
            <span className="cell-stack">
              <code className="url">{defaultBase}</code>
              <span className="muted small">{t('providers.defaultBaseUrl')}</span>
            </span>
          ) : (
            <span className="muted">—</span>
          )}
        </td>
        <td data-label={t('providers.columns.models')}>
          <ModelsCell provider={provider} />
        </td>
        <td data-label={t('providers.columns.keys')}>
          {provider.keys.length === 0 ? (
            <span className="muted small">{t('providers.noKeys')}</span>
          ) : (
            <span className="hints" data-testid="provider-key-hints">
              {provider.keys.map((key) => (
                <code key={key.id} className={key.enabled ? 'key-hint' : 'key-hint key-hint-off'} title={key.enabled ? undefined : t('providers.keyDisabled')}>
                  {key.hint}
                </code>
              ))}
            </span>
          )}
        </td>
        <td data-label={t('providers.columns.priority')} className="nowrap">
          {provider.priority} / {provider.weight}
        </td>
        <td data-label={t('providers.columns.enabled')}>
          <label className="switch">
            <input
              type="checkbox"
              role="switch"
              checked={provider.enabled}
              disabled={busy}
              onChange={onToggle}
              aria-label={t('providers.enabledLabel', { name })}
              data-testid="provider-enabled"
            />
            <span aria-hidden="true">{provider.enabled ? t('providers.on') : t('providers.off')}</span>
          </label>
        </td>
        <td className="cell-actions">
          <div className="row-actions">
            <button
              type="button"
              className="button button-secondary button-small"
              onClick={onEdit}
              disabled={busy}
              aria-label={t('providers.editLabel', { name })}
              data-testid="provider-edit"
            >
              {t('providers.edit')}
            </button>
            <button
              type="button"
              className="button button-secondary button-small"
              onClick={onTest}
              disabled={busy || test?.state === 'running'}
              aria-label={t('providers.testLabel', { name })}
              data-testid="provider-test"
            >
              {test?.state === 'running' ? t('providers.testing') : t('providers.test')}
            </button>
            <button
              type="button"
              className="button button-secondary button-small"
              onClick={onRefresh}
              disabled={busy}
              aria-label={t('providers.refreshLabel', { name })}
              data-testid="provider-refresh"
            >
              {t('providers.refresh')}
            </button>
            <button
              type="button"
              className="button button-danger button-small"
              onClick={onDelete}
              disabled={busy}
              aria-label={t('providers.deleteLabel', { name })}
              data-testid="provider-delete"
            >
              {t('providers.delete')}
            </button>
          </div>
        </td>
      </tr>
      {test && test.state !== 'running' ? (
        <tr className="provider-test-row">
          <td colSpan={7}>
            <TestResult test={test} name={name} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

function TestResult({ test, name }: { test: Exclude<RowTest, { state: 'running' }>; name: string }) {
  const { t } = useTranslation();
  if (test.state === 'error') {
    return (
      <div className="test-result" data-testid="provider-test-result" data-provider={name} data-ok="false">
        <FormAlert error={test.error} />
      </div>
    );
  }
  const { result } = test;
  return (
    <div
      className={`test-result notice ${result.ok ? 'notice-ok' : 'notice-error'}`}
      role="status"
      aria-label={t('providers.testResultOf', { name })}
      data-testid="provider-test-result"
      data-provider={name}
      data-ok={result.ok}
    >
      <p className="notice-body">
        <span className={`badge ${result.ok ? 'badge-ok' : 'badge-error'}`}>{result.ok ? t('providers.testOk') : t('providers.testFailed')}</span>{' '}
        <span data-testid="provider-test-latency">{t('providers.latency', { ms: result.latency_ms })}</span>
        {result.model ? <> · {t('providers.testModel', { model: result.model })}</> : null}
      </p>
      <p className="notice-body test-text">{result.ok ? t('providers.testReply', { reply: result.reply }) : result.error}</p>
    </div>
  );
}

/** The number of models, expandable to their names; aliases below. */
function ModelsCell({ provider }: { provider: Provider }) {
  const { t } = useTranslation();
  const aliases = Object.keys(provider.model_aliases);
  if (provider.models.length === 0 && aliases.length === 0) return <span className="muted small">{t('providers.noModels')}</span>;
  return (
    <details className="models" data-testid="provider-models">
      <summary>{t('providers.modelCount', { count: provider.models.length })}</summary>
      <ul className="model-list">
        {provider.models.map((model) => (
          <li key={model}>
            <code>{model}</code>
          </li>
        ))}
        {aliases.map((alias) => (
          <li key={`alias:${alias}`}>
            <code>{alias}</code> → <code>{provider.model_aliases[alias]}</code>
          </li>
        ))}
      </ul>
    </details>
  );
}

/** Shared providers as a user sees them: names, kinds and models, nothing to change. */
function SharedTable({ providers, testId }: { providers: Provider[]; testId?: string }) {
  const { t } = useTranslation();
  return (
    <div className="table-wrap">
      <table className="table table-stack" data-testid={testId}>
        <thead>
          <tr>
            <th scope="col">{t('providers.columns.name')}</th>
            <th scope="col">{t('providers.columns.kind')}</th>
            <th scope="col">{t('providers.columns.models')}</th>
          </tr>
        </thead>
        <tbody>
          {providers.map((provider) => {
            const models = [...provider.models, ...Object.keys(provider.model_aliases)];
            return (
              <tr key={provider.id} data-testid="shared-provider-row" data-name={provider.name}>
                <td data-label={t('providers.columns.name')}>
                  <span className="provider-name">{provider.name}</span>
                </td>
                <td data-label={t('providers.columns.kind')}>{kindLabel(provider.kind, t)}</td>
                <td data-label={t('providers.columns.models')}>
                  {models.length === 0 ? (
                    <span className="muted small">{t('providers.noModels')}</span>
                  ) : (
                    <span className="hints">
                      {models.map((model) => (
                        <code key={model}>{model}</code>
                      ))}
                    </span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
