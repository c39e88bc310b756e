import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import i18n from '../../i18n/index.ts';
import type { Download, LocalModel } from '../../api/models.ts';
import { ADMIN, USER, callsTo, errorResponse, jsonResponse, mockApi, renderApp, setSessionCookie } from '../../test/helpers.tsx';
import { controlledSse, sseEvent } from '../../test/sse.ts';

beforeEach(async () => {
  await i18n.changeLanguage('en');
  setSessionCookie();
});

const TASK: Download = {
  id: 'd1',
  source: 'huggingface',
  repo: 'acme/Tiny-GGUF',
  revision: 'main',
  label: 'acme/Tiny-GGUF · tiny.Q4_K_M.gguf',
  status: 'downloading',
  error: null,
  total_bytes: 40_000_000,
  downloaded_bytes: 10_000_000,
  bytes_per_second: 5_000_000,
  eta_seconds: 6,
  model_id: null,
  created_at: '2026-12-07T10:00:00Z',
  finished_at: null,
};

const MODEL: LocalModel = {
  id: 'm1',
  name: 'acme/Tiny-GGUF/tiny.Q4_K_M.gguf',
  path: 'huggingface/acme/Tiny-GGUF/tiny.Q4_K_M.gguf',
  format: 'gguf',
  size_bytes: 40_000_000,
  parts: 1,
  source: 'huggingface',
  repo: 'acme/Tiny-GGUF',
  architecture: 'llama',
  parameters: 135_000_000,
  quantization: 'Q4_K_M',
  context_length: 2048,
  chat_template: true,
  valid: true,
  error: null,
  created_at: '2026-12-07T10:01:00Z',
};

const FILES = {
  repo: 'acme/Tiny-GGUF',
  revision: 'main',
  files: [],
  groups: [
    { quantization: 'Q4_K_M', size_bytes: 40_000_000, files: ['tiny.Q4_K_M.gguf'] },
    { quantization: 'Q8_0', size_bytes: 70_000_000, files: ['tiny-Q8_0-00001-of-00002.gguf', 'tiny-Q8_0-00002-of-00002.gguf'] },
  ],
};

describe('admin models', () => {
  it('searches a hub, shows the quantisations and starts a download, then follows it live', async () => {
    const events = controlledSse();
    let models: LocalModel[] = [];
    const fetchMock = mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/models/search': () => jsonResponse({ items: [{ id: 'acme/Tiny-GGUF', downloads: 1000, gguf: true, gated: false, size_bytes: null }] }),
      'GET /api/models/files': () => jsonResponse(FILES),
      'POST /api/downloads': () => jsonResponse({ ...TASK, status: 'pending', downloaded_bytes: 0 }, 201),
      'GET /api/downloads': () => jsonResponse({ items: [] }),
      'GET /api/downloads/events': () => events.response,
      'GET /api/models': () => jsonResponse({ items: models }),
    });
    renderApp('/admin/models');
    expect(await screen.findByTestId('admin-tab-models')).toHaveAttribute('aria-current', 'page');
    await userEvent.type(screen.getByTestId('hub-query'), 'tiny');
    await userEvent.click(screen.getByTestId('hub-search-submit'));
    const hit = await screen.findByTestId('hub-hit');
    expect(hit).toHaveTextContent('acme/Tiny-GGUF');
    expect(callsTo(fetchMock, 'GET /api/models/search')[0].url.searchParams.get('gguf')).toBe('true');
    await userEvent.click(within(hit).getByTestId('hub-open'));
    const groups = await screen.findAllByTestId('quant-group');
    expect(groups.map((g) => g.dataset.quant)).toEqual(['Q4_K_M', 'Q8_0']);
    expect(groups[0]).toHaveTextContent('40.0 MB');
    expect(groups[1]).toHaveTextContent('(2 parts)');
    await userEvent.click(within(groups[0]).getByTestId('quant-download'));
    expect(await screen.findByTestId('download-started')).toHaveTextContent('acme/Tiny-GGUF · tiny.Q4_K_M.gguf');
    expect(callsTo(fetchMock, 'POST /api/downloads')[0].body).toEqual({ source: 'huggingface', repo: 'acme/Tiny-GGUF', files: ['tiny.Q4_K_M.gguf'] });

    events.push(sseEvent(1, 'download', TASK));
    const row = await screen.findByTestId('download-row');
    expect(within(row).getByTestId('download-progress')).toHaveAttribute('value', '25');
    expect(within(row).getByTestId('download-figures')).toHaveTextContent('10.0 MB / 40.0 MB (25%) · 5.00 MB/s · 6 s left');
    expect(within(row).getByTestId('download-status')).toHaveTextContent('Downloading');
    models = [MODEL];
    events.push(sseEvent(2, 'download', { ...TASK, status: 'completed', downloaded_bytes: 40_000_000, bytes_per_second: 0, eta_seconds: null, model_id: 'm1' }));
    await waitFor(() => expect(screen.getByTestId('download-row')).toHaveAttribute('data-status', 'completed'));
    const local = await screen.findByTestId('local-model');
    expect(within(local).getByTestId('local-arch')).toHaveTextContent('llama · 135 M');
    expect(within(local).getByTestId('local-quant')).toHaveTextContent('Q4_K_M');
  });

  it('pauses, resumes and cancels, and shows why a download stopped', async () => {
    const paused: Download = { ...TASK, status: 'paused', error: 'the disk is full; free some space and resume' };
    const fetchMock = mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/downloads': () => jsonResponse({ items: [TASK] }),
      'GET /api/downloads/events': () => controlledSse().response,
      'GET /api/models': () => jsonResponse({ items: [] }),
      'POST /api/downloads/d1/pause': () => jsonResponse(paused),
      'POST /api/downloads/d1/resume': () => jsonResponse({ ...TASK, status: 'pending' }),
      'POST /api/downloads/d1/cancel': () => errorResponse(409, 'conflict', 'the download is completed; there is nothing to cancel'),
    });
    renderApp('/admin/models');
    await userEvent.click(await screen.findByTestId('download-pause'));
    expect(await screen.findByTestId('download-error')).toHaveTextContent('the disk is full');
    expect(screen.queryByTestId('download-pause')).not.toBeInTheDocument();
    await userEvent.click(screen.getByTestId('download-resume'));
    await waitFor(() => expect(screen.getByTestId('download-row')).toHaveAttribute('data-status', 'pending'));
    await userEvent.click(screen.getByTestId('download-cancel'));
    expect(await screen.findByTestId('download-action-error')).toHaveTextContent('nothing to cancel');
    expect(callsTo(fetchMock, 'POST /api/downloads/d1/pause')).toHaveLength(1);
  });

  it('lists local models, marks an invalid one and deletes after asking', async () => {
    let models: LocalModel[] = [MODEL, { ...MODEL, id: 'm2', name: 'mine/bad.gguf', valid: false, error: 'not a valid GGUF: truncated', architecture: null, parameters: null, quantization: null }];
    vi.spyOn(window, 'confirm').mockReturnValue(true);
    const fetchMock = mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/downloads': () => jsonResponse({ items: [] }),
      'GET /api/downloads/events': () => controlledSse().response,
      'GET /api/models': () => jsonResponse({ items: models }),
      'DELETE /api/models/m2': () => {
        models = [MODEL];
        return new Response(null, { status: 204 });
      },
    });
    renderApp('/admin/models');
    const rows = await screen.findAllByTestId('local-model');
    expect(rows).toHaveLength(2);
    expect(within(rows[1]).getByTestId('local-invalid')).toHaveTextContent('invalid: not a valid GGUF: truncated');
    await userEvent.click(within(rows[1]).getByTestId('local-delete'));
    await waitFor(() => expect(screen.getAllByTestId('local-model')).toHaveLength(1));
    expect(callsTo(fetchMock, 'DELETE /api/models/m2')).toHaveLength(1);
  });

  it('deploys a valid local model from its row: the deploy form opens with it picked', async () => {
    const other = { ...MODEL, id: 'm0', name: 'other.gguf' };
    mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/downloads': () => jsonResponse({ items: [] }),
      'GET /api/downloads/events': () => controlledSse().response,
      'GET /api/models': () => jsonResponse({ items: [other, MODEL, { ...MODEL, id: 'm2', name: 'bad.gguf', valid: false, error: 'truncated' }] }),
      'GET /api/deployments': () => jsonResponse({ items: [] }),
      'GET /api/monitor/gpus': () => jsonResponse({ available: false, reason: 'NVML is not installed', gpus: [] }),
      'POST /api/deployments/estimate': () => jsonResponse({ model_bytes: 1, context_bytes: 1, required_bytes: 2, memory_available_bytes: 10, gpu: null, gpus: [], fits: true, message: null }),
    });
    renderApp('/admin/models');
    const rows = await screen.findAllByTestId('local-model');
    expect(within(rows[2]).queryByTestId('local-deploy')).toBeNull();
    await userEvent.click(within(rows[1]).getByTestId('local-deploy'));
    const select = (await screen.findByTestId('deploy-model')) as HTMLSelectElement;
    await waitFor(() => expect(select.value).toBe(MODEL.id));
  });

  it('registers a file in place, rescans, and names the problem when a path is refused', async () => {
    let models: LocalModel[] = [];
    const fetchMock = mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/downloads': () => jsonResponse({ items: [] }),
      'GET /api/downloads/events': () => controlledSse().response,
      'GET /api/models': () => jsonResponse({ items: models }),
      'GET /api/models/ollama': () => errorResponse(409, 'conflict', 'no Ollama daemon is configured: set OLLAMA_HOST'),
      'POST /api/models/import': ({ body }) => {
        if ((body as { path: string }).path !== '/srv/models/tiny.gguf') {
          return errorResponse(422, 'validation_failed', '`/etc/x.gguf` is not under MODELS_DIR or an import directory');
        }
        models = [{ ...MODEL, id: 'm3', name: 'tiny.gguf', source: 'import', repo: null }];
        return jsonResponse(models[0], 201);
      },
      'POST /api/models/rescan': () => jsonResponse({ items: models }),
    });
    renderApp('/admin/models');
    expect(await screen.findByTestId('daemon-unset')).toHaveTextContent('OLLAMA_HOST');
    await userEvent.type(await screen.findByTestId('import-path'), '/etc/x.gguf');
    await userEvent.click(screen.getByTestId('import-submit'));
    expect(await screen.findByTestId('local-error')).toHaveTextContent('not under MODELS_DIR');
    await userEvent.clear(screen.getByTestId('import-path'));
    await userEvent.type(screen.getByTestId('import-path'), '/srv/models/tiny.gguf');
    await userEvent.click(screen.getByTestId('import-submit'));
    expect(await screen.findByTestId('local-model')).toHaveAttribute('data-name', 'tiny.gguf');
    expect(screen.queryByTestId('local-error')).toBeNull();
    expect(screen.getByTestId('import-path')).toHaveValue('');
    await userEvent.click(screen.getByTestId('rescan'));
    await waitFor(() => expect(callsTo(fetchMock, 'POST /api/models/rescan')).toHaveLength(1));
  });

  it('lists the Ollama daemon\'s models and pulls through it into the downloads list', async () => {
    const events = controlledSse();
    const fetchMock = mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/downloads': () => jsonResponse({ items: [] }),
      'GET /api/downloads/events': () => events.response,
      'GET /api/models': () => jsonResponse({ items: [] }),
      'GET /api/models/ollama': () =>
        jsonResponse({
          host: 'http://127.0.0.1:11434/',
          items: [{ name: 'qwen2.5:0.5b', size_bytes: 397_000_000, digest: 'ab', format: 'gguf', family: 'qwen2', parameters: '494.03M', quantization: 'Q4_K_M', modified_at: null }],
        }),
      'POST /api/downloads': () => jsonResponse({ ...TASK, id: 'd9', source: 'ollama_daemon', repo: 'llama3.2:1b', label: 'llama3.2:1b (Ollama daemon)', status: 'pending', downloaded_bytes: 0 }, 201),
    });
    renderApp('/admin/models');
    const row = await screen.findByTestId('daemon-model-row');
    expect(row).toHaveTextContent('qwen2.5:0.5b · 397.0 MB · qwen2 · 494.03M · Q4_K_M');
    expect(screen.getByTestId('ollama-daemon')).toHaveTextContent('http://127.0.0.1:11434/');
    await userEvent.type(screen.getByTestId('daemon-model'), 'llama3.2:1b');
    await userEvent.click(screen.getByTestId('daemon-pull'));
    expect(await screen.findByTestId('download-row')).toHaveTextContent('llama3.2:1b (Ollama daemon)');
    expect(callsTo(fetchMock, 'POST /api/downloads')[0].body).toEqual({ source: 'ollama_daemon', model: 'llama3.2:1b' });
  });

  it('opens to a user with the models permission, with the models tab only', async () => {
    mockApi({
      'GET /api/auth/profile': () => jsonResponse({ ...USER, permissions: ['models'] }),
      'GET /api/downloads': () => jsonResponse({ items: [] }),
      'GET /api/downloads/events': () => controlledSse().response,
      'GET /api/models': () => jsonResponse({ items: [MODEL] }),
      'GET /api/models/ollama': () => errorResponse(409, 'conflict', 'no Ollama daemon is configured: set OLLAMA_HOST'),
    });
    renderApp('/admin/models');
    expect(await screen.findByTestId('local-model')).toBeInTheDocument();
    expect(screen.getByTestId('admin-tab-models')).toBeInTheDocument();
    expect(screen.queryByTestId('admin-tab-users')).toBeNull();
    expect(screen.getByTestId('nav-models')).toHaveAttribute('href', '/admin/models');
    expect(screen.queryByTestId('nav-admin')).toBeNull();
  });

  it('is 403 for a user without the models permission', async () => {
    mockApi({ 'GET /api/auth/profile': () => jsonResponse(USER) });
    renderApp('/admin/models');
    expect(await screen.findByTestId('forbidden')).toBeInTheDocument();
    expect(screen.queryByTestId('nav-models')).toBeNull();
  });

  it('is in Chinese too', async () => {
    await i18n.changeLanguage('zh-CN');
    mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/downloads': () => jsonResponse({ items: [{ ...TASK, status: 'paused' }] }),
      'GET /api/downloads/events': () => controlledSse().response,
      'GET /api/models': () => jsonResponse({ items: [] }),
    });
    renderApp('/admin/models');
    expect(await screen.findByTestId('download-status')).toHaveTextContent('已暂停');
    expect(screen.getByTestId('admin-tab-models')).toHaveTextContent('模型');
    expect(screen.getByTestId('download-resume')).toHaveTextContent('继续');
  });
});
