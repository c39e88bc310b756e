// Settings: the user's gateway API keys. Create one (name, optional last day, optional model
// allow-list); the full key is shown once in a panel with a Copy button and leaves the page with
// "Done". The list shows hints only; revoking is confirmed. A short guide shows how to call
// `/v1` with a key (curl and the Python `openai` package).

import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKey, type ApiKeyInput, type NewApiKey } from '../../api/keys.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { FormAlert, Notice, fieldErrorsOf } from '../../components/forms.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { useAsync } from '../../lib/useAsync.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { parseModelList } from '../providers/providerFields.ts';
import { EditKeyPanel, KeyFields, KeyLimitsPanel, NO_KEY_VALUES, lastDay, type KeyValues } from './ApiKeyPanels.tsx';

/** Today as `YYYY-MM-DD` in the browser's time zone (the earliest expiry date offered). */
function today(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

/** The gateway's base URL as this browser reaches the server. */
export function gatewayBaseUrl(): string {
  return `${window.location.origin}/v1`;
}

export function ApiKeysSettings() {
  const { t } = useTranslation();
  useDocumentTitle(t('settings.apiKeys'));
  const keys = useAsync((signal) => listApiKeys(signal), []);
  const [created, setCreated] = useState<NewApiKey | null>(null);

  return (
    <div className="stack">
      <CreateKey
        onCreated={(key) => {
          setCreated(key);
          keys.reload();
        }}
      />
      {created ? <NewKeyPanel created={created} onDone={() => setCreated(null)} /> : null}
      <KeyList keys={keys.data} error={keys.error} loading={keys.loading} reload={keys.reload} />
      <Usage />
    </div>
  );
}

function CreateKey({ onCreated }: { onCreated: (key: NewApiKey) => void }) {
  const { t } = useTranslation();
  const [values, setValues] = useState<KeyValues>(NO_KEY_VALUES);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const found: Record<string, string> = {};
    const input: ApiKeyInput = { name: values.name.trim() };
    if (!input.name) found.name = t('apiKeys.required');
    if (values.expires) {
      const day = lastDay(values.expires);
      if ('end' in day) input.expires_at = day.end;
      else found.expires_at = t(`apiKeys.${day.problem}`);
    }
    const allowed = parseModelList(values.models);
    if (allowed.length > 0) input.models = allowed;
    setProblems(found);
    if (Object.keys(found).length > 0) return;

    setBusy(true);
    try {
      const key = await createApiKey(input);
      setValues(NO_KEY_VALUES);
      onCreated(key);
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  };

  const fields = fieldErrorsOf(error);
  const placed = Boolean(fields.name || fields.expires_at || fields.models);

  return (
    <section className="card" aria-labelledby="api-key-create-heading">
      <h2 id="api-key-create-heading">{t('apiKeys.createHeading')}</h2>
      <p className="muted small section-intro">{t('apiKeys.intro')}</p>
      <form className="form" noValidate onSubmit={(event) => void submit(event)} data-testid="api-key-form">
        {error !== null && !placed ? <FormAlert error={error} testId="api-key-error" /> : null}
        <KeyFields
          values={values}
          onChange={setValues}
          errors={{ name: problems.name ?? fields.name, expires_at: problems.expires_at ?? fields.expires_at, models: fields.models }}
          testId="api-key"
          minDay={today()}
        />
        <div className="form-actions">
          <button type="submit" className="button" disabled={busy} data-testid="api-key-create">
            {busy ? t('apiKeys.creating') : t('apiKeys.create')}
          </button>
        </div>
      </form>
    </section>
  );
}

/** The new key, this once: copy it, then "Done" takes it off the page. */
function NewKeyPanel({ created, onDone }: { created: NewApiKey; onDone: () => void }) {
  const { t } = useTranslation();
  const secret = useRef<HTMLElement>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);

  const copy = async () => {
    try {
      if (navigator.clipboard) {
        await navigator.clipboard.writeText(created.key);
      } else {
        // Not a secure context (plain HTTP on a LAN address): copy the selected key.
        const selection = window.getSelection();
        if (!secret.current || !selection) throw new Error('nothing to select');
        const range = document.createRange();
        range.selectNodeContents(secret.current);
        selection.removeAllRanges();
        selection.addRange(range);
        if (!document.execCommand('copy')) throw new Error('copy refused');
      }
      setCopied('yes');
    } catch {
      setCopied('no');
    }
  };

  return (
    <section className="card new-key" aria-labelledby="api-key-created-heading" data-testid="api-key-created">
      <h2 id="api-key-created-heading">{t('apiKeys.createdTitle', { name: created.name })}</h2>
      <div className="notice notice-warn" role="note">
        <p className="notice-body">{t('apiKeys.createdWarning')}</p>
      </div>
      <p className="new-key-value">
        <code ref={secret} className="secret" data-testid="api-key-secret">
          {created.key}
        </code>
      </p>
      <div className="form-actions">
        <button type="button" className="button button-secondary" onClick={() => void copy()} data-testid="api-key-copy">
          {t('apiKeys.copy')}
        </button>
        <button type="button" className="button" onClick={onDone} data-testid="api-key-done">
          {t('apiKeys.done')}
        </button>
        {copied ? (
          <span className="small" role="status" data-testid="api-key-copied">
            {copied === 'yes' ? t('apiKeys.copied') : t('apiKeys.copyFailed')}
          </span>
        ) : null}
      </div>
    </section>
  );
}

function KeyList({
  keys,
  error: loadError,
  loading,
  reload,
}: {
  keys: ApiKey[] | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
}) {
  const { t, i18n } = useTranslation();
  const [confirming, setConfirming] = useState<ApiKey | null>(null);
  const [limitsOf, setLimitsOf] = useState<ApiKey | null>(null);
  const [editing, setEditing] = useState<ApiKey | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [gone, setGone] = useState<string[]>([]);

  const revoke = async (key: ApiKey) => {
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      await revokeApiKey(key.id);
      setGone((previous) => [...previous, key.id]);
      setMessage(t('apiKeys.revoked', { name: key.name }));
      reload();
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
      setConfirming(null);
    }
  };

  const rows = keys?.filter((key) => !gone.includes(key.id)) ?? null;
  const date = (value: string) => <time dateTime={value}>{formatDateTime(value, i18n.language)}</time>;

  return (
    <section className="card" aria-labelledby="api-keys-heading" aria-busy={loading}>
      <h2 id="api-keys-heading">{t('apiKeys.listHeading')}</h2>
      {error !== null ? <FormAlert error={error} testId="api-keys-error" /> : null}
      {message ? (
        <Notice testId="api-keys-message">
          <p className="notice-body">{message}</p>
        </Notice>
      ) : null}
      {loadError !== null && !rows ? (
        <ErrorNotice error={loadError} testId="api-keys-load-error" />
      ) : !rows ? (
        <p className="muted">{t('common.loading')}</p>
      ) : rows.length === 0 ? (
        <p className="muted empty" data-testid="api-keys-empty">
          {t('apiKeys.none')}
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table table-stack" data-testid="api-keys-table">
            <thead>
              <tr>
                <th scope="col">{t('apiKeys.columns.name')}</th>
                <th scope="col">{t('apiKeys.columns.key')}</th>
                <th scope="col">{t('apiKeys.columns.models')}</th>
                <th scope="col">{t('apiKeys.columns.expires')}</th>
                <th scope="col">{t('apiKeys.columns.lastUsed')}</th>
                <th scope="col">{t('apiKeys.columns.created')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('common.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((key) => {
                const expired = key.expires_at !== null && new Date(key.expires_at).getTime() <= Date.now();
                return (
                  <tr key={key.id} data-testid="api-key-row" data-name={key.name}>
                    <td data-label={t('apiKeys.columns.name')}>
                      <span className="provider-name">{key.name}</span>
                    </td>
                    <td data-label={t('apiKeys.columns.key')}>
                      <code className="key-hint" data-testid="api-key-hint">
                        {key.hint}
                      </code>
                    </td>
                    <td data-label={t('apiKeys.columns.models')}>
                      {key.models && key.models.length > 0 ? (
                        <span className="hints">
                          {key.models.map((model) => (
                            <code key={model}>{model}</code>
                          ))}
                        </span>
                      ) : (
                        <span className="muted">{t('apiKeys.allModels')}</span>
                      )}
                    </td>
                    <td data-label={t('apiKeys.columns.expires')}>
                      {key.expires_at ? (
                        <span className="cell-stack">
                          {date(key.expires_at)}
                          {expired ? <span className="badge badge-error">{t('apiKeys.expired')}</span> : null}
                        </span>
                      ) : (
                        <span className="muted">{t('apiKeys.noExpiry')}</span>
                      )}
                    </td>
                    <td data-label={t('apiKeys.columns.lastUsed')}>
                      {key.last_used_at ? date(key.last_used_at) : <span className="muted">{t('apiKeys.never')}</span>}
                    </td>
                    <td data-label={t('apiKeys.columns.created')}>{date(key.created_at)}</td>
                    <td className="cell-actions">
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        onClick={() => {
                          setLimitsOf(null);
                          setEditing(key);
                        }}
                        data-testid="api-key-edit"
                      >
                        {t('apiKeys.edit')}
                      </button>
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        onClick={() => {
                          setEditing(null);
                          setLimitsOf(key);
                        }}
                        data-testid="api-key-limits"
                      >
                        {t('limits.button')}
                      </button>
                      <button
                        type="button"
                        className="button button-danger button-small"
                        onClick={() => setConfirming(key)}
                        disabled={busy}
                        aria-label={t('apiKeys.revokeLabel', { name: key.name })}
                        data-testid="api-key-revoke"
                      >
                        {t('apiKeys.revoke')}
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {limitsOf ? <KeyLimitsPanel apiKey={limitsOf} onClose={() => setLimitsOf(null)} /> : null}
      {editing ? (
        <EditKeyPanel
          apiKey={editing}
          onClose={() => setEditing(null)}
          onSaved={(key) => {
            setEditing(null);
            setMessage(t('apiKeys.saved', { name: key.name }));
            reload();
          }}
        />
      ) : null}
      {confirming ? (
        <ConfirmDialog
          title={t('apiKeys.revokeTitle', { name: confirming.name })}
          confirmLabel={busy ? t('apiKeys.revoking') : t('apiKeys.revoke')}
          busy={busy}
          danger
          onConfirm={() => void revoke(confirming)}
          onCancel={() => setConfirming(null)}
          testId="api-key-revoke-dialog"
        >
          <p>{t('apiKeys.revokeWarning', { name: confirming.name, hint: confirming.hint })}</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

/** How to call the gateway: base URL, curl and the Python `openai` package. */
function Usage() {
  const { t } = useTranslation();
  const base = gatewayBaseUrl();
  const curl = [
    `curl ${base}/chat/completions \\`,
    `  -H "Authorization: Bearer $LLM_MANAGER_API_KEY" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]}'`,
  ].join('\n');
  const python = [
    'import os',
    'from openai import OpenAI',
    '',
    `client = OpenAI(base_url="${base}", api_key=os.environ["LLM_MANAGER_API_KEY"])`,
    'reply = client.chat.completions.create(',
    '    model="gpt-4o-mini",',
    '    messages=[{"role": "user", "content": "Hello"}],',
    ')',
    'print(reply.choices[0].message.content)',
  ].join('\n');

  return (
    <section className="card" aria-labelledby="api-usage-heading" data-testid="api-usage">
      <h2 id="api-usage-heading">{t('apiKeys.usageHeading')}</h2>
      <p className="muted small section-intro">{t('apiKeys.usageIntro')}</p>
      <dl className="facts">
        <div>
          <dt>{t('apiKeys.baseUrl')}</dt>
          <dd>
            <code data-testid="api-base-url">{base}</code>
          </dd>
        </div>
      </dl>
      <h3 className="snippet-title">{t('apiKeys.curl')}</h3>
      <pre className="snippet" data-testid="api-snippet-curl">
        <code>{curl}</code>
      </pre>
      <h3 className="snippet-title">{t('apiKeys.python')}</h3>
      <pre className="snippet" data-testid="api-snippet-python">
        <code>{python}</code>
      </pre>
      <p className="muted small">{t('apiKeys.modelNote')}</p>
    </section>
  );
}
