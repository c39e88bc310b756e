// Admin: deployments — deploy a local model (built-in engine, llama.cpp, vLLM, SGLang, Ollama or
// a command template) with its resource estimate, and the deployments with their status,
// actions, logs and "Try it" (refreshed every two seconds). Admins and users with the
// `deployments` permission.

import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { listDeployments } from '../../api/deployments.ts';
import { listLocalModels } from '../../api/models.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { useAsync } from '../../lib/useAsync.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { DeployForm } from './deployments/DeployForm.tsx';
import { DeploymentList } from './deployments/DeploymentList.tsx';

export function AdminDeploymentsPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('deployments.title'));
  const models = useAsync((signal) => listLocalModels(signal), []);
  const deployments = useAsync((signal) => listDeployments(signal), []);
  const reload = deployments.reload;
  useEffect(() => {
    const timer = window.setInterval(reload, 2000);
    return () => window.clearInterval(timer);
  }, [reload]);
  return (
    <div className="stack" data-testid="deployments-page">
      {models.error !== null ? <ErrorNotice error={models.error} testId="deploy-models-error" /> : null}
      {models.data ? <DeployForm models={models.data} onCreated={() => reload()} /> : null}
      {deployments.error !== null ? <ErrorNotice error={deployments.error} testId="deployments-error" /> : null}
      {deployments.data ? <DeploymentList deployments={deployments.data} models={models.data ?? []} onChanged={() => reload()} /> : null}
    </div>
  );
}
