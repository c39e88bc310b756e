// Models → the Ollama daemon at OLLAMA_HOST: what it holds, and a pull through it that shows up
// in the downloads list. Without OLLAMA_HOST the section says how to set it.

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../../api/client.ts';
import { formatBytes, listDaemonModels, pullThroughDaemon, type Download } from '../../../api/models.ts';
import { ErrorNotice } from '../../../components/ErrorNotice.tsx';
import { FormAlert, TextField } from '../../../components/forms.tsx';
import { useAsync } from '../../../lib/useAsync.ts';

export function OllamaDaemon({ refresh, onStarted }: { refresh: number; onStarted: (download: Download) => void }) {
  const { t } = useTranslation();
  const daemon = useAsync((signal) => listDaemonModels(signal), [refresh]);
  const [model, setModel] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const unset = daemon.error instanceof ApiError && daemon.error.status === 409;

  const pull = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onStarted(await pullThroughDaemon(model.trim()));
      setModel('');
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="daemon-heading" data-testid="ollama-daemon">
      <h2 id="daemon-heading">{t('models.daemonHeading')}</h2>
      {unset ? <p className="muted" data-testid="daemon-unset">{t('models.daemonUnset')}</p> : null}
      {daemon.error !== null && !unset ? <ErrorNotice error={daemon.error} testId="daemon-error" /> : null}
      {daemon.data ? (
        <>
          <p className="muted small">{t('models.daemonAt', { host: daemon.data.host })}</p>
          <form className="form form-inline" onSubmit={(e) => void pull(e)} noValidate>
            <TextField label={t('models.daemonModel')} value={model} onChange={(e) => setModel(e.target.value)} placeholder="qwen2.5:0.5b" testId="daemon-model" />
            <div className="form-actions">
              <button type="submit" className="button" disabled={busy || model.trim() === ''} data-testid="daemon-pull">
                {t('models.daemonPull')}
              </button>
            </div>
          </form>
          {error !== null ? <FormAlert error={error} testId="daemon-pull-error" /> : null}
          {daemon.data.items.length === 0 ? <p className="muted">{t('models.daemonEmpty')}</p> : null}
          {daemon.data.items.length > 0 ? (
            <ul className="list" data-testid="daemon-models">
              {daemon.data.items.map((m) => (
                <li key={m.name} className="list-row" data-testid="daemon-model-row" data-name={m.name}>
                  <span>
                    <strong>{m.name}</strong>
                    <span className="muted small">
                      {` · ${formatBytes(m.size_bytes)}`}
                      {m.family ? ` · ${m.family}` : ''}
                      {m.parameters ? ` · ${m.parameters}` : ''}
                      {m.quantization ? ` · ${m.quantization}` : ''}
                    </span>
                  </span>
                </li>
              ))}
            </ul>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
