// Models → downloads: every download with a live progress bar (server-sent events, reconnected
// when the stream ends), speed, time left, the reason of a pause or failure, and pause / resume
// / cancel.

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { actOnDownload, followDownloads, formatBytes, listDownloads, type Download } from '../../../api/models.ts';
import { FormAlert } from '../../../components/forms.tsx';

function useLiveDownloads(onCompleted: () => void): [Download[] | null, (d: Download) => void] {
  const [downloads, setDownloads] = useState<Download[] | null>(null);
  const merge = (d: Download) =>
    setDownloads((previous) => {
      const list = previous ?? [];
      const before = list.find((x) => x.id === d.id);
      if (d.status === 'completed' && before && before.status !== 'completed') onCompleted();
      const rest = list.filter((x) => x.id !== d.id);
      return [d, ...rest].sort((a, b) => b.created_at.localeCompare(a.created_at));
    });
  useEffect(() => {
    const controller = new AbortController();
    void listDownloads(controller.signal).then(setDownloads, () => {});
    const follow = async () => {
      while (!controller.signal.aborted) {
        await followDownloads(merge, controller.signal).catch(() => {});
        if (!controller.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    };
    void follow();
    return () => controller.abort();
    // `merge` only calls state setters and the page's callback.
  }, []);
  return [downloads, merge];
}

function eta(seconds: number | null): string {
  if (seconds === null) return '';
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${seconds % 60} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function DownloadList({ added, onCompleted }: { added: Download | null; onCompleted: () => void }) {
  const { t } = useTranslation();
  const [downloads, merge] = useLiveDownloads(onCompleted);
  useEffect(() => {
    if (added) merge(added);
    // A download the page just started joins the list at once (its events follow).
  }, [added]);
  const [error, setError] = useState<unknown>(null);

  const act = async (id: string, action: 'pause' | 'resume' | 'cancel') => {
    setError(null);
    try {
      merge(await actOnDownload(id, action));
    } catch (reason) {
      setError(reason);
    }
  };

  return (
    <section className="card" aria-labelledby="downloads-heading" data-testid="downloads">
      <h2 id="downloads-heading">{t('models.downloadsHeading')}</h2>
      {error !== null ? <FormAlert error={error} testId="download-action-error" /> : null}
      {downloads && downloads.length === 0 ? <p className="muted">{t('models.noDownloads')}</p> : null}
      <ul className="list">
        {(downloads ?? []).map((d) => {
          const percent = d.total_bytes > 0 ? Math.floor((d.downloaded_bytes / d.total_bytes) * 100) : 0;
          return (
            <li key={d.id} className="list-row list-row-stack" data-testid="download-row" data-status={d.status} data-id={d.id}>
              <div className="download-head">
                <strong>{d.label}</strong>
                <span className={`badge badge-${d.status}`} data-testid="download-status">
                  {t(`models.status.${d.status}`)}
                </span>
              </div>
              <progress max={100} value={percent} aria-label={t('models.progressOf', { label: d.label })} data-testid="download-progress" />
              <p className="muted small" data-testid="download-figures">
                {`${formatBytes(d.downloaded_bytes)} / ${formatBytes(d.total_bytes)} (${percent}%)`}
                {d.status === 'downloading' && d.bytes_per_second > 0 ? ` · ${formatBytes(d.bytes_per_second)}/s · ${t('models.left', { eta: eta(d.eta_seconds) })}` : ''}
              </p>
              {d.error ? (
                <p className="field-error" data-testid="download-error">
                  {d.error}
                </p>
              ) : null}
              <div className="row-actions">
                {d.status === 'downloading' || d.status === 'pending' ? (
                  <button type="button" className="button button-secondary button-small" onClick={() => void act(d.id, 'pause')} data-testid="download-pause">
                    {t('models.pause')}
                  </button>
                ) : null}
                {d.status === 'paused' || d.status === 'failed' ? (
                  <button type="button" className="button button-small" onClick={() => void act(d.id, 'resume')} data-testid="download-resume">
                    {t('models.resume')}
                  </button>
                ) : null}
                {d.status !== 'completed' && d.status !== 'cancelled' ? (
                  <button type="button" className="button button-danger button-small" onClick={() => void act(d.id, 'cancel')} data-testid="download-cancel">
                    {t('models.cancel')}
                  </button>
                ) : null}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
