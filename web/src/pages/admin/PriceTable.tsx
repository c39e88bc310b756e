// Admin: the price table — every model's rates per million tokens (input, output, cached input)
// as the server stores them (decimal strings, never floats), a form to set a model's price
// (the server's field errors show on their fields) and removal (that model then costs 0).

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { deletePrice, listPrices, putPrice } from '../../api/usage.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { FormAlert, TextField, fieldErrorsOf } from '../../components/forms.tsx';
import { useAsync } from '../../lib/useAsync.ts';

interface Draft {
  model: string;
  input: string;
  output: string;
  cached: string;
}

const EMPTY: Draft = { model: '', input: '', output: '', cached: '' };

export function PriceTable() {
  const { t } = useTranslation();
  const [version, setVersion] = useState(0);
  const prices = useAsync((signal) => listPrices(signal), [version]);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      await putPrice(draft.model.trim(), {
        input_per_mtok: draft.input,
        output_per_mtok: draft.output,
        cached_input_per_mtok: draft.cached.trim() ? draft.cached : null,
      });
      setDraft(EMPTY);
      setVersion((v) => v + 1);
    } catch (reason) {
      setError(reason);
    } finally {
      setSaving(false);
    }
  };

  const remove = async (model: string) => {
    setError(null);
    try {
      await deletePrice(model);
      setVersion((v) => v + 1);
    } catch (reason) {
      setError(reason);
    }
  };

  const fields = fieldErrorsOf(error);
  const fieldError = Boolean(fields.model || fields.input_per_mtok || fields.output_per_mtok || fields.cached_input_per_mtok);

  return (
    <section className="card" aria-labelledby="prices-heading" data-testid="price-table">
      <h2 id="prices-heading">{t('prices.heading')}</h2>
      <p className="muted small section-intro">{t('prices.intro')}</p>
      {prices.error !== null ? <ErrorNotice error={prices.error} testId="prices-error" /> : null}
      {prices.data ? (
        <div className="table-wrap">
          <table className="table table-stack">
            <thead>
              <tr>
                <th scope="col">{t('prices.model')}</th>
                <th scope="col">{t('prices.input')}</th>
                <th scope="col">{t('prices.output')}</th>
                <th scope="col">{t('prices.cached')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('prices.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {prices.data.map((p) => (
                <tr key={p.model} data-testid="price-row" data-model={p.model}>
                  <td data-label={t('prices.model')}>
                    <code>{p.model}</code>
                  </td>
                  <td data-label={t('prices.input')}>{`${p.input_per_mtok} ${p.currency}`}</td>
                  <td data-label={t('prices.output')}>{`${p.output_per_mtok} ${p.currency}`}</td>
                  <td data-label={t('prices.cached')}>{p.cached_input_per_mtok ? `${p.cached_input_per_mtok} ${p.currency}` : t('prices.asInput')}</td>
                  <td>
                    <button type="button" className="button button-secondary button-small" onClick={() => setDraft({ model: p.model, input: p.input_per_mtok, output: p.output_per_mtok, cached: p.cached_input_per_mtok ?? '' })}>
                      {t('prices.edit')}
                    </button>
                    <button type="button" className="button button-danger button-small" onClick={() => void remove(p.model)} data-testid="price-delete">
                      {t('prices.delete')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <form className="form" onSubmit={(event) => void save(event)} noValidate>
        <h3>{t('prices.set')}</h3>
        {error !== null && !fieldError ? <FormAlert error={error} testId="price-save-error" /> : null}
        <TextField label={t('prices.model')} value={draft.model} onChange={(e) => setDraft({ ...draft, model: e.target.value })} error={fields.model} testId="price-model" required />
        <TextField label={t('prices.inputLong')} value={draft.input} inputMode="decimal" onChange={(e) => setDraft({ ...draft, input: e.target.value })} error={fields.input_per_mtok} testId="price-input" required />
        <TextField label={t('prices.outputLong')} value={draft.output} inputMode="decimal" onChange={(e) => setDraft({ ...draft, output: e.target.value })} error={fields.output_per_mtok} testId="price-output" required />
        <TextField label={t('prices.cachedLong')} value={draft.cached} inputMode="decimal" onChange={(e) => setDraft({ ...draft, cached: e.target.value })} error={fields.cached_input_per_mtok} hint={t('prices.cachedHint')} testId="price-cached" />
        <div className="form-actions">
          <button type="submit" className="button" disabled={saving} data-testid="price-save">
            {t('prices.save')}
          </button>
        </div>
      </form>
    </section>
  );
}
