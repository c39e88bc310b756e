// The caller's own usage of the last 30 days as charts: tokens per day with the day's cost,
// and cost (or tokens, when nothing has a price) per model.

import { Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import type { UsageFigures } from '../../api/chat.ts';
import { COLORS, TimeChart, TopChart, type Point } from '../../components/charts/index.tsx';
import { daysBetween, fillDays, shortDay, top } from '../../components/charts/series.ts';

/** The last `n` UTC days up to today. */
function lastDays(n: number, now = new Date()): string[] {
  const to = now.toISOString().slice(0, 10);
  const from = new Date(now.getTime() - (n - 1) * 86_400_000).toISOString().slice(0, 10);
  return daysBetween(from, to);
}

export function UsageCharts({ byDay, byModel }: { byDay: UsageFigures[]; byModel: UsageFigures[] }) {
  const { t, i18n } = useTranslation();
  const number = (value: number) => value.toLocaleString(i18n.language);
  const money = (value: number) => value.toLocaleString(i18n.language, { maximumFractionDigits: 6 });
  const empty = (day: string): UsageFigures => ({ key: day, requests: 0, prompt_tokens: 0, completion_tokens: 0, cost: '0' });
  const points: Point[] = fillDays(lastDays(30), byDay, (r) => r.key, empty).map((r) => ({
    day: shortDay(r.key, i18n.language),
    prompt: r.prompt_tokens,
    completion: r.completion_tokens,
    cost: Number(r.cost),
  }));
  const priced = byModel.some((m) => Number(m.cost) > 0);
  const measure = priced ? (m: UsageFigures) => Number(m.cost) : (m: UsageFigures) => m.prompt_tokens + m.completion_tokens;
  return (
    <section className="card" aria-labelledby="stats-usage-charts">
      <h2 id="stats-usage-charts">{t('statsUsage.charts')}</h2>
      <div className="chart-grid" data-testid="statistics-charts">
        <Suspense fallback={<p className="muted">{t('common.loading')}</p>}>
          <TimeChart
            title={t('statsUsage.perDay')}
            testId="chart-my-days"
            data={points}
            x="day"
            format={number}
            formatRight={money}
            series={[
              { key: 'prompt', label: t('dashboard.prompt'), color: COLORS.prompt, kind: 'bar', stack: 'tokens' },
              { key: 'completion', label: t('dashboard.completion'), color: COLORS.completion, kind: 'bar', stack: 'tokens' },
              // A cost line only when something was priced (else an axis of zeros).
              ...(priced ? [{ key: 'cost', label: t('usage.cost'), color: COLORS.cost, kind: 'line' as const, right: true }] : []),
            ]}
          />
          <TopChart
            title={priced ? t('statsUsage.costByModel') : t('statsUsage.tokensByModel')}
            testId="chart-my-models"
            data={top(byModel, measure, 8).map((m) => ({ name: m.key, value: measure(m) }))}
            label="name"
            value="value"
            valueName={priced ? t('usage.cost') : t('usage.tokens')}
            color={priced ? COLORS.cost : COLORS.prompt}
            format={priced ? money : number}
          />
        </Suspense>
      </div>
    </section>
  );
}
