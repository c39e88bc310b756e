// Models → on this server: the local registry with format, size, architecture, parameters,
// quantisation and context length (an unreadable file is marked invalid with the reason),
// delete, "Deploy" (the deploy form with the model picked, for those who may deploy), a rescan of
// MODELS_DIR, and a GGUF file registered in place from an allowed directory.

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { mayManage } from '../../../api/auth.ts';
import { useAuth } from '../../../auth/context.ts';
import { deleteLocalModel, formatBytes, importModel, listLocalModels, rescanModels } from '../../../api/models.ts';
import { ErrorNotice } from '../../../components/ErrorNotice.tsx';
import { FormAlert, TextField } from '../../../components/forms.tsx';
import { useAsync } from '../../../lib/useAsync.ts';

function params(n: number | null): string {
  if (n === null) return '';
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(0)} M`;
  return String(n);
}

export function LocalModels({ refresh }: { refresh: number }) {
  const { t } = useTranslation();
  const models = useAsync((signal) => listLocalModels(signal), [refresh]);
  const { user } = useAuth();
  const mayDeploy = mayManage(user, 'deployments');
  const [error, setError] = useState<unknown>(null);
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);

  const act = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      models.reload();
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  };

  const register = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
      await importModel(path.trim());
      setPath('');
    });
  };

  const remove = async (id: string, name: string) => {
    if (!window.confirm(t('models.confirmDelete', { name }))) return;
    setError(null);
    try {
      await deleteLocalModel(id);
      models.reload();
    } catch (reason) {
      setError(reason);
    }
  };

  return (
    <section className="card" aria-labelledby="local-models-heading" data-testid="local-models">
      <h2 id="local-models-heading">{t('models.localHeading')}</h2>
      <form className="form form-inline" onSubmit={register} noValidate>
        <TextField label={t('models.importPath')} value={path} onChange={(e) => setPath(e.target.value)} placeholder="/srv/models/model.Q4_K_M.gguf" hint={t('models.importHint')} testId="import-path" />
        <div className="form-actions">
          <button type="submit" className="button" disabled={busy || path.trim() === ''} data-testid="import-submit">
            {t('models.import')}
          </button>
          <button type="button" className="button button-secondary" disabled={busy} onClick={() => void act(async () => void (await rescanModels()))} data-testid="rescan">
            {t('models.rescan')}
          </button>
        </div>
      </form>
      {models.error !== null ? <ErrorNotice error={models.error} testId="local-models-error" /> : null}
      {error !== null ? <FormAlert error={error} testId="local-error" /> : null}
      {models.data && models.data.length === 0 ? <p className="muted">{t('models.noLocal')}</p> : null}
      {models.data && models.data.length > 0 ? (
        <div className="table-wrap">
          <table className="table table-stack">
            <thead>
              <tr>
                <th scope="col">{t('models.name')}</th>
                <th scope="col">{t('models.format')}</th>
                <th scope="col">{t('models.size')}</th>
                <th scope="col">{t('models.architecture')}</th>
                <th scope="col">{t('models.quantization')}</th>
                <th scope="col">{t('models.context')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('models.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {models.data.map((m) => (
                <tr key={m.id} data-testid="local-model" data-name={m.name}>
                  <td data-label={t('models.name')}>
                    <strong>{m.name}</strong>
                    {!m.valid ? (
                      <span className="field-error small" data-testid="local-invalid">{` ${t('models.invalid', { reason: m.error ?? '' })}`}</span>
                    ) : null}
                  </td>
                  <td data-label={t('models.format')}>{m.format.toUpperCase()}</td>
                  <td data-label={t('models.size')}>{formatBytes(m.size_bytes)}</td>
                  <td data-label={t('models.architecture')} data-testid="local-arch">
                    {m.architecture ?? ''}
                    {m.parameters !== null ? <span className="muted small">{` · ${params(m.parameters)}`}</span> : null}
                  </td>
                  <td data-label={t('models.quantization')} data-testid="local-quant">
                    {m.quantization ?? ''}
                  </td>
                  <td data-label={t('models.context')}>{m.context_length ?? ''}</td>
                  <td className="row-actions">
                    {mayDeploy && m.error === null ? (
                      <Link to={`/admin/deployments?${new URLSearchParams({ model: m.id }).toString()}`} className="button button-small" data-testid="local-deploy">
                        {t('models.deploy')}
                      </Link>
                    ) : null}
                    <button type="button" className="button button-danger button-small" onClick={() => void remove(m.id, m.name)} data-testid="local-delete">
                      {t('models.delete')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
