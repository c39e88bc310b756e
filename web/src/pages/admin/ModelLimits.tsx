// Admin: requests and tokens per minute per model — a limit every caller of the model shares
// (the provider's own quota, split fairly) — listed, set and removed; the server's field errors
// show on their fields.

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { deleteModelLimits, listModelLimits, putModelLimits } from '../../api/usage.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { FormAlert, TextField, fieldErrorsOf } from '../../components/forms.tsx';
import { useAsync } from '../../lib/useAsync.ts';

interface Draft {
  model: string;
  rpm: string;
  tpm: string;
}

const EMPTY: Draft = { model: '', rpm: '', tpm: '' };
const count = (text: string) => (text.trim() === '' ? null : Number(text));

export function ModelLimits() {
  const { t, i18n } = useTranslation();
  const [version, setVersion] = useState(0);
  const list = useAsync((signal) => listModelLimits(signal), [version]);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const shown = (n: number | null) => (n === null ? t('modelLimits.none') : n.toLocaleString(i18n.language));

  const run = async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
      setVersion((v) => v + 1);
      return true;
    } catch (reason) {
      setError(reason);
      return false;
    }
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    if (await run(() => putModelLimits(draft.model.trim(), { rpm: count(draft.rpm), tpm: count(draft.tpm) }))) setDraft(EMPTY);
    setSaving(false);
  };

  const fields = fieldErrorsOf(error);
  const placed = Boolean(fields.model || fields.rpm || fields.tpm);
  return (
    <section className="card" aria-labelledby="model-limits-heading" data-testid="model-limits">
      <h2 id="model-limits-heading">{t('modelLimits.heading')}</h2>
      <p className="muted small section-intro">{t('modelLimits.intro')}</p>
      {list.error !== null ? <ErrorNotice error={list.error} testId="model-limits-error" /> : null}
      {list.data && list.data.length > 0 ? (
        <div className="table-wrap">
          <table className="table table-stack">
            <thead>
              <tr>
                <th scope="col">{t('prices.model')}</th>
                <th scope="col">{t('limits.rpm')}</th>
                <th scope="col">{t('limits.tpm')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('prices.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((l) => (
                <tr key={l.subject} data-testid="model-limit-row" data-model={l.subject}>
                  <td data-label={t('prices.model')}>
                    <code>{l.subject}</code>
                  </td>
                  <td data-label={t('limits.rpm')}>{shown(l.rpm)}</td>
                  <td data-label={t('limits.tpm')}>{shown(l.tpm)}</td>
                  <td>
                    <button type="button" className="button button-secondary button-small" onClick={() => setDraft({ model: l.subject, rpm: l.rpm?.toString() ?? '', tpm: l.tpm?.toString() ?? '' })}>
                      {t('prices.edit')}
                    </button>
                    <button type="button" className="button button-danger button-small" onClick={() => void run(() => deleteModelLimits(l.subject))} data-testid="model-limit-delete">
                      {t('prices.delete')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : list.data ? (
        <p className="muted" data-testid="model-limits-empty">
          {t('modelLimits.empty')}
        </p>
      ) : null}
      <form className="form" onSubmit={(event) => void save(event)} noValidate>
        {error !== null && !placed ? <FormAlert error={error} testId="model-limit-save-error" /> : null}
        <TextField label={t('prices.model')} value={draft.model} onChange={(e) => setDraft({ ...draft, model: e.target.value })} error={fields.model} testId="model-limit-model" required />
        <div className="form-grid">
          <TextField label={t('limits.rpm')} value={draft.rpm} inputMode="numeric" onChange={(e) => setDraft({ ...draft, rpm: e.target.value })} error={fields.rpm} testId="model-limit-rpm" />
          <TextField label={t('limits.tpm')} value={draft.tpm} inputMode="numeric" onChange={(e) => setDraft({ ...draft, tpm: e.target.value })} error={fields.tpm} testId="model-limit-tpm" />
        </div>
        <div className="form-actions">
          <button type="submit" className="button" disabled={saving || !draft.model.trim()} data-testid="model-limit-save">
            {t('modelLimits.save')}
          </button>
        </div>
      </form>
    </section>
  );
}
