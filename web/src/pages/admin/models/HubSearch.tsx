// Models → search: a hub (Hugging Face, ModelScope, the Ollama registry), a query and the GGUF
// filter; a hit opens its files grouped by quantisation with sizes and a download button (an
// Ollama hit is downloaded as it is).

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { formatBytes, repoFiles, searchHub, startDownload, type Download, type Hit, type HubSource, type RepoFiles } from '../../../api/models.ts';
import { FormAlert, SelectField, TextField } from '../../../components/forms.tsx';

export function HubSearch({ onStarted }: { onStarted: (download: Download) => void }) {
  const { t } = useTranslation();
  const [source, setSource] = useState<HubSource>('huggingface');
  const [query, setQuery] = useState('');
  const [ggufOnly, setGgufOnly] = useState(true);
  const [hits, setHits] = useState<Hit[] | null>(null);
  const [files, setFiles] = useState<RepoFiles | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [started, setStarted] = useState<string | null>(null);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  };

  const search = (event: FormEvent) => {
    event.preventDefault();
    setFiles(null);
    setStarted(null);
    void run(async () => setHits(await searchHub(source, query.trim(), ggufOnly)));
  };

  const download = (repo: string, paths: string[]) =>
    run(async () => {
      const task = await startDownload(source, repo, paths);
      setStarted(task.label);
      onStarted(task);
    });

  return (
    <section className="card" aria-labelledby="hub-search-heading" data-testid="hub-search">
      <h2 id="hub-search-heading">{t('models.searchHeading')}</h2>
      <form className="form form-inline" onSubmit={search} noValidate>
        <SelectField label={t('models.source')} value={source} onChange={(e) => setSource(e.target.value as HubSource)} testId="hub-source">
          <option value="huggingface">Hugging Face</option>
          <option value="modelscope">ModelScope</option>
          <option value="ollama">Ollama</option>
        </SelectField>
        <TextField label={t('models.query')} value={query} onChange={(e) => setQuery(e.target.value)} placeholder={source === 'ollama' ? 'qwen2.5:0.5b' : 'Llama GGUF'} testId="hub-query" />
        <label className="checkbox">
          <input type="checkbox" checked={ggufOnly} onChange={(e) => setGgufOnly(e.target.checked)} data-testid="hub-gguf" />
          {t('models.ggufOnly')}
        </label>
        <div className="form-actions">
          <button type="submit" className="button" disabled={busy} data-testid="hub-search-submit">
            {t('models.search')}
          </button>
        </div>
      </form>
      {error !== null ? <FormAlert error={error} testId="hub-error" /> : null}
      {started ? (
        <p className="notice notice-info" role="status" data-testid="download-started">
          {t('models.started', { label: started })}
        </p>
      ) : null}
      {hits && hits.length === 0 ? <p className="muted" data-testid="hub-no-hits">{t('models.noHits')}</p> : null}
      {hits && hits.length > 0 ? (
        <ul className="list" data-testid="hub-hits">
          {hits.map((hit) => (
            <li key={hit.id} className="list-row" data-testid="hub-hit" data-id={hit.id}>
              <span>
                <strong>{hit.id}</strong>
                <span className="muted small">
                  {hit.downloads !== null ? ` · ${t('models.downloadsCount', { count: hit.downloads })}` : ''}
                  {hit.size_bytes !== null ? ` · ${formatBytes(hit.size_bytes)}` : ''}
                  {hit.gated ? ` · ${t('models.gated')}` : ''}
                </span>
              </span>
              {source === 'ollama' ? (
                <button type="button" className="button button-small" disabled={busy} onClick={() => void download(hit.id, [])} data-testid="hub-pull">
                  {t('models.download')}
                </button>
              ) : (
                <button type="button" className="button button-secondary button-small" disabled={busy} onClick={() => void run(async () => setFiles(await repoFiles(source, hit.id)))} data-testid="hub-open">
                  {t('models.files')}
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      {files ? <QuantGroups files={files} busy={busy} onDownload={(paths) => void download(files.repo, paths)} /> : null}
    </section>
  );
}

function QuantGroups({ files, busy, onDownload }: { files: RepoFiles; busy: boolean; onDownload: (paths: string[]) => void }) {
  const { t } = useTranslation();
  return (
    <div data-testid="quant-groups">
      <h3>{t('models.filesOf', { repo: files.repo })}</h3>
      {files.groups.length === 0 ? <p className="muted">{t('models.noGguf')}</p> : null}
      <div className="table-wrap">
        <table className="table table-stack">
          <thead>
            <tr>
              <th scope="col">{t('models.quantization')}</th>
              <th scope="col">{t('models.file')}</th>
              <th scope="col">{t('models.size')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('models.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {files.groups.map((group) => (
              <tr key={group.files[0]} data-testid="quant-group" data-quant={group.quantization ?? ''}>
                <td data-label={t('models.quantization')}>
                  <code>{group.quantization ?? '?'}</code>
                </td>
                <td data-label={t('models.file')}>
                  {group.files[0]}
                  {group.files.length > 1 ? <span className="muted small">{` ${t('models.parts', { count: group.files.length })}`}</span> : null}
                </td>
                <td data-label={t('models.size')}>{formatBytes(group.size_bytes)}</td>
                <td>
                  <button type="button" className="button button-small" disabled={busy} onClick={() => onDownload([group.files[0]])} data-testid="quant-download">
                    {t('models.download')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
