// The keys of an existing provider, below its edit form: their hints (a key is never shown
// again), removing one (confirmed) and adding one, through `/api/providers/{id}/keys`.

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { addProviderKey, deleteProviderKey, type Provider, type ProviderKeyInfo } from '../../api/providers.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { FormAlert, Notice, TextField, fieldErrorsOf } from '../../components/forms.tsx';

/** The keys of an existing provider: hints, remove (confirmed), add one. */
export function ProviderKeys({ provider, onChange }: { provider: Provider; onChange: (provider: Provider) => void }) {
  const { t } = useTranslation();
  const [newKey, setNewKey] = useState('');
  const [busy, setBusy] = useState<'add' | 'remove' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [removing, setRemoving] = useState<ProviderKeyInfo | null>(null);
  const [keyProblem, setKeyProblem] = useState(false);

  const run = async (what: 'add' | 'remove', action: () => Promise<Provider>, done: string) => {
    setBusy(what);
    setError(null);
    setMessage(null);
    try {
      onChange(await action());
      setMessage(done);
      return true;
    } catch (reason) {
      setError(reason);
      return false;
    } finally {
      setBusy(null);
    }
  };

  const add = async (event: FormEvent) => {
    event.preventDefault();
    const key = newKey.trim();
    if (!key) {
      setError(null);
      setMessage(null);
      setKeyProblem(true);
      return;
    }
    setKeyProblem(false);
    if (await run('add', () => addProviderKey(provider.id, key), t('providers.keys.added'))) setNewKey('');
  };

  const remove = async (key: ProviderKeyInfo) => {
    await run('remove', () => deleteProviderKey(provider.id, key.id), t('providers.keys.removed'));
    setRemoving(null);
  };

  const fields = fieldErrorsOf(error);
  const keyError = keyProblem ? t('providers.problems.required') : (fields.api_key ?? undefined);

  return (
    <section className="provider-keys" aria-labelledby="provider-keys-heading" data-testid="provider-keys">
      <h4 id="provider-keys-heading">{t('providers.keys.heading')}</h4>
      <p className="muted small">{t('providers.keys.intro')}</p>
      {error !== null && !fields.api_key ? <FormAlert error={error} testId="provider-keys-error" /> : null}
      {message ? (
        <Notice testId="provider-keys-message">
          <p className="notice-body">{message}</p>
        </Notice>
      ) : null}
      {provider.keys.length === 0 ? (
        <p className="muted small" data-testid="provider-keys-none">
          {t('providers.keys.none')}
        </p>
      ) : (
        <ul className="key-list">
          {provider.keys.map((key) => (
            <li key={key.id} data-testid="provider-key">
              <code className="key-hint">{key.hint}</code>
              {key.enabled ? null : <span className="badge badge-disabled">{t('providers.keyDisabled')}</span>}
              <button
                type="button"
                className="button button-secondary button-small"
                onClick={() => setRemoving(key)}
                disabled={busy !== null}
                aria-label={t('providers.keys.removeLabel', { hint: key.hint })}
                data-testid="provider-key-remove"
              >
                {t('providers.keys.remove')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="key-add" noValidate onSubmit={(event) => void add(event)} data-testid="provider-key-form">
        <TextField
          label={t('providers.keys.new')}
          type="password"
          value={newKey}
          onChange={(event) => setNewKey(event.target.value)}
          autoComplete="new-password"
          spellCheck={false}
          error={keyError}
          testId="provider-key-new"
        />
        <button type="submit" className="button button-secondary" disabled={busy !== null} data-testid="provider-key-add">
          {busy === 'add' ? t('providers.keys.adding') : t('providers.keys.add')}
        </button>
      </form>
      {removing ? (
        <ConfirmDialog
          title={t('providers.keys.removeTitle', { hint: removing.hint })}
          confirmLabel={busy === 'remove' ? t('providers.keys.removing') : t('providers.keys.remove')}
          busy={busy === 'remove'}
          danger
          onConfirm={() => void remove(removing)}
          onCancel={() => setRemoving(null)}
          testId="provider-key-remove-dialog"
        >
          <p>{t('providers.keys.removeWarning')}</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
