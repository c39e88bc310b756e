// Deployments → the list: status, port, GPU, restarts and the last error of each, refreshed
// every two seconds; start, stop, restart, delete (confirmed), a log viewer that follows the
// output while it is open, and "Try it": a new chat with the running deployment's model picked.

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { actOnDeployment, deleteDeployment, deploymentLogs, type Deployment } from '../../../api/deployments.ts';
import type { LocalModel } from '../../../api/models.ts';
import { FormAlert } from '../../../components/forms.tsx';

/** A new chat with `model` picked (the chat page reads `?model=`). */
export function chatWith(model: string): string {
  return `/chat?${new URLSearchParams({ model }).toString()}`;
}

const BADGE: Record<string, string> = { running: 'badge-ok', failed: 'badge-error', unhealthy: 'badge-error', starting: 'badge-pending' };

function Logs({ id }: { id: string }) {
  const { t } = useTranslation();
  const [lines, setLines] = useState<string[] | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    const load = () => void deploymentLogs(id, 200, controller.signal).then(setLines, () => undefined);
    load();
    const timer = window.setInterval(load, 2000);
    return () => {
      controller.abort();
      window.clearInterval(timer);
    };
  }, [id]);
  return (
    <pre className="log-viewer" data-testid="deployment-logs" aria-label={t('deployments.logs')}>
      {lines === null ? t('common.loading') : lines.join('\n')}
    </pre>
  );
}

export function DeploymentList({ deployments, models, onChanged }: { deployments: Deployment[]; models: LocalModel[]; onChanged: () => void }) {
  const { t } = useTranslation();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const modelName = (id: string) => models.find((m) => m.id === id)?.name ?? id;

  const act = async (d: Deployment, work: () => Promise<unknown>) => {
    setBusy(d.id);
    setError(null);
    try {
      await work();
      onChanged();
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card" aria-labelledby="deployments-heading" data-testid="deployment-list">
      <h2 id="deployments-heading">{t('deployments.listHeading')}</h2>
      {error !== null ? <FormAlert error={error} testId="deployment-error" /> : null}
      {deployments.length === 0 ? <p className="muted">{t('deployments.none')}</p> : null}
      <ul className="list">
        {deployments.map((d) => (
          <li key={d.id} className="list-row list-row-stack" data-testid="deployment-row" data-name={d.name}>
            <div>
              <strong>{d.name}</strong>{' '}
              <span className={`badge ${BADGE[d.status] ?? ''}`} data-testid="deployment-status">
                {t(`deployments.status.${d.status}`, { defaultValue: d.status })}
              </span>
              <div className="muted small">
                {modelName(d.model_id)} · {t(`deployments.${d.backend}`, { defaultValue: d.backend })}
                {d.port !== null ? ` · ${t('deployments.port', { port: d.port })}` : ''}
                {d.gpu !== null && d.gpu !== undefined ? ` · ${t('deployments.onGpu', { index: d.gpu })}` : ''}
                {d.restarts > 0 ? ` · ${t('deployments.restarts', { count: d.restarts })}` : ''}
              </div>
              {d.last_error ? <div className="field-error small" data-testid="deployment-last-error">{d.last_error}</div> : null}
              {(d.replicas ?? []).map((r) => (
                <div key={r.id} className="muted small" data-testid="deployment-replica" data-name={r.name}>
                  {r.name}{' '}
                  <span className={`badge ${BADGE[r.status] ?? ''}`}>{t(`deployments.status.${r.status}`, { defaultValue: r.status })}</span>
                  {r.port !== null ? ` · ${t('deployments.port', { port: r.port })}` : ''}
                  {r.restarts > 0 ? ` · ${t('deployments.restarts', { count: r.restarts })}` : ''}
                  {r.last_error ? <span className="field-error"> · {r.last_error}</span> : null}
                </div>
              ))}
            </div>
            <div className="row-actions">
              {d.status === 'running' ? (
                <Link to={chatWith(d.name)} className="button button-small" aria-label={t('deployments.tryLabel', { name: d.name })} data-testid={`deployment-try-${d.name}`}>
                  {t('deployments.try')}
                </Link>
              ) : null}
              {d.should_run ? (
                <button type="button" className="button button-secondary button-small" disabled={busy === d.id} onClick={() => void act(d, () => actOnDeployment(d.id, 'stop'))} data-testid="deployment-stop">
                  {t('deployments.stop')}
                </button>
              ) : (
                <button type="button" className="button button-small" disabled={busy === d.id} onClick={() => void act(d, () => actOnDeployment(d.id, 'start'))} data-testid="deployment-start">
                  {t('deployments.start')}
                </button>
              )}
              <button type="button" className="button button-secondary button-small" disabled={busy === d.id} onClick={() => void act(d, () => actOnDeployment(d.id, 'restart'))} data-testid="deployment-restart">
                {t('deployments.restart')}
              </button>
              <button type="button" className="button button-secondary button-small" aria-expanded={open === d.id} onClick={() => setOpen(open === d.id ? null : d.id)} data-testid="deployment-logs-toggle">
                {t('deployments.logs')}
              </button>
              <button
                type="button"
                className="button button-danger button-small"
                disabled={busy === d.id}
                onClick={() => {
                  if (window.confirm(t('deployments.confirmDelete', { name: d.name }))) void act(d, () => deleteDeployment(d.id));
                }}
                data-testid="deployment-delete"
              >
                {t('deployments.delete')}
              </button>
            </div>
            {open === d.id ? <Logs id={d.id} /> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
