import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import i18n from '../../i18n/index.ts';
import type { Estimate } from '../../api/deployments.ts';
import { MODEL, RUNNING } from '../../test/deployments.ts';
import { ADMIN, USER, callsTo, errorResponse, jsonResponse, mockApi, renderApp, setSessionCookie } from '../../test/helpers.tsx';
import { GIB, L4, MIB, NO_GPUS } from '../../test/monitor.ts';

beforeEach(async () => {
  await i18n.changeLanguage('en');
  setSessionCookie();
});

const FITS: Estimate = {
  model_bytes: GIB,
  context_bytes: 512 * MIB,
  required_bytes: 1.5 * GIB,
  memory_available_bytes: 20 * GIB,
  gpu: null,
  gpus: [{ index: 0, name: 'NVIDIA L4', memory_free_bytes: 12 * GIB, fits: true }],
  fits: true,
  message: null,
};

const TOO_BIG: Estimate = {
  ...FITS,
  gpu: 0,
  gpus: [{ index: 0, name: 'NVIDIA L4', memory_free_bytes: 512 * MIB, fits: false }],
  fits: false,
  message: 'the model needs about 1.50 GiB, GPU 0 has 0.50 GiB free',
};

function formRoutes(user: unknown, gpus: unknown, estimate: (body: unknown) => Response) {
  return {
    'GET /api/auth/profile': () => jsonResponse(user),
    'GET /api/models': () => jsonResponse({ items: [MODEL] }),
    'GET /api/deployments': () => jsonResponse({ items: [] }),
    'GET /api/monitor/gpus': () => jsonResponse(gpus),
    'POST /api/deployments/estimate': ({ body }: { body: unknown }) => estimate(body),
    'POST /api/deployments': () => jsonResponse(RUNNING, 201),
  };
}

describe('deploy form', () => {
  it('estimates what the deployment needs as the form changes, and warns when it does not fit', async () => {
    const fetchMock = mockApi(
      formRoutes(ADMIN, { available: true, reason: null, gpus: [L4] }, (body) =>
        jsonResponse((body as { gpu: number | null }).gpu === 0 ? TOO_BIG : FITS),
      ),
    );
    renderApp('/admin/deployments');
    const estimate = await screen.findByText('Needs about 1.5 GiB (1.0 GiB weights + 512 MiB context); 20.0 GiB free');
    expect(screen.getByTestId('deploy-estimate')).toContainElement(estimate);
    expect(screen.getByTestId('deploy-estimate')).toHaveAttribute('data-fits', 'true');
    expect(callsTo(fetchMock, 'POST /api/deployments/estimate').map((c) => c.body)).toEqual([
      { model_id: 'm1', backend: 'builtin', context_length: null, gpu: null },
    ]);

    // Typing is asked about once it stops.
    await userEvent.type(screen.getByTestId('deploy-ctx'), '4096');
    await waitFor(() => expect(callsTo(fetchMock, 'POST /api/deployments/estimate')).toHaveLength(2));
    expect(callsTo(fetchMock, 'POST /api/deployments/estimate')[1]!.body).toEqual({ model_id: 'm1', backend: 'builtin', context_length: 4096, gpu: null });

    const gpu = screen.getByTestId('deploy-gpu');
    expect(within(gpu).getAllByRole('option').map((o) => o.textContent)).toEqual(['CPU only / automatic', 'GPU 0 · NVIDIA L4 · 12.0 GiB free']);
    await userEvent.selectOptions(gpu, '0');
    await waitFor(() => expect(screen.getByTestId('deploy-estimate')).toHaveAttribute('data-fits', 'false'));
    expect(screen.getByTestId('deploy-estimate')).toHaveClass('estimate-warn');
    expect(screen.getByTestId('deploy-estimate')).toHaveTextContent('512 MiB free on GPU 0');
    expect(screen.getByTestId('deploy-estimate-message')).toHaveTextContent('the model needs about 1.50 GiB, GPU 0 has 0.50 GiB free');
    expect(callsTo(fetchMock, 'POST /api/deployments/estimate').at(-1)!.body).toEqual({ model_id: 'm1', backend: 'builtin', context_length: 4096, gpu: 0 });

    // The estimate only informs: the server decides.
    await userEvent.click(screen.getByTestId('deploy-submit'));
    await waitFor(() => expect(callsTo(fetchMock, 'POST /api/deployments')).toHaveLength(1));
    expect(callsTo(fetchMock, 'POST /api/deployments')[0]!.body).toMatchObject({ model_id: 'm1', context_length: 4096, gpu: 0 });
  });

  it('offers the six backends and shows a refused estimate where the estimate goes', async () => {
    const fetchMock = mockApi(
      formRoutes(ADMIN, NO_GPUS, (body) =>
        (body as { replicas?: number }).replicas === 8
          ? errorResponse(422, 'validation_failed', 'replicas: must be between 1 and 8')
          : jsonResponse(FITS),
      ),
    );
    renderApp('/admin/deployments');
    const backend = await screen.findByTestId('deploy-backend');
    expect(within(backend).getAllByRole('option').map((o) => (o as HTMLOptionElement).value)).toEqual([
      'builtin',
      'llama_cpp',
      'vllm',
      'sglang',
      'ollama',
      'custom',
    ]);
    await userEvent.selectOptions(backend, 'vllm');
    expect(screen.getByText(/Runs this server's vLLM command template/)).toBeInTheDocument();
    await userEvent.selectOptions(backend, 'ollama');
    expect(screen.getByText(/uploaded to this server's Ollama daemon/)).toBeInTheDocument();
    await userEvent.type(screen.getByTestId('deploy-replicas'), '8');
    await waitFor(() => expect(screen.getByTestId('deploy-estimate')).toHaveTextContent('replicas: must be between 1 and 8'));
    expect(screen.getByTestId('deploy-estimate')).toHaveClass('estimate-warn');
    expect(callsTo(fetchMock, 'POST /api/deployments/estimate').at(-1)!.body).toMatchObject({ backend: 'ollama', replicas: 8 });
  });

  it('says when there is no NVIDIA GPU and deploys on the CPU, for a user with the deployments permission too', async () => {
    const fetchMock = mockApi(formRoutes({ ...USER, permissions: ['deployments'] }, NO_GPUS, () => jsonResponse({ ...FITS, gpus: [] })));
    renderApp('/admin/deployments');
    expect(await screen.findByTestId('deploy-no-gpu')).toHaveTextContent('No NVIDIA GPU on this server (NVML is not installed): the model runs on the CPU.');
    expect(screen.queryByTestId('deploy-gpu')).not.toBeInTheDocument();
    await userEvent.click(screen.getByTestId('deploy-submit'));
    await waitFor(() => expect(callsTo(fetchMock, 'POST /api/deployments')).toHaveLength(1));
    expect(callsTo(fetchMock, 'POST /api/deployments')[0]!.body).toEqual({ name: 'tiny.q4_k_m', model_id: 'm1', backend: 'builtin', gpu: null });
  });
});
