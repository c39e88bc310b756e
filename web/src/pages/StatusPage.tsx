// System Status: what the server is (version, database, Redis, uptime) and whether it is ready
// (each readiness check), refreshed by hand and every 10 seconds.

import { useTranslation } from 'react-i18next';
import { READINESS_CHECKS, type DatabaseBackend, type Readiness, type SystemInfo } from '../api/system.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { RefreshIcon } from '../components/icons.tsx';
import { formatDateTime, formatDuration, formatTime } from '../lib/format.ts';
import { useDocumentTitle } from '../lib/useDocumentTitle.ts';
import { useSystemStatus } from './useSystemStatus.ts';

/** How often the page reloads the status on its own. */
export const STATUS_REFRESH_MS = 10_000;

const BACKEND_LABELS: Partial<Record<string, `status.backend.${DatabaseBackend}`>> = {
  sqlite: 'status.backend.sqlite',
  postgres: 'status.backend.postgres',
};

const CHECK_VALUES = ['ok', 'error', 'pending', 'disabled'] as const;
type KnownCheckValue = (typeof CHECK_VALUES)[number];

function isKnownCheckValue(value: unknown): value is KnownCheckValue {
  return (CHECK_VALUES as readonly unknown[]).includes(value);
}

export function StatusPage() {
  const { t, i18n } = useTranslation();
  const status = useSystemStatus(STATUS_REFRESH_MS);
  useDocumentTitle(t('status.title'));

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>{t('status.title')}</h1>
          <p className="muted">{t('status.subtitle')}</p>
        </div>
        <div className="page-actions">
          <button type="button" className="button" onClick={status.refresh} data-testid="status-refresh">
            <RefreshIcon className={status.loading ? 'spin' : undefined} />
            {t('status.refresh')}
          </button>
          <p className="muted small">
            {t('status.autoRefresh', { seconds: STATUS_REFRESH_MS / 1000 })}
            {status.updatedAt && (
              <>
                <br />
                <span data-testid="status-updated">
                  {t('status.lastUpdated', { time: formatTime(status.updatedAt, i18n.language) })}
                </span>
              </>
            )}
          </p>
        </div>
      </div>

      <div className="cards">
        <section className="card" aria-labelledby="status-server-heading" aria-busy={status.loading}>
          <h2 id="status-server-heading">{t('status.systemHeading')}</h2>
          {status.infoError ? (
            <ErrorNotice error={status.infoError} testId="status-info-error" />
          ) : status.info ? (
            <ServerFacts info={status.info} />
          ) : (
            <p className="muted">{t('status.loading')}</p>
          )}
        </section>

        <section className="card" aria-labelledby="status-readiness-heading" aria-busy={status.loading}>
          <h2 id="status-readiness-heading">{t('status.readinessHeading')}</h2>
          {status.readinessError ? (
            <ErrorNotice error={status.readinessError} testId="status-ready-error" />
          ) : status.readiness ? (
            <ReadinessChecks readiness={status.readiness} />
          ) : (
            <p className="muted">{t('status.loading')}</p>
          )}
        </section>
      </div>
    </div>
  );
}

function ServerFacts({ info }: { info: SystemInfo }) {
  const { t, i18n } = useTranslation();
  const backendKey = Object.hasOwn(BACKEND_LABELS, info.database_backend)
    ? BACKEND_LABELS[info.database_backend]
    : undefined;
  const backend = backendKey ? t(backendKey) : info.database_backend;

  return (
    <dl className="facts">
      <div>
        <dt>{t('status.fields.name')}</dt>
        <dd data-testid="status-name">{info.name}</dd>
      </div>
      <div>
        <dt>{t('status.fields.version')}</dt>
        <dd data-testid="status-version">{info.version}</dd>
      </div>
      <div>
        <dt>{t('status.fields.backend')}</dt>
        <dd data-testid="status-backend">{backend}</dd>
      </div>
      <div>
        <dt>{t('status.fields.redis')}</dt>
        <dd data-testid="status-redis">
          {info.redis_configured ? t('status.redis.configured') : t('status.redis.notConfigured')}
        </dd>
      </div>
      <div>
        <dt>{t('status.fields.uptime')}</dt>
        <dd data-testid="status-uptime">{formatDuration(info.uptime_seconds, t)}</dd>
      </div>
      <div>
        <dt>{t('status.fields.startedAt')}</dt>
        <dd data-testid="status-started-at">
          <time dateTime={info.started_at}>{formatDateTime(info.started_at, i18n.language)}</time>
        </dd>
      </div>
      {info.installed_at ? (
        <div>
          <dt>{t('status.fields.installedAt')}</dt>
          <dd data-testid="status-installed-at">
            <time dateTime={info.installed_at}>{formatDateTime(info.installed_at, i18n.language)}</time>
          </dd>
        </div>
      ) : null}
    </dl>
  );
}

function ReadinessChecks({ readiness }: { readiness: Readiness }) {
  const { t } = useTranslation();
  const ready = readiness.status === 'ready';

  return (
    <>
      <p className={`readiness ${ready ? 'readiness-ok' : 'readiness-bad'}`}>
        <span className="dot" aria-hidden="true" />
        <span data-testid="status-ready">{ready ? t('status.ready') : t('status.notReady')}</span>
      </p>
      <ul className="checks">
        {READINESS_CHECKS.map((check) => {
          const value = readiness.checks[check];
          const label = isKnownCheckValue(value)
            ? t(`status.checkValue.${value}`)
            : value === undefined
              ? t('status.checkValue.missing')
              : value;
          const tone = isKnownCheckValue(value) ? value : 'missing';
          return (
            <li key={check}>
              <span>{t(`status.checks.${check}`)}</span>
              <span className={`badge badge-${tone}`} data-testid={`status-check-${check}`}>
                {label}
              </span>
            </li>
          );
        })}
      </ul>
    </>
  );
}
