// Admin: the dashboard's charts, then usage of the last 30 days grouped by day, model, user, provider or key — requests,
// errors, tokens, cost and latency per group with a bar of each group's share of the cost (or
// of the requests when nothing has a price) — the CSV download, the default limits of users and
// the rate limits per model and the price table.

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { getUsageStatistics, usageCsvUrl, type GroupBy, type UsageRow } from '../../api/usage.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { DownloadIcon } from '../../components/icons.tsx';
import { SelectField } from '../../components/forms.tsx';
import { useAsync } from '../../lib/useAsync.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { LimitsForm } from '../../components/LimitsForm.tsx';
import { ModelLimits } from './ModelLimits.tsx';
import { PriceTable } from './PriceTable.tsx';
import { UsageDashboard } from './UsageDashboard.tsx';

const GROUPS: GroupBy[] = ['day', 'model', 'user', 'provider', 'key'];

function share(rows: UsageRow[]): (row: UsageRow) => number {
  const costs = rows.map((r) => Number(r.cost));
  const byCost = costs.some((c) => c > 0);
  const top = Math.max(...(byCost ? costs : rows.map((r) => r.requests)), 0) || 1;
  return (row) => Math.round(((byCost ? Number(row.cost) : row.requests) / top) * 100);
}

export function AdminUsagePage() {
  const { t, i18n } = useTranslation();
  useDocumentTitle(t('usage.title'));
  const [group, setGroup] = useState<GroupBy>('day');
  const [role, setRole] = useState<'user' | 'admin'>('user');
  const stats = useAsync((signal) => getUsageStatistics(group, signal), [group]);
  const number = (value: number) => value.toLocaleString(i18n.language);
  const rows = stats.data?.rows ?? [];
  const width = share(rows);
  const totalCost = rows.reduce((sum, r) => sum + Number(r.cost), 0);

  return (
    <div className="stack" data-testid="admin-usage">
      <section className="card" aria-labelledby="dashboard-heading">
        <h2 id="dashboard-heading">{t('dashboard.heading')}</h2>
        <UsageDashboard />
      </section>
      <section className="card" aria-labelledby="usage-heading">
        <div className="page-header">
          <div>
            <h2 id="usage-heading">{t('usage.heading')}</h2>
            <p className="muted small">
              {stats.data ? t('usage.range', { from: stats.data.from, to: stats.data.to }) : t('common.loading')}
            </p>
          </div>
          <div className="toolbar-actions">
            <SelectField label={t('usage.groupBy')} value={group} onChange={(event) => setGroup(event.target.value as GroupBy)} testId="usage-group">
              {GROUPS.map((g) => (
                <option key={g} value={g}>
                  {t(`usage.group.${g}`)}
                </option>
              ))}
            </SelectField>
            <a className="button button-secondary" href={usageCsvUrl(group)} download data-testid="usage-csv">
              <DownloadIcon />
              {t('usage.csv')}
            </a>
          </div>
        </div>
        {stats.error !== null ? <ErrorNotice error={stats.error} testId="usage-error" /> : null}
        {stats.data && rows.length === 0 ? (
          <p className="muted" data-testid="usage-empty">
            {t('usage.none')}
          </p>
        ) : null}
        {rows.length > 0 ? (
          <>
            <p data-testid="usage-total-cost">{t('usage.totalCost', { cost: totalCost.toFixed(6) })}</p>
            <div className="table-wrap">
              <table className="table table-stack" data-testid="usage-table">
                <thead>
                  <tr>
                    <th scope="col">{t(`usage.group.${group}`)}</th>
                    <th scope="col">{t('usage.requests')}</th>
                    <th scope="col">{t('usage.errors')}</th>
                    <th scope="col">{t('usage.tokens')}</th>
                    <th scope="col">{t('usage.cost')}</th>
                    <th scope="col">{t('usage.latency')}</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((row) => (
                    <tr key={row.key} data-testid="usage-row" data-key={row.key}>
                      <td data-label={t(`usage.group.${group}`)}>
                        <span>{row.label ?? row.key}</span>
                        <span className="day-bar-track usage-bar" aria-hidden="true">
                          <span className="day-bar-fill" style={{ width: `${width(row)}%` }} />
                        </span>
                      </td>
                      <td data-label={t('usage.requests')}>{number(row.requests)}</td>
                      <td data-label={t('usage.errors')}>{number(row.errors)}</td>
                      <td data-label={t('usage.tokens')}>{number(row.prompt_tokens + row.completion_tokens)}</td>
                      <td data-label={t('usage.cost')}>{row.cost}</td>
                      <td data-label={t('usage.latency')}>{t('usage.ms', { ms: number(row.avg_latency_ms) })}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        ) : null}
      </section>
      <section className="card" aria-labelledby="role-limits-heading">
        <h2 id="role-limits-heading">{t('limits.roleHeading')}</h2>
        <p className="muted small section-intro">{t('limits.roleIntro')}</p>
        <SelectField label={t('limits.role')} value={role} onChange={(event) => setRole(event.target.value as 'user' | 'admin')} testId="role-limits-role">
          <option value="user">{t('roles.user')}</option>
          <option value="admin">{t('roles.admin')}</option>
        </SelectField>
        <LimitsForm target={{ kind: 'role', role }} testId="role-limits" />
      </section>
      <ModelLimits />
      <PriceTable />
    </div>
  );
}
