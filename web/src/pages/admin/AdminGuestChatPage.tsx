// Admin: guest chat — whether visitors without an account may chat, with which model (served by
// a shared provider), how many replies one address gets an hour and how long a message may be.
// The server's field errors (422) show on their fields.

import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { getGuestChatSettings, putGuestChatSettings, type GuestChatSettings } from '../../api/admin.ts';
import { listChatModels } from '../../api/chat.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { FormAlert, Notice, SelectField, TextField, fieldErrorsOf } from '../../components/forms.tsx';
import { useAsync } from '../../lib/useAsync.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';

interface Values {
  enabled: boolean;
  model: string;
  requests_per_hour: string;
  max_message_chars: string;
}

function valuesOf(settings: GuestChatSettings): Values {
  return {
    enabled: settings.enabled,
    model: settings.model ?? '',
    requests_per_hour: String(settings.requests_per_hour),
    max_message_chars: String(settings.max_message_chars),
  };
}

export function AdminGuestChatPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('adminGuest.title'));
  const loaded = useAsync((signal) => getGuestChatSettings(signal), []);
  const models = useAsync((signal) => listChatModels(signal), []);
  const [values, setValues] = useState<Values | null>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (loaded.data) setValues(valuesOf(loaded.data));
  }, [loaded.data]);

  if (loaded.error !== null && !values) return <ErrorNotice error={loaded.error} testId="guest-settings-load-error" />;
  if (!values) {
    return (
      <p className="muted" role="status">
        {t('common.loading')}
      </p>
    );
  }

  const set = (change: Partial<Values>) => {
    setSaved(false);
    setValues((previous) => (previous ? { ...previous, ...change } : previous));
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setSaved(false);
    setError(null);
    try {
      const stored = await putGuestChatSettings({
        enabled: values.enabled,
        model: values.model.trim() || null,
        requests_per_hour: Number(values.requests_per_hour),
        max_message_chars: Number(values.max_message_chars),
      });
      setValues(valuesOf(stored));
      setSaved(true);
    } catch (reason) {
      setError(reason);
    } finally {
      setSaving(false);
    }
  };

  const fields = fieldErrorsOf(error);
  const fieldError = Boolean(fields.model || fields.requests_per_hour || fields.max_message_chars || fields.enabled);
  // A model the list does not have (any more) is still shown, so the picker tells the truth.
  const modelIds = models.data?.map((item) => item.id) ?? [];
  if (values.model && !modelIds.includes(values.model)) modelIds.push(values.model);

  return (
    <section className="card" aria-labelledby="guest-settings-heading" data-testid="admin-guest-chat">
      <h2 id="guest-settings-heading">{t('adminGuest.heading')}</h2>
      <p className="muted small section-intro">{t('adminGuest.intro')}</p>
      <form className="form" onSubmit={(event) => void save(event)} noValidate>
        {error !== null && !fieldError ? <FormAlert error={error} testId="guest-settings-error" /> : null}
        <label className="checkbox">
          <input type="checkbox" checked={values.enabled} onChange={(event) => set({ enabled: event.target.checked })} data-testid="guest-enabled" />
          <span>{t('adminGuest.enabled')}</span>
        </label>
        {fields.enabled ? <p className="field-error">{fields.enabled}</p> : null}
        <SelectField
          label={t('adminGuest.model')}
          value={values.model}
          onChange={(event) => set({ model: event.target.value })}
          hint={t('adminGuest.modelHint')}
          error={fields.model}
          testId="guest-model"
        >
          <option value="">{t('adminGuest.noModel')}</option>
          {modelIds.map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </SelectField>
        {models.error !== null ? <FormAlert error={models.error} testId="guest-models-error" /> : null}
        <TextField
          label={t('adminGuest.requestsPerHour')}
          type="number"
          inputMode="numeric"
          min={1}
          max={10_000}
          step={1}
          value={values.requests_per_hour}
          onChange={(event) => set({ requests_per_hour: event.target.value })}
          hint={t('adminGuest.requestsPerHourHint')}
          error={fields.requests_per_hour}
          testId="guest-requests"
        />
        <TextField
          label={t('adminGuest.maxChars')}
          type="number"
          inputMode="numeric"
          min={1}
          max={20_000}
          step={1}
          value={values.max_message_chars}
          onChange={(event) => set({ max_message_chars: event.target.value })}
          hint={t('adminGuest.maxCharsHint')}
          error={fields.max_message_chars}
          testId="guest-max-chars"
        />
        <div className="form-actions">
          <button type="submit" className="button" disabled={saving} data-testid="guest-save">
            {saving ? t('common.saving') : t('common.save')}
          </button>
        </div>
        {saved ? (
          <Notice testId="guest-saved">
            <p className="notice-body">{values.enabled ? t('adminGuest.savedOn') : t('adminGuest.savedOff')}</p>
          </Notice>
        ) : null}
      </form>
    </section>
  );
}
