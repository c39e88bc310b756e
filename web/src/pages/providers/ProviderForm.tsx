// Add or edit a provider (shared or personal, by `scope`). The fields follow the kind: a base URL
// is required where the kind has no default, an API version only for Azure, an API key when
// creating (optional for Ollama and OpenAI-compatible servers). Editing PATCHes only the changed
// fields; the keys of an existing provider are managed below the form (ProviderKeys.tsx) and are
// never shown, only their hints. Problems (checked here, or a 422's `details.fields`)
// are shown next to their field.

import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client.ts';
import {
  DEFAULT_BASE_URLS,
  PROVIDER_KINDS,
  createProvider,
  needsApiKey,
  needsApiVersion,
  needsBaseUrl,
  updateProvider,
  type Provider,
  type ProviderKind,
  type ProviderScope,
} from '../../api/providers.ts';
import { FormAlert, SelectField, TextAreaField, TextField, fieldErrorsOf } from '../../components/forms.tsx';
import {
  NEW_PROVIDER_VALUES,
  createBody,
  patchBody,
  valuesFromProvider,
  type FieldProblem,
  type ProviderFormValues,
} from './providerFields.ts';
import { ProviderKeys } from './ProviderKeys.tsx';

/** Field names (as the server spells them) that have a place in the form. */
const PLACED = [
  'name',
  'kind',
  'base_url',
  'api_version',
  'api_key',
  'api_keys',
  'models',
  'model_aliases',
  'default_params',
  'default_params.temperature',
  'default_params.max_tokens',
  'default_params.top_p',
  'temperature',
  'max_tokens',
  'top_p',
  'timeout_secs',
  'priority',
  'weight',
];

type SavePlan =
  | { kind: 'problems'; problems: Record<string, FieldProblem> }
  | { kind: 'unchanged'; provider: Provider }
  | { kind: 'save'; run: () => Promise<Provider> };

/** Field errors of a failed save: a 422's fields, or a 409 (name taken) on the name. */
function serverFieldErrors(error: unknown): Record<string, string> {
  if (error instanceof ApiError && error.status === 409) return { name: error.message };
  return fieldErrorsOf(error);
}

export function ProviderForm({
  scope,
  provider,
  onSaved,
  onProviderChange,
  onCancel,
}: {
  scope: ProviderScope;
  /** The provider to edit; null to add one. */
  provider: Provider | null;
  onSaved: (provider: Provider, created: boolean) => void;
  /** The provider changed without the form being saved (a key added or removed). */
  onProviderChange: (provider: Provider) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [values, setValues] = useState<ProviderFormValues>(() => (provider ? valuesFromProvider(provider) : NEW_PROVIDER_VALUES));
  const [problems, setProblems] = useState<Record<string, FieldProblem>>({});
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const editing = provider !== null;

  useEffect(() => {
    heading.current?.focus();
    heading.current?.scrollIntoView?.({ block: 'nearest' });
  }, []);

  const set =
    <K extends keyof ProviderFormValues>(name: K) =>
    (event: { target: { value: string } }) =>
      setValues((previous) => ({ ...previous, [name]: event.target.value }));

  /** What saving the form takes: fixing problems first, nothing (unchanged), or a request. */
  const plan = (): SavePlan => {
    if (provider) {
      const built = patchBody(provider, values);
      if ('problems' in built) return { kind: 'problems', problems: built.problems };
      if (Object.keys(built.body).length === 0) return { kind: 'unchanged', provider };
      return { kind: 'save', run: () => updateProvider(scope, provider.id, built.body) };
    }
    const built = createBody(values);
    if ('problems' in built) return { kind: 'problems', problems: built.problems };
    return { kind: 'save', run: () => createProvider(scope, built.body) };
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const next = plan();
    setProblems(next.kind === 'problems' ? next.problems : {});
    if (next.kind === 'problems') return;
    if (next.kind === 'unchanged') {
      onSaved(next.provider, false);
      return;
    }
    setSaving(true);
    try {
      onSaved(await next.run(), !editing);
    } catch (reason) {
      setError(reason);
      setSaving(false);
    }
  };

  const server = serverFieldErrors(error);
  const errorOf = (...names: string[]): string | undefined => {
    for (const name of names) {
      const problem = problems[name];
      if (problem) return t(`providers.problems.${problem}`);
      if (server[name]) return server[name];
    }
    return undefined;
  };
  const placed = PLACED.some((name) => server[name]);

  const kind = values.kind;
  const defaultBase = DEFAULT_BASE_URLS[kind];
  const title = editing ? t('providers.form.editTitle', { name: provider.name }) : t('providers.form.addTitle');

  return (
    <div className="panel" data-testid="provider-form-panel">
      <h3 ref={heading} tabIndex={-1} className="panel-title">
        {title}
      </h3>
      <form className="form" noValidate onSubmit={(event) => void submit(event)} aria-label={title} data-testid="provider-form">
        {error !== null && !placed ? <FormAlert error={error} testId="provider-form-error" /> : null}
        <div className="form-grid">
          <SelectField
            label={t('providers.form.kind')}
            value={kind}
            onChange={(event) => setValues((previous) => ({ ...previous, kind: event.target.value as ProviderKind }))}
            error={errorOf('kind')}
            testId="provider-kind"
          >
            {PROVIDER_KINDS.map((value) => (
              <option key={value} value={value}>
                {t(`providers.kinds.${value}`)}
              </option>
            ))}
          </SelectField>
          <TextField
            label={t('providers.form.name')}
            value={values.name}
            onChange={set('name')}
            maxLength={100}
            required
            autoComplete="off"
            hint={t('providers.form.nameHint')}
            error={errorOf('name')}
            testId="provider-name"
          />
          <TextField
            label={t('providers.form.baseUrl')}
            type="url"
            inputMode="url"
            value={values.base_url}
            onChange={set('base_url')}
            placeholder={defaultBase ?? 'https://…'}
            required={needsBaseUrl(kind)}
            autoComplete="off"
            spellCheck={false}
            hint={defaultBase ? t('providers.form.baseUrlDefault', { url: defaultBase }) : t('providers.form.baseUrlRequired')}
            error={errorOf('base_url')}
            testId="provider-base-url"
          />
          {needsApiVersion(kind) ? (
            <TextField
              label={t('providers.form.apiVersion')}
              value={values.api_version}
              onChange={set('api_version')}
              placeholder="2024-10-21"
              required
              autoComplete="off"
              spellCheck={false}
              hint={t('providers.form.apiVersionHint')}
              error={errorOf('api_version')}
              testId="provider-api-version"
            />
          ) : null}
          {editing ? null : (
            <TextField
              label={t('providers.form.apiKey')}
              type="password"
              value={values.api_key}
              onChange={set('api_key')}
              required={needsApiKey(kind)}
              autoComplete="new-password"
              spellCheck={false}
              hint={needsApiKey(kind) ? t('providers.form.apiKeyHint') : t('providers.form.apiKeyOptional')}
              error={errorOf('api_key', 'api_keys')}
              testId="provider-api-key"
            />
          )}
        </div>
        <div className="form-grid">
          <TextAreaField
            label={t('providers.form.models')}
            value={values.models}
            onChange={set('models')}
            rows={3}
            spellCheck={false}
            hint={t('providers.form.modelsHint')}
            error={errorOf('models')}
            testId="provider-models"
          />
          <TextAreaField
            label={t('providers.form.aliases')}
            value={values.model_aliases}
            onChange={set('model_aliases')}
            rows={3}
            spellCheck={false}
            placeholder="gpt4=gpt-4o"
            hint={kind === 'azure_openai' ? t('providers.form.aliasesHintAzure') : t('providers.form.aliasesHint')}
            error={errorOf('model_aliases')}
            testId="provider-aliases"
          />
        </div>
        <fieldset className="fieldset">
          <legend>{t('providers.form.defaults')}</legend>
          <div className="form-grid form-grid-narrow">
            <TextField
              label={t('providers.form.temperature')}
              type="number"
              inputMode="decimal"
              step="any"
              min={0}
              max={2}
              value={values.temperature}
              onChange={set('temperature')}
              error={errorOf('default_params.temperature', 'temperature', 'default_params')}
              testId="provider-temperature"
            />
            <TextField
              label={t('providers.form.maxTokens')}
              type="number"
              inputMode="numeric"
              min={1}
              step={1}
              value={values.max_tokens}
              onChange={set('max_tokens')}
              error={errorOf('default_params.max_tokens', 'max_tokens')}
              testId="provider-max-tokens"
            />
            <TextField
              label={t('providers.form.topP')}
              type="number"
              inputMode="decimal"
              step="any"
              min={0}
              max={1}
              value={values.top_p}
              onChange={set('top_p')}
              error={errorOf('default_params.top_p', 'top_p')}
              testId="provider-top-p"
            />
          </div>
        </fieldset>
        <fieldset className="fieldset">
          <legend>{t('providers.form.routing')}</legend>
          <div className="form-grid form-grid-narrow">
            <TextField
              label={t('providers.form.timeout')}
              type="number"
              inputMode="numeric"
              min={1}
              step={1}
              value={values.timeout_secs}
              onChange={set('timeout_secs')}
              error={errorOf('timeout_secs')}
              testId="provider-timeout"
            />
            <TextField
              label={t('providers.form.priority')}
              type="number"
              inputMode="numeric"
              step={1}
              value={values.priority}
              onChange={set('priority')}
              hint={t('providers.form.priorityHint')}
              error={errorOf('priority')}
              testId="provider-priority"
            />
            <TextField
              label={t('providers.form.weight')}
              type="number"
              inputMode="numeric"
              min={1}
              step={1}
              value={values.weight}
              onChange={set('weight')}
              hint={t('providers.form.weightHint')}
              error={errorOf('weight')}
              testId="provider-weight"
            />
          </div>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={values.enabled}
              onChange={(event) => setValues((previous) => ({ ...previous, enabled: event.target.checked }))}
              data-testid="provider-form-enabled"
            />
            <span>{t('providers.form.enabled')}</span>
          </label>
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="button" disabled={saving} data-testid="provider-save">
            {editing
              ? saving
                ? t('common.saving')
                : t('common.save')
              : saving
                ? t('providers.form.creating')
                : t('providers.form.create')}
          </button>
          <button type="button" className="button button-secondary" onClick={onCancel} disabled={saving} data-testid="provider-cancel">
            {t('common.cancel')}
          </button>
        </div>
      </form>
      {editing ? <ProviderKeys provider={provider} onChange={onProviderChange} /> : null}
    </div>
  );
}
