// Admin dashboard of the last 30 days: requests and errors, tokens, cost and mean latency per
// day, and the five largest users, models, providers and keys (by cost, or by requests when
// nothing has a price). Five grouped reads of the daily sums, made together.

import { Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { getUsageStatistics, type GroupBy, type UsageRow, type UsageStatistics } from '../../api/usage.ts';
import { COLORS, TimeChart, TopChart, type Point } from '../../components/charts/index.tsx';
import { daysBetween, fillDays, shortDay, top } from '../../components/charts/series.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { useAsync } from '../../lib/useAsync.ts';

const RANKED: Exclude<GroupBy, 'day'>[] = ['user', 'model', 'provider', 'key'];

interface Dashboard {
  days: UsageStatistics;
  ranked: Record<(typeof RANKED)[number], UsageRow[]>;
}

async function load(signal: AbortSignal): Promise<Dashboard> {
  const [days, user, model, provider, key] = await Promise.all(
    (['day', ...RANKED] as GroupBy[]).map((g) => getUsageStatistics(g, signal)),
  );
  return { days, ranked: { user: user.rows, model: model.rows, provider: provider.rows, key: key.rows } };
}

function empty(day: string): UsageRow {
  return { key: day, label: null, requests: 0, errors: 0, prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, cost: '0', avg_latency_ms: 0 };
}

export function UsageDashboard() {
  const { t, i18n } = useTranslation();
  const data = useAsync(load, []);
  const number = (value: number) => value.toLocaleString(i18n.language);
  const money = (value: number) => value.toLocaleString(i18n.language, { maximumFractionDigits: 6 });
  if (data.error !== null) return <ErrorNotice error={data.error} testId="dashboard-error" />;
  if (!data.data) return <p className="muted">{t('common.loading')}</p>;
  const { days, ranked } = data.data;
  const rows = fillDays(daysBetween(days.from, days.to), days.rows, (r) => r.key, empty);
  const points: Point[] = rows.map((r) => ({
    day: shortDay(r.key, i18n.language),
    requests: r.requests,
    errors: r.errors,
    prompt: r.prompt_tokens,
    completion: r.completion_tokens,
    cost: Number(r.cost),
    latency: r.avg_latency_ms,
  }));
  const priced = RANKED.some((g) => ranked[g].some((r) => Number(r.cost) > 0));
  const measure = priced ? (r: UsageRow) => Number(r.cost) : (r: UsageRow) => r.requests;
  return (
    <div className="chart-grid" data-testid="usage-dashboard">
      <Suspense fallback={<p className="muted">{t('common.loading')}</p>}>
        <TimeChart
          title={t('dashboard.requests')}
          testId="chart-requests"
          data={points}
          x="day"
          format={number}
          series={[
            { key: 'requests', label: t('usage.requests'), color: COLORS.requests, kind: 'bar' },
            { key: 'errors', label: t('usage.errors'), color: COLORS.errors, kind: 'bar' },
          ]}
        />
        <TimeChart
          title={t('dashboard.tokens')}
          testId="chart-tokens"
          data={points}
          x="day"
          format={number}
          series={[
            { key: 'prompt', label: t('dashboard.prompt'), color: COLORS.prompt, kind: 'bar', stack: 'tokens' },
            { key: 'completion', label: t('dashboard.completion'), color: COLORS.completion, kind: 'bar', stack: 'tokens' },
          ]}
        />
        <TimeChart
          title={t('dashboard.costLatency')}
          testId="chart-cost"
          data={points}
          x="day"
          format={money}
          formatRight={(ms) => t('usage.ms', { ms: number(ms) })}
          series={[
            { key: 'cost', label: t('usage.cost'), color: COLORS.cost, kind: 'bar' },
            { key: 'latency', label: t('usage.latency'), color: COLORS.latency, kind: 'line', right: true },
          ]}
        />
        {RANKED.map((group) => (
          <TopChart
            key={group}
            title={t(`dashboard.top.${group}`)}
            testId={`chart-top-${group}`}
            data={top(ranked[group], measure, 5).map((r) => ({ name: r.label || r.key || t(`dashboard.unattributed.${group}`), value: measure(r) }))}
            label="name"
            value="value"
            valueName={priced ? t('usage.cost') : t('usage.requests')}
            color={priced ? COLORS.cost : COLORS.requests}
            format={priced ? money : number}
          />
        ))}
      </Suspense>
    </div>
  );
}
