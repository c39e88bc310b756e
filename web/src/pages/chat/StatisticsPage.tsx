// The user's chat statistics (`/chat/statistics`): conversations and messages in all, then the
// last 30 days — charts of tokens and cost per day and per model, replies and tokens per model in a table, and replies per day as a bar list —
// and the download of every conversation.

import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { exportAllUrl, getStatistics, type BudgetState, type ChatFigures } from '../../api/chat.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { DownloadIcon } from '../../components/icons.tsx';
import { useAsync } from '../../lib/useAsync.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { UsageCharts } from './UsageCharts.tsx';

function sum(figures: ChatFigures[], key: keyof ChatFigures): number {
  return figures.reduce((total, item) => total + (item[key] ?? 0), 0);
}

/** A `YYYY-MM-DD` day (UTC) as a short date in `language`. */
function dayLabel(day: string, language: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return new Intl.DateTimeFormat(language, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(date);
}

/** The caller's budget: what is left in the window, and when it resets. */
function BudgetCard({ budget }: { budget: BudgetState | null }) {
  const { t, i18n } = useTranslation();
  if (!budget) {
    return (
      <p className="muted" data-testid="statistics-no-budget">
        {t('statsUsage.noBudget')}
      </p>
    );
  }
  const period = t(`statsUsage.period.${budget.period}`);
  return (
    <section className="card" aria-labelledby="stats-budget" data-testid="statistics-budget">
      <h2 id="stats-budget">{t('statsUsage.budget')}</h2>
      {budget.max_cost !== null ? (
        <p data-testid="statistics-budget-cost">{t('statsUsage.budgetLeft', { remaining: budget.remaining_cost ?? '0', max: budget.max_cost, period })}</p>
      ) : null}
      {budget.max_tokens !== null ? (
        <p>{t('statsUsage.budgetTokens', { spent: budget.spent_tokens.toLocaleString(i18n.language), max: budget.max_tokens.toLocaleString(i18n.language), period })}</p>
      ) : null}
      {budget.resets_at ? (
        <p className="muted small">{t('statsUsage.resets', { when: new Date(budget.resets_at).toLocaleString(i18n.language) })}</p>
      ) : null}
    </section>
  );
}

export function StatisticsPage() {
  const { t, i18n } = useTranslation();
  useDocumentTitle(t('stats.title'));
  const stats = useAsync((signal) => getStatistics(signal), []);
  const data = stats.data;
  const number = (value: number) => value.toLocaleString(i18n.language);

  const days = data ? Object.entries(data.by_day).sort(([a], [b]) => a.localeCompare(b)) : [];
  const models = data ? Object.entries(data.by_model).sort(([, a], [, b]) => b.replies - a.replies) : [];
  const recent = days.map(([, figures]) => figures);
  const busiest = Math.max(1, ...recent.map((figures) => figures.replies));

  return (
    <div className="page" data-testid="statistics-page">
      <div className="page-header">
        <div>
          <h1>{t('stats.title')}</h1>
          <p className="muted">{t('stats.subtitle')}</p>
        </div>
        <div className="toolbar-actions">
          <Link to="/chat" className="button button-secondary">
            {t('personas.backToChat')}
          </Link>
          <a className="button" href={exportAllUrl()} download data-testid="statistics-export-all">
            <DownloadIcon />
            {t('stats.exportAll')}
          </a>
        </div>
      </div>

      {stats.error !== null && !data ? (
        <ErrorNotice error={stats.error} testId="statistics-error" />
      ) : !data ? (
        <p className="muted" role="status">
          {t('common.loading')}
        </p>
      ) : (
        <div className="stack">
          <dl className="stat-cards" data-testid="statistics-totals">
            <div className="card stat-card">
              <dt>{t('stats.sessions')}</dt>
              <dd data-testid="statistics-sessions">{number(data.sessions)}</dd>
            </div>
            <div className="card stat-card">
              <dt>{t('stats.messages')}</dt>
              <dd data-testid="statistics-messages">{number(data.messages)}</dd>
            </div>
            <div className="card stat-card">
              <dt>{t('stats.replies30')}</dt>
              <dd data-testid="statistics-replies">{number(sum(recent, 'replies'))}</dd>
            </div>
            <div className="card stat-card">
              <dt>{t('stats.tokens30')}</dt>
              <dd data-testid="statistics-tokens">{number(sum(recent, 'prompt_tokens') + sum(recent, 'completion_tokens'))}</dd>
            </div>
            <div className="card stat-card">
              <dt>{t('statsUsage.cost30')}</dt>
              <dd data-testid="statistics-cost">{data.usage.by_model.reduce((total, m) => total + Number(m.cost), 0).toFixed(6)}</dd>
            </div>
          </dl>

          <BudgetCard budget={data.budget} />

          <UsageCharts byDay={data.usage.by_day} byModel={data.usage.by_model} />

          {data.usage.by_model.length > 0 ? (
            <section className="card" aria-labelledby="stats-cost">
              <h2 id="stats-cost">{t('statsUsage.costByModel')}</h2>
              <ul className="day-bars cost-list" data-testid="statistics-cost-models">
                {data.usage.by_model.map((m) => (
                  <li key={m.key} className="day-bar" data-testid="statistics-cost-model" data-model={m.key}>
                    <code className="day-bar-label">{m.key}</code>
                    <span className="day-bar-value">{m.cost}</span>
                  </li>
                ))}
              </ul>
            </section>
          ) : null}

          <section className="card" aria-labelledby="stats-models">
            <h2 id="stats-models">{t('stats.byModel')}</h2>
            {models.length === 0 ? (
              <p className="muted" data-testid="statistics-empty">
                {t('stats.none')}
              </p>
            ) : (
              <div className="table-wrap">
                <table className="table table-stack" data-testid="statistics-models">
                  <thead>
                    <tr>
                      <th scope="col">{t('stats.model')}</th>
                      <th scope="col">{t('stats.replies')}</th>
                      <th scope="col">{t('stats.promptTokens')}</th>
                      <th scope="col">{t('stats.completionTokens')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {models.map(([model, figures]) => (
                      <tr key={model} data-testid="statistics-model-row" data-model={model}>
                        <td data-label={t('stats.model')}>
                          <code>{model}</code>
                        </td>
                        <td data-label={t('stats.replies')}>{number(figures.replies)}</td>
                        <td data-label={t('stats.promptTokens')}>{number(figures.prompt_tokens)}</td>
                        <td data-label={t('stats.completionTokens')}>{number(figures.completion_tokens)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <section className="card" aria-labelledby="stats-days">
            <h2 id="stats-days">{t('stats.byDay')}</h2>
            {days.length === 0 ? (
              <p className="muted">{t('stats.none')}</p>
            ) : (
              <ol className="day-bars" data-testid="statistics-days">
                {days.map(([day, figures]) => (
                  <li key={day} className="day-bar" data-testid="statistics-day" data-day={day}>
                    <time className="day-bar-label" dateTime={day}>
                      {dayLabel(day, i18n.language)}
                    </time>
                    <span className="day-bar-track" aria-hidden="true">
                      <span className="day-bar-fill" style={{ width: `${Math.round((figures.replies / busiest) * 100)}%` }} />
                    </span>
                    <span className="day-bar-value">
                      {t('stats.dayValue', {
                        count: figures.replies,
                        replies: number(figures.replies),
                        tokens: number(figures.prompt_tokens + figures.completion_tokens),
                      })}
                    </span>
                  </li>
                ))}
              </ol>
            )}
          </section>
        </div>
      )}
    </div>
  );
}
