// The limits of a role, a user or an API key: a budget per day, month or in total (cost and/or
// tokens) and requests and tokens per minute. Empty fields set no limit; the server's field
// errors show on their fields.

import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { getLimits, putLimits, type LimitTarget, type Limits } from '../api/usage.ts';
import { FormAlert, Notice, SelectField, TextField, fieldErrorsOf } from './forms.tsx';

interface Values {
  period: Limits['period'];
  max_cost: string;
  max_tokens: string;
  rpm: string;
  tpm: string;
}

const EMPTY: Values = { period: 'day', max_cost: '', max_tokens: '', rpm: '', tpm: '' };

function valuesOf(limits: Limits | null): Values {
  if (!limits) return EMPTY;
  const text = (n: number | null) => (n === null ? '' : String(n));
  return { period: limits.period, max_cost: limits.max_cost ?? '', max_tokens: text(limits.max_tokens), rpm: text(limits.rpm), tpm: text(limits.tpm) };
}

function count(text: string): number | null {
  return text.trim() === '' ? null : Number(text);
}

export function LimitsForm({ target, testId }: { target: LimitTarget; testId: string }) {
  const { t } = useTranslation();
  const [values, setValues] = useState<Values | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const key = JSON.stringify(target);

  useEffect(() => {
    const controller = new AbortController();
    setValues(null);
    getLimits(target, controller.signal)
      .then((limits) => setValues(valuesOf(limits)))
      .catch((reason: unknown) => {
        if (!controller.signal.aborted) {
          setError(reason);
          setValues(EMPTY);
        }
      });
    return () => controller.abort();
    // The target is compared by value (`key`), not by identity.
  }, [key]);

  if (!values) {
    return (
      <p className="muted" role="status">
        {t('common.loading')}
      </p>
    );
  }

  const set = (change: Partial<Values>) => {
    setSaved(false);
    setValues({ ...values, ...change });
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setSaved(false);
    try {
      const stored = await putLimits(target, {
        period: values.period,
        max_cost: values.max_cost.trim() || null,
        max_tokens: count(values.max_tokens),
        rpm: count(values.rpm),
        tpm: count(values.tpm),
      });
      setValues(valuesOf(stored));
      setSaved(true);
    } catch (reason) {
      setError(reason);
    }
  };

  const fields = fieldErrorsOf(error);
  const fieldError = Boolean(fields.period || fields.max_cost || fields.max_tokens || fields.rpm || fields.tpm);
  return (
    <form className="form" onSubmit={(event) => void save(event)} noValidate data-testid={testId}>
      {error !== null && !fieldError ? <FormAlert error={error} testId={`${testId}-error`} /> : null}
      <SelectField label={t('limits.period')} value={values.period} onChange={(e) => set({ period: e.target.value as Limits['period'] })} error={fields.period} testId={`${testId}-period`}>
        <option value="day">{t('limits.periods.day')}</option>
        <option value="month">{t('limits.periods.month')}</option>
        <option value="total">{t('limits.periods.total')}</option>
      </SelectField>
      <TextField label={t('limits.maxCost')} inputMode="decimal" value={values.max_cost} onChange={(e) => set({ max_cost: e.target.value })} error={fields.max_cost} hint={t('limits.emptyHint')} testId={`${testId}-max-cost`} />
      <TextField label={t('limits.maxTokens')} type="number" min={1} value={values.max_tokens} onChange={(e) => set({ max_tokens: e.target.value })} error={fields.max_tokens} testId={`${testId}-max-tokens`} />
      <TextField label={t('limits.rpm')} type="number" min={1} value={values.rpm} onChange={(e) => set({ rpm: e.target.value })} error={fields.rpm} testId={`${testId}-rpm`} />
      <TextField label={t('limits.tpm')} type="number" min={1} value={values.tpm} onChange={(e) => set({ tpm: e.target.value })} error={fields.tpm} testId={`${testId}-tpm`} />
      <div className="form-actions">
        <button type="submit" className="button" data-testid={`${testId}-save`}>
          {t('limits.save')}
        </button>
        {saved ? <Notice testId={`${testId}-saved`}>{t('limits.saved')}</Notice> : null}
      </div>
    </form>
  );
}
