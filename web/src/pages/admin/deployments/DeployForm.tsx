// Deployments → deploy: a valid model of the local registry, a name (the model id in /v1), the
// backend (the built-in engine, llama.cpp's server, vLLM, SGLang, Ollama — their command
// templates filled in by the server — or a command template, one argument per line), context
// length, parallel requests, CPU threads and the GPU. What it would need and whether that fits
// is shown as the form changes; the server checks again on deploying and says why not.

import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { BACKENDS, createDeployment, type Backend, type Deployment, type EstimateRequest, type NewDeployment } from '../../../api/deployments.ts';
import { formatBytes, type LocalModel } from '../../../api/models.ts';
import { FormAlert, SelectField, TextAreaField, TextField } from '../../../components/forms.tsx';
import { EstimateNote } from './EstimateNote.tsx';
import { GpuSelect } from './GpuSelect.tsx';
import { useEstimate } from './useEstimate.ts';

function suggestedName(model: LocalModel | undefined): string {
  if (!model) return '';
  const stem = model.name.split('/').pop() ?? model.name;
  return stem.replace(/\.gguf$/i, '').toLowerCase().replace(/[^a-z0-9._-]+/g, '-').slice(0, 64);
}

const optionalNumber = (value: string): number | undefined => (value.trim() === '' ? undefined : Number(value));

/** Backends run from a command template the server fills in, which a hint explains. */
const HINTS: Partial<Record<Backend, 'deployments.templateHint' | 'deployments.ollamaHint'>> = {
  vllm: 'deployments.templateHint',
  sglang: 'deployments.templateHint',
  ollama: 'deployments.ollamaHint',
};

function BackendField({ value, onChange }: { value: Backend; onChange: (backend: Backend) => void }) {
  const { t } = useTranslation();
  const hint = HINTS[value];
  return (
    <SelectField
      label={t('deployments.backend')}
      value={value}
      onChange={(e) => onChange(e.target.value as Backend)}
      hint={hint ? t(hint, { backend: t(`deployments.${value}`) }) : undefined}
      testId="deploy-backend"
    >
      {BACKENDS.map((b) => (
        <option key={b} value={b}>
          {t(`deployments.${b}`)}
        </option>
      ))}
    </SelectField>
  );
}

export function DeployForm({ models, onCreated }: { models: LocalModel[]; onCreated: (d: Deployment) => void }) {
  const { t } = useTranslation();
  const usable = models.filter((m) => m.valid);
  // Admin → Models' "Deploy" opens this page with `?model=<id>`.
  const [search] = useSearchParams();
  const [modelId, setModelId] = useState(search.get('model') ?? '');
  const [name, setName] = useState('');
  const [backend, setBackend] = useState<Backend>('builtin');
  const [command, setCommand] = useState('');
  const [ctx, setCtx] = useState('');
  const [parallel, setParallel] = useState('');
  const [threads, setThreads] = useState('');
  const [replicas, setReplicas] = useState('');
  const [gpu, setGpu] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const chosen = usable.find((m) => m.id === modelId) ?? usable[0];
  const question: EstimateRequest | null = chosen
    ? { model_id: chosen.id, backend, context_length: optionalNumber(ctx) ?? null, parallel: optionalNumber(parallel), gpu, replicas: optionalNumber(replicas) }
    : null;
  const estimate = useEstimate(question);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!chosen) return;
    const body: NewDeployment = {
      name: name.trim() || suggestedName(chosen),
      model_id: chosen.id,
      backend,
      context_length: optionalNumber(ctx),
      parallel: optionalNumber(parallel),
      threads: optionalNumber(threads),
      gpu,
      replicas: optionalNumber(replicas),
    };
    if (backend === 'custom') body.command = command.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    setBusy(true);
    setError(null);
    try {
      onCreated(await createDeployment(body));
      setName('');
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  };

  if (usable.length === 0) {
    return (
      <section className="card" data-testid="deploy-form">
        <h2>{t('deployments.deployHeading')}</h2>
        <p className="muted" data-testid="deploy-no-models">{t('deployments.noModels')}</p>
      </section>
    );
  }
  return (
    <section className="card" aria-labelledby="deploy-heading" data-testid="deploy-form">
      <h2 id="deploy-heading">{t('deployments.deployHeading')}</h2>
      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        <SelectField label={t('deployments.model')} value={chosen?.id ?? ''} onChange={(e) => setModelId(e.target.value)} testId="deploy-model">
          {usable.map((m) => (
            <option key={m.id} value={m.id}>
              {`${m.name} · ${formatBytes(m.size_bytes)}${m.quantization ? ` · ${m.quantization}` : ''}`}
            </option>
          ))}
        </SelectField>
        <TextField label={t('deployments.name')} value={name} onChange={(e) => setName(e.target.value)} placeholder={suggestedName(chosen)} hint={t('deployments.nameHint')} testId="deploy-name" />
        <BackendField value={backend} onChange={setBackend} />
        {backend === 'custom' ? (
          <TextAreaField label={t('deployments.command')} value={command} onChange={(e) => setCommand(e.target.value)} rows={4} placeholder={'llama-server\n-m\n{model_path}\n--port\n{port}'} hint={t('deployments.commandHint')} testId="deploy-command" />
        ) : null}
        <div className="form-inline">
          <TextField label={t('deployments.context')} type="number" min={16} value={ctx} onChange={(e) => setCtx(e.target.value)} placeholder={chosen?.context_length ? String(chosen.context_length) : ''} testId="deploy-ctx" />
          <TextField label={t('deployments.parallel')} type="number" min={1} max={32} value={parallel} onChange={(e) => setParallel(e.target.value)} placeholder="4" testId="deploy-parallel" />
          <TextField label={t('deployments.threads')} type="number" min={1} value={threads} onChange={(e) => setThreads(e.target.value)} placeholder={t('deployments.allCores')} testId="deploy-threads" />
          <TextField label={t('deployments.replicas')} type="number" min={1} max={8} value={replicas} onChange={(e) => setReplicas(e.target.value)} placeholder="1" hint={t('deployments.replicasHint')} testId="deploy-replicas" />
        </div>
        <GpuSelect value={gpu} onChange={setGpu} />
        <EstimateNote state={estimate} />
        {error !== null ? <FormAlert error={error} testId="deploy-error" /> : null}
        <div className="form-actions">
          <button type="submit" className="button" disabled={busy} data-testid="deploy-submit">
            {t('deployments.deploy')}
          </button>
        </div>
      </form>
    </section>
  );
}
