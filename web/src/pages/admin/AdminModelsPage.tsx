// Admin: models — search the hubs and start downloads, follow them live, the models on this
// server, and the Ollama daemon's (OLLAMA_HOST).

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Download } from '../../api/models.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { DownloadList } from './models/DownloadList.tsx';
import { HubSearch } from './models/HubSearch.tsx';
import { LocalModels } from './models/LocalModels.tsx';
import { OllamaDaemon } from './models/OllamaDaemon.tsx';

export function AdminModelsPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('models.title'));
  const [added, setAdded] = useState<Download | null>(null);
  const [local, setLocal] = useState(0);
  return (
    <div className="stack" data-testid="models-page">
      <HubSearch onStarted={setAdded} />
      <DownloadList added={added} onCompleted={() => setLocal((n) => n + 1)} />
      <LocalModels refresh={local} />
      <OllamaDaemon refresh={local} onStarted={setAdded} />
    </div>
  );
}
