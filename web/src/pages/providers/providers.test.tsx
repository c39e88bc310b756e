import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import i18n from '../../i18n/index.ts';
import {
  ADMIN,
  CSRF,
  USER,
  callsTo,
  emptyResponse,
  errorResponse,
  jsonResponse,
  mockApi,
  renderApp,
  sessionRoutes,
  setSessionCookie,
} from '../../test/helpers.tsx';

const STAMP = '2026-11-21T10:00:00Z';

function provider(overrides: Record<string, unknown>) {
  return {
    id: 'p-openai',
    name: 'OpenAI',
    kind: 'openai',
    base_url: 'https://api.openai.com/v1',
    api_version: null,
    owner: 'shared',
    keys: [{ id: 'k-1', hint: 'sk-…a1b2', enabled: true, created_at: STAMP }],
    models: ['gpt-4o', 'gpt-4o-mini'],
    model_aliases: { gpt4: 'gpt-4o' },
    default_params: { temperature: 0.7, max_tokens: 1024, top_p: null },
    timeout_secs: 60,
    priority: 0,
    weight: 1,
    enabled: true,
    created_at: STAMP,
    updated_at: STAMP,
    ...overrides,
  };
}

const OPENAI = provider({});
const CLAUDE = provider({
  id: 'p-claude',
  name: 'Claude',
  kind: 'anthropic',
  base_url: null,
  keys: [
    { id: 'k-2', hint: 'sk-…c3d4', enabled: true, created_at: STAMP },
    { id: 'k-3', hint: 'sk-…e5f6', enabled: false, created_at: STAMP },
  ],
  models: ['claude-sonnet'],
  model_aliases: {},
  default_params: { temperature: null, max_tokens: null, top_p: null },
  priority: 5,
  weight: 3,
});

const list = (items: unknown[]) => jsonResponse({ items });

beforeEach(async () => {
  await i18n.changeLanguage('en');
  setSessionCookie();
});

async function openAddForm() {
  await userEvent.click(await screen.findByRole('button', { name: 'Add provider' }));
  return screen.getByRole('form', { name: 'Add a provider' });
}

describe('admin providers page', () => {
  it('is a tab of the admin area and lists the shared providers with key hints only', async () => {
    mockApi({ ...sessionRoutes(ADMIN), 'GET /api/admin/providers': () => list([OPENAI, CLAUDE]) });
    renderApp('/admin/providers');

    const table = await screen.findByTestId('providers-table');
    expect(screen.getByTestId('admin-tab-providers')).toHaveAttribute('aria-current', 'page');
    const [openai, claude] = within(table).getAllByTestId('provider-row');
    expect(openai).toHaveTextContent('OpenAI');
    expect(openai).toHaveTextContent('https://api.openai.com/v1');
    expect(openai).toHaveTextContent('2 models');
    expect(openai).toHaveTextContent('0 / 1');
    expect(within(openai!).getByTestId('provider-key-hints')).toHaveTextContent('sk-…a1b2');
    // No base URL: the kind's default is shown as such.
    expect(claude).toHaveTextContent('Anthropic');
    expect(claude).toHaveTextContent('https://api.anthropic.com');
    expect(claude).toHaveTextContent('default');
    expect(claude).toHaveTextContent('5 / 3');
    expect(within(claude!).getByTestId('provider-key-hints')).toHaveTextContent('sk-…c3d4sk-…e5f6');
    expect(screen.getByRole('switch', { name: 'Claude enabled' })).toBeChecked();

    // Phone layout: every table stacks into labelled blocks (see styles.css).
    expect(table).toHaveClass('table-stack');
    for (const cell of within(table).getAllByRole('cell')) {
      if (!cell.classList.contains('cell-actions')) expect(cell).toHaveAttribute('data-label');
    }
  });

  it('shows the API version only for Azure and requires a base URL where the kind has no default', async () => {
    const fetchMock = mockApi({ ...sessionRoutes(ADMIN), 'GET /api/admin/providers': () => list([]) });
    renderApp('/admin/providers');
    expect(await screen.findByTestId('providers-empty')).toBeInTheDocument();
    const form = await openAddForm();
    const kind = within(form).getByLabelText('Kind');

    // OpenAI: a default base URL as placeholder, no API version, a key needed.
    expect(within(form).getByLabelText('Base URL')).toHaveAttribute('placeholder', 'https://api.openai.com/v1');
    expect(within(form).getByLabelText('Base URL')).not.toBeRequired();
    expect(within(form).queryByLabelText('API version')).not.toBeInTheDocument();
    expect(within(form).getByLabelText('API key')).toHaveAttribute('type', 'password');
    expect(within(form).getByLabelText('API key')).toBeRequired();
    expect(Array.from((kind as HTMLSelectElement).options).map((option) => option.textContent)).toEqual([
      'OpenAI',
      'Azure OpenAI',
      'OpenRouter',
      'Anthropic',
      'Google Gemini',
      'Ollama',
      'OpenAI-compatible',
    ]);

    await userEvent.selectOptions(kind, 'azure_openai');
    expect(within(form).getByLabelText('API version')).toBeRequired();
    expect(within(form).getByLabelText('Base URL')).toBeRequired();

    await userEvent.selectOptions(kind, 'ollama');
    expect(within(form).queryByLabelText('API version')).not.toBeInTheDocument();
    expect(within(form).getByLabelText('Base URL')).toHaveAttribute('placeholder', 'http://127.0.0.1:11434');
    expect(within(form).getByLabelText('API key')).not.toBeRequired();

    await userEvent.selectOptions(kind, 'openai_compatible');
    expect(within(form).queryByLabelText('API version')).not.toBeInTheDocument();
    expect(within(form).getByLabelText('Base URL')).toBeRequired();
    expect(within(form).getByLabelText('API key')).not.toBeRequired();
    await userEvent.type(within(form).getByLabelText('Name'), 'Local');
    await userEvent.click(within(form).getByRole('button', { name: 'Add provider' }));

    expect(await screen.findByTestId('provider-base-url-error')).toHaveTextContent('Required.');
    expect(within(form).getByLabelText('Base URL')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByTestId('provider-api-key-error')).not.toBeInTheDocument();
    expect(callsTo(fetchMock, 'POST /api/admin/providers')).toHaveLength(0);

    // Azure without its version is refused here too.
    await userEvent.selectOptions(kind, 'azure_openai');
    await userEvent.type(within(form).getByLabelText('Base URL'), 'https://me.openai.azure.com');
    await userEvent.click(within(form).getByRole('button', { name: 'Add provider' }));
    expect(await screen.findByTestId('provider-api-version-error')).toHaveTextContent('Required.');
    expect(screen.getByTestId('provider-api-key-error')).toHaveTextContent('Required.');
    expect(callsTo(fetchMock, 'POST /api/admin/providers')).toHaveLength(0);
  });

  it('creates a provider with the right JSON and never shows the key afterwards', async () => {
    const secret = 'sk-test-full-secret-key-9876';
    const fetchMock = mockApi({
      ...sessionRoutes(ADMIN),
      'GET /api/admin/providers': () => list([OPENAI]),
      'POST /api/admin/providers': ({ body }) =>
        jsonResponse(
          provider({
            ...(body as object),
            id: 'p-new',
            api_key: undefined,
            keys: [{ id: 'k-9', hint: 'sk-…9876', enabled: true, created_at: STAMP }],
          }),
          201,
        ),
    });
    renderApp('/admin/providers');
    const form = await openAddForm();

    await userEvent.selectOptions(within(form).getByLabelText('Kind'), 'openai_compatible');
    await userEvent.type(within(form).getByLabelText('Name'), '  Local vLLM ');
    await userEvent.type(within(form).getByLabelText('Base URL'), 'http://10.0.0.5:8000/v1');
    await userEvent.type(within(form).getByLabelText('API key'), secret);
    await userEvent.type(within(form).getByLabelText('Models'), 'llama-3, qwen-2\nllama-3\n');
    await userEvent.type(within(form).getByLabelText('Model aliases'), 'llama = llama-3');
    await userEvent.type(within(form).getByLabelText('Temperature'), '0.5');
    await userEvent.type(within(form).getByLabelText('Max tokens'), '256');
    await userEvent.clear(within(form).getByLabelText('Priority'));
    await userEvent.type(within(form).getByLabelText('Priority'), '-2');
    await userEvent.clear(within(form).getByLabelText('Weight'));
    await userEvent.type(within(form).getByLabelText('Weight'), '4');
    await userEvent.click(within(form).getByLabelText('Enabled'));
    await userEvent.click(within(form).getByRole('button', { name: 'Add provider' }));

    expect(await screen.findByTestId('provider-saved')).toHaveTextContent('Local vLLM has been added.');
    const [post] = callsTo(fetchMock, 'POST /api/admin/providers');
    expect(post!.body).toEqual({
      name: 'Local vLLM',
      kind: 'openai_compatible',
      base_url: 'http://10.0.0.5:8000/v1',
      api_key: secret,
      models: ['llama-3', 'qwen-2'],
      model_aliases: { llama: 'llama-3' },
      default_params: { temperature: 0.5, max_tokens: 256, top_p: null },
      timeout_secs: 60,
      priority: -2,
      weight: 4,
      enabled: false,
    });
    expect(post!.headers['X-CSRF-Token']).toBe(CSRF);
    expect(screen.queryByTestId('provider-form')).not.toBeInTheDocument();
    const rows = screen.getAllByTestId('provider-row');
    expect(rows.map((row) => row.dataset.name)).toEqual(['OpenAI', 'Local vLLM']);
    expect(within(rows[1]!).getByTestId('provider-key-hints')).toHaveTextContent('sk-…9876');
    expect(document.body.innerHTML).not.toContain(secret);
  });

  it('shows a 422 next to its field and a 409 on the name', async () => {
    let answer = () =>
      errorResponse(422, 'validation_failed', 'base_url: not allowed', {
        fields: { base_url: 'points at a private address' },
      });
    mockApi({
      ...sessionRoutes(ADMIN),
      'GET /api/admin/providers': () => list([]),
      'POST /api/admin/providers': () => answer(),
    });
    renderApp('/admin/providers');
    const form = await openAddForm();
    await userEvent.type(within(form).getByLabelText('Name'), 'OpenAI');
    await userEvent.type(within(form).getByLabelText('Base URL'), 'http://192.168.1.1/v1');
    await userEvent.type(within(form).getByLabelText('API key'), 'sk-anything');
    await userEvent.click(within(form).getByRole('button', { name: 'Add provider' }));

    expect(await screen.findByTestId('provider-base-url-error')).toHaveTextContent('points at a private address');
    expect(screen.queryByTestId('provider-form-error')).not.toBeInTheDocument();

    answer = () => errorResponse(409, 'conflict', 'a provider with this name already exists');
    await userEvent.click(within(form).getByRole('button', { name: 'Add provider' }));
    expect(await screen.findByTestId('provider-name-error')).toHaveTextContent('a provider with this name already exists');
    expect(screen.queryByTestId('provider-base-url-error')).not.toBeInTheDocument();
  });

  it('toggles enabled with a PATCH of only `enabled`', async () => {
    const fetchMock = mockApi({
      ...sessionRoutes(ADMIN),
      'GET /api/admin/providers': () => list([OPENAI]),
      'PATCH /api/admin/providers/p-openai': ({ body }) => jsonResponse({ ...OPENAI, ...(body as object) }),
    });
    renderApp('/admin/providers');
    const toggle = await screen.findByRole('switch', { name: 'OpenAI enabled' });

    await userEvent.click(toggle);
    expect(await screen.findByTestId('providers-message')).toHaveTextContent('OpenAI has been disabled.');
    expect(toggle).not.toBeChecked();
    expect(screen.getByTestId('provider-row')).toHaveAttribute('data-enabled', 'false');

    await userEvent.click(toggle);
    await waitFor(() => expect(toggle).toBeChecked());
    expect(callsTo(fetchMock, 'PATCH /api/admin/providers/p-openai').map((call) => call.body)).toEqual([
      { enabled: false },
      { enabled: true },
    ]);
  });

  it('tests a provider and shows the latency and reply, or the error', async () => {
    const fetchMock = mockApi({
      ...sessionRoutes(ADMIN),
      'GET /api/admin/providers': () => list([OPENAI, CLAUDE]),
      'POST /api/providers/p-openai/test': () => jsonResponse({ ok: true, model: 'gpt-4o', latency_ms: 123, reply: 'OK' }),
      'POST /api/providers/p-claude/test': () =>
        jsonResponse({ ok: false, model: 'claude-sonnet', latency_ms: 5, error: 'upstream said 401: invalid key' }),
    });
    renderApp('/admin/providers');

    await userEvent.click(await screen.findByRole('button', { name: 'Test OpenAI' }));
    const ok = await screen.findByRole('status', { name: 'Test result of OpenAI' });
    expect(ok).toHaveAttribute('data-ok', 'true');
    expect(ok).toHaveTextContent('OK');
    expect(ok).toHaveTextContent('123 ms');
    expect(ok).toHaveTextContent('model gpt-4o');
    expect(ok).toHaveTextContent('Reply: OK');

    await userEvent.click(screen.getByRole('button', { name: 'Test Claude' }));
    const failed = await screen.findByRole('status', { name: 'Test result of Claude' });
    expect(failed).toHaveAttribute('data-ok', 'false');
    expect(failed).toHaveTextContent('Failed');
    expect(failed).toHaveTextContent('5 ms');
    expect(failed).toHaveTextContent('upstream said 401: invalid key');
    expect(callsTo(fetchMock, 'POST /api/providers/p-openai/test')[0]!.body).toEqual({});
  });

  it('refreshes the models and shows why when the upstream cannot list them', async () => {
    mockApi({
      ...sessionRoutes(ADMIN),
      'GET /api/admin/providers': () => list([OPENAI, CLAUDE]),
      'POST /api/providers/p-openai/models/refresh': () => jsonResponse({ ...OPENAI, models: ['a', 'b', 'c'] }),
      'POST /api/providers/p-claude/models/refresh': () =>
        errorResponse(422, 'validation_failed', 'the upstream cannot list its models', { fields: {} }),
    });
    renderApp('/admin/providers');

    await userEvent.click(await screen.findByRole('button', { name: 'Refresh the models of OpenAI' }));
    expect(await screen.findByTestId('providers-message')).toHaveTextContent('The model list of OpenAI has been refreshed (3 in all).');
    expect(screen.getAllByTestId('provider-row')[0]).toHaveTextContent('3 models');

    await userEvent.click(screen.getByRole('button', { name: 'Refresh the models of Claude' }));
    expect(await screen.findByTestId('providers-error')).toHaveTextContent('the upstream cannot list its models');
  });

  it('edits with a PATCH of the changed fields and manages keys through the keys endpoints', async () => {
    let current = OPENAI;
    const fetchMock = mockApi({
      ...sessionRoutes(ADMIN),
      'GET /api/admin/providers': () => list([current]),
      'PATCH /api/admin/providers/p-openai': ({ body }) => {
        current = { ...current, ...(body as object) };
        return jsonResponse(current);
      },
      'POST /api/providers/p-openai/keys': () => {
        current = { ...current, keys: [...current.keys, { id: 'k-new', hint: 'sk-…zz99', enabled: true, created_at: STAMP }] };
        return jsonResponse(current, 201);
      },
      'DELETE /api/providers/p-openai/keys/k-1': () => {
        current = { ...current, keys: current.keys.filter((key) => key.id !== 'k-1') };
        return jsonResponse(current);
      },
    });
    renderApp('/admin/providers');
    await userEvent.click(await screen.findByRole('button', { name: 'Edit OpenAI' }));
    const form = screen.getByRole('form', { name: 'Edit OpenAI' });

    // The saved values; no key field, the keys are listed as hints below instead.
    expect(within(form).getByLabelText('Models')).toHaveValue('gpt-4o\ngpt-4o-mini');
    expect(within(form).getByLabelText('Model aliases')).toHaveValue('gpt4=gpt-4o');
    expect(within(form).getByLabelText('Temperature')).toHaveValue(0.7);
    expect(within(form).queryByLabelText('API key')).not.toBeInTheDocument();
    const keys = screen.getByTestId('provider-keys');
    expect(within(keys).getByTestId('provider-key')).toHaveTextContent('sk-…a1b2');

    await userEvent.type(within(keys).getByLabelText('New key'), 'sk-new-secret-zz99');
    await userEvent.click(within(keys).getByRole('button', { name: 'Add key' }));
    expect(await within(keys).findByTestId('provider-keys-message')).toHaveTextContent('The key has been added.');
    expect(callsTo(fetchMock, 'POST /api/providers/p-openai/keys')[0]!.body).toEqual({ api_key: 'sk-new-secret-zz99' });
    expect(within(keys).getAllByTestId('provider-key').map((item) => item.textContent)).toEqual([
      expect.stringContaining('sk-…a1b2'),
      expect.stringContaining('sk-…zz99'),
    ]);
    expect(within(keys).getByLabelText('New key')).toHaveValue('');
    expect(document.body.innerHTML).not.toContain('sk-new-secret-zz99');
    // The list follows.
    expect(within(screen.getByTestId('providers-table')).getByTestId('provider-key-hints')).toHaveTextContent('sk-…zz99');

    await userEvent.click(within(keys).getByRole('button', { name: 'Remove the key sk-…a1b2' }));
    await userEvent.click(within(screen.getByRole('dialog', { name: 'Remove the key sk-…a1b2?' })).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(within(keys).getAllByTestId('provider-key')).toHaveLength(1));
    expect(callsTo(fetchMock, 'DELETE /api/providers/p-openai/keys/k-1')).toHaveLength(1);

    await userEvent.clear(within(form).getByLabelText('Priority'));
    await userEvent.type(within(form).getByLabelText('Priority'), '3');
    await userEvent.clear(within(form).getByLabelText('Base URL'));
    await userEvent.click(within(form).getByRole('button', { name: 'Save' }));

    expect(await screen.findByTestId('provider-saved')).toHaveTextContent('OpenAI has been saved.');
    // Only what changed; an emptied base URL is cleared with null.
    expect(callsTo(fetchMock, 'PATCH /api/admin/providers/p-openai').map((call) => call.body)).toEqual([{ base_url: null, priority: 3 }]);
    expect(screen.getByTestId('provider-row')).toHaveTextContent('3 / 1');
  });

  it('deletes a provider only after confirming', async () => {
    let items = [OPENAI, CLAUDE];
    const fetchMock = mockApi({
      ...sessionRoutes(ADMIN),
      'GET /api/admin/providers': () => list(items),
      'DELETE /api/admin/providers/p-claude': () => {
        items = [OPENAI];
        return emptyResponse(204);
      },
    });
    renderApp('/admin/providers');

    await userEvent.click(await screen.findByRole('button', { name: 'Delete Claude' }));
    await userEvent.click(within(screen.getByRole('dialog', { name: 'Delete Claude?' })).getByRole('button', { name: 'Cancel' }));
    expect(callsTo(fetchMock, 'DELETE /api/admin/providers/p-claude')).toHaveLength(0);

    await userEvent.click(screen.getByRole('button', { name: 'Delete Claude' }));
    await userEvent.click(within(screen.getByRole('dialog', { name: 'Delete Claude?' })).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByTestId('providers-message')).toHaveTextContent('Claude has been deleted.');
    expect(screen.getAllByTestId('provider-row').map((row) => row.dataset.name)).toEqual(['OpenAI']);
    expect(callsTo(fetchMock, 'DELETE /api/admin/providers/p-claude')).toHaveLength(1);
  });
});

describe('personal providers in the settings', () => {
  const MINE = provider({
    id: 'p-mine',
    name: 'My OpenRouter',
    kind: 'openrouter',
    base_url: null,
    owner: 'personal',
    keys: [{ id: 'k-m', hint: 'sk-…mine', enabled: true, created_at: STAMP }],
    models: ['meta/llama'],
    model_aliases: {},
  });
  const SHARED = { ...OPENAI, keys: [] };

  it('lists own providers with controls and the shared ones read-only', async () => {
    const fetchMock = mockApi({
      ...sessionRoutes(USER),
      'GET /api/providers': () => list([MINE, SHARED]),
      'PATCH /api/providers/p-mine': ({ body }) => jsonResponse({ ...MINE, ...(body as object) }),
    });
    renderApp('/settings/providers');

    const own = await screen.findByTestId('providers-table');
    expect(screen.getByTestId('settings-tab-providers')).toHaveAttribute('aria-current', 'page');
    expect(within(own).getAllByTestId('provider-row').map((row) => row.dataset.name)).toEqual(['My OpenRouter']);
    expect(within(own).getByTestId('provider-key-hints')).toHaveTextContent('sk-…mine');

    const shared = screen.getByTestId('shared-providers');
    expect(within(shared).getByRole('heading', { name: 'Shared by your admins' })).toBeInTheDocument();
    const row = within(shared).getByTestId('shared-provider-row');
    expect(row).toHaveTextContent('OpenAI');
    expect(row).toHaveTextContent('gpt-4o');
    expect(row).toHaveTextContent('gpt4');
    expect(within(shared).queryByRole('button')).not.toBeInTheDocument();
    expect(within(shared).queryByRole('switch')).not.toBeInTheDocument();

    await userEvent.click(within(own).getByRole('switch', { name: 'My OpenRouter enabled' }));
    await screen.findByTestId('providers-message');
    expect(callsTo(fetchMock, 'PATCH /api/providers/p-mine')[0]!.body).toEqual({ enabled: false });
  });

  it('adds a personal provider through /api/providers and shows the SSRF refusal on the base URL', async () => {
    let refuse = true;
    const fetchMock = mockApi({
      ...sessionRoutes(USER),
      'GET /api/providers': () => list([SHARED]),
      'POST /api/providers': ({ body }) =>
        refuse
          ? errorResponse(422, 'validation_failed', 'base_url', { fields: { base_url: 'resolves to a loopback address' } })
          : jsonResponse(provider({ ...(body as object), id: 'p-2', owner: 'personal', keys: [] }), 201),
    });
    renderApp('/settings/providers');
    expect(await screen.findByTestId('providers-empty')).toHaveTextContent('You have no providers of your own.');
    const form = await openAddForm();
    await userEvent.selectOptions(within(form).getByLabelText('Kind'), 'ollama');
    await userEvent.type(within(form).getByLabelText('Name'), 'Home Ollama');
    await userEvent.type(within(form).getByLabelText('Base URL'), 'http://127.0.0.1:11434');
    await userEvent.click(within(form).getByRole('button', { name: 'Add provider' }));
    expect(await screen.findByTestId('provider-base-url-error')).toHaveTextContent('resolves to a loopback address');

    refuse = false;
    await userEvent.clear(within(form).getByLabelText('Base URL'));
    await userEvent.type(within(form).getByLabelText('Base URL'), 'https://ollama.example.com');
    await userEvent.click(within(form).getByRole('button', { name: 'Add provider' }));
    expect(await screen.findByTestId('provider-saved')).toHaveTextContent('Home Ollama has been added.');
    expect(callsTo(fetchMock, 'POST /api/providers').at(-1)!.body).toMatchObject({
      name: 'Home Ollama',
      kind: 'ollama',
      base_url: 'https://ollama.example.com',
    });
    expect(callsTo(fetchMock, 'POST /api/providers').at(-1)!.body).not.toHaveProperty('api_key');
    expect(within(screen.getByTestId('providers-table')).getByTestId('provider-row')).toHaveAttribute('data-name', 'Home Ollama');
    // The shared provider stays in its own section.
    expect(within(screen.getByTestId('shared-providers')).getByTestId('shared-provider-row')).toHaveTextContent('OpenAI');
  });

  it('is translated', async () => {
    mockApi({ ...sessionRoutes(USER), 'GET /api/providers': () => list([SHARED]) });
    await i18n.changeLanguage('zh-CN');
    renderApp('/settings/providers');
    expect(await screen.findByRole('heading', { name: '管理员共享的供应商' })).toBeInTheDocument();
    expect(screen.getByTestId('settings-tab-api-keys')).toHaveTextContent('API 密钥');
    await i18n.changeLanguage('en');
  });
});
