// The key fields shared by the create form and the edit panel, and the panels a key's row opens:
// edit its name, last day and allowed models (`PATCH
// /api/keys/{id}`: the next request with the key sees the change), or set its limits.

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { endOfLocalDay, updateApiKey, type ApiKey, type ApiKeyUpdate } from '../../api/keys.ts';
import { FormAlert, TextAreaField, TextField, fieldErrorsOf } from '../../components/forms.tsx';
import { LimitsForm } from '../../components/LimitsForm.tsx';
import { parseModelList } from '../providers/providerFields.ts';

/** The local `YYYY-MM-DD` of an RFC 3339 time, for an `<input type="date">`. */
function localDay(value: string | null): string {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function Panel({ title, onClose, testId, children }: { title: string; onClose: () => void; testId: string; children: React.ReactNode }) {
  const { t } = useTranslation();
  return (
    <section className="card" aria-label={title} data-testid={testId}>
      <div className="page-header">
        <h3>{title}</h3>
        <button type="button" className="button button-secondary button-small" onClick={onClose}>
          {t('limits.close')}
        </button>
      </div>
      {children}
    </section>
  );
}

export interface KeyValues {
  name: string;
  /** `YYYY-MM-DD` or empty. */
  expires: string;
  /** Model names separated by commas or line breaks. */
  models: string;
}

/** An empty form. */
export const NO_KEY_VALUES: KeyValues = { name: '', expires: '', models: '' };

/** The end (RFC 3339) of the chosen last day, or what is wrong with the day. */
export function lastDay(day: string): { end: string } | { problem: 'badDate' | 'pastDate' } {
  const end = endOfLocalDay(day);
  if (!end) return { problem: 'badDate' };
  if (new Date(end).getTime() <= Date.now()) return { problem: 'pastDate' };
  return { end };
}

/** A key's name, last day and allowed models: the fields of the create form and the edit panel. */
export function KeyFields({
  values,
  onChange,
  errors,
  testId,
  minDay,
}: {
  values: KeyValues;
  onChange: (values: KeyValues) => void;
  errors: { name?: string; expires_at?: string; models?: string };
  testId: string;
  minDay?: string;
}) {
  const { t } = useTranslation();
  return (
    <>
      <div className="form-grid">
        <TextField
          label={t('apiKeys.name')}
          value={values.name}
          onChange={(event) => onChange({ ...values, name: event.target.value })}
          maxLength={100}
          required
          autoComplete="off"
          hint={t('apiKeys.nameHint')}
          error={errors.name}
          testId={`${testId}-name`}
        />
        <TextField
          label={t('apiKeys.expires')}
          type="date"
          min={minDay}
          value={values.expires}
          onChange={(event) => onChange({ ...values, expires: event.target.value })}
          hint={t('apiKeys.expiresHint')}
          error={errors.expires_at}
          testId={`${testId}-expires`}
        />
      </div>
      <TextAreaField
        label={t('apiKeys.models')}
        value={values.models}
        onChange={(event) => onChange({ ...values, models: event.target.value })}
        rows={2}
        spellCheck={false}
        hint={t('apiKeys.modelsHint')}
        error={errors.models}
        testId={`${testId}-models`}
      />
    </>
  );
}

/** Edits a key's name, last day and model allow-list. */
export function EditKeyPanel({ apiKey, onSaved, onClose }: { apiKey: ApiKey; onSaved: (key: ApiKey) => void; onClose: () => void }) {
  const { t } = useTranslation();
  const [values, setValues] = useState<KeyValues>({
    name: apiKey.name,
    expires: localDay(apiKey.expires_at),
    models: (apiKey.models ?? []).join(', '),
  });
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const found: Record<string, string> = {};
    const update: ApiKeyUpdate = { name: values.name.trim() };
    if (!update.name) found.name = t('apiKeys.required');
    if (!values.expires) update.expires_at = null;
    else if (values.expires !== localDay(apiKey.expires_at)) {
      const day = lastDay(values.expires);
      if ('end' in day) update.expires_at = day.end;
      else found.expires_at = t(`apiKeys.${day.problem}`);
    }
    const allowed = parseModelList(values.models);
    update.models = allowed.length > 0 ? allowed : null;
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      onSaved(await updateApiKey(apiKey.id, update));
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  };

  const fields = fieldErrorsOf(error);
  const placed = Boolean(fields.name || fields.expires_at || fields.models);
  return (
    <Panel title={t('apiKeys.editTitle', { name: apiKey.name })} onClose={onClose} testId="api-key-edit-panel">
      <form className="form" noValidate onSubmit={(event) => void submit(event)} data-testid="api-key-edit-form">
        {error !== null && !placed ? <FormAlert error={error} testId="api-key-edit-error" /> : null}
        <KeyFields
          values={values}
          onChange={setValues}
          errors={{ name: problems.name ?? fields.name, expires_at: problems.expires_at ?? fields.expires_at, models: fields.models }}
          testId="api-key-edit"
        />
        <div className="form-actions">
          <button type="submit" className="button" disabled={busy} data-testid="api-key-edit-save">
            {busy ? t('apiKeys.saving') : t('apiKeys.save')}
          </button>
        </div>
      </form>
    </Panel>
  );
}

/** A key's budget and rate limits. */
export function KeyLimitsPanel({ apiKey, onClose }: { apiKey: ApiKey; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <Panel title={t('limits.forKey', { name: apiKey.name })} onClose={onClose} testId="api-key-limits-panel">
      <LimitsForm target={{ kind: 'key', id: apiKey.id }} testId="api-key-limits-form" />
    </Panel>
  );
}
