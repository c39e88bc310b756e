import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { endOfLocalDay, type ApiKey } from '../../api/keys.ts';
import i18n from '../../i18n/index.ts';
import {
  CSRF,
  callsTo,
  emptyResponse,
  errorResponse,
  jsonResponse,
  mockApi,
  renderApp,
  sessionRoutes,
  setSessionCookie,
} from '../../test/helpers.tsx';

const FULL_KEY = `sk-llmm-${'A1b2C3d4E5'.repeat(4)}xyz`;
const OLD_KEY: ApiKey = {
  id: 'key-old',
  name: 'laptop',
  hint: 'sk-llmm-…9zQ1',
  models: null,
  expires_at: null,
  last_used_at: null,
  created_at: '2026-11-20T10:00:00Z',
};

beforeEach(async () => {
  await i18n.changeLanguage('en');
  setSessionCookie();
});

describe('endOfLocalDay', () => {
  it('is the last second of that day in local time, as RFC 3339 with the offset', () => {
    const end = endOfLocalDay('2030-01-31')!;
    expect(end).toMatch(/^2030-01-31T23:59:59[+-]\d{2}:\d{2}$/);
    expect(new Date(end).getTime()).toBe(new Date(2030, 0, 31, 23, 59, 59).getTime());
    expect(endOfLocalDay('2030-02-30')).toBeNull();
    expect(endOfLocalDay('tomorrow')).toBeNull();
  });
});

describe('API keys settings', () => {
  it('creates a key, shows it once with a copy button, and forgets it after Done', async () => {
    let keys = [OLD_KEY];
    const writeText = vi.fn(async () => {});
    vi.stubGlobal('navigator', Object.assign(Object.create(navigator) as Navigator, { clipboard: { writeText } }));
    const fetchMock = mockApi({
      ...sessionRoutes(),
      'GET /api/keys': () => jsonResponse({ items: keys }),
      'POST /api/keys': ({ body }) => {
        const input = body as { name: string; expires_at?: string; models?: string[] };
        const made: ApiKey = {
          id: 'key-new',
          name: input.name,
          hint: 'sk-llmm-…0xyz',
          models: input.models ?? null,
          expires_at: input.expires_at ?? null,
          last_used_at: null,
          created_at: '2026-11-21T10:00:00Z',
        };
        keys = [...keys, made];
        return jsonResponse({ ...made, key: FULL_KEY }, 201);
      },
    });
    renderApp('/settings/api-keys');
    expect(await screen.findByTestId('api-keys-table')).toBeInTheDocument();
    expect(screen.getByTestId('settings-tab-api-keys')).toHaveAttribute('aria-current', 'page');

    // The name is required.
    await userEvent.click(screen.getByRole('button', { name: 'Create key' }));
    expect(await screen.findByTestId('api-key-name-error')).toHaveTextContent('Required.');
    expect(callsTo(fetchMock, 'POST /api/keys')).toHaveLength(0);

    await userEvent.type(screen.getByLabelText('Name'), 'CI');
    await userEvent.type(screen.getByLabelText('Last day (optional)'), '2030-01-31');
    await userEvent.type(screen.getByLabelText('Allowed models (optional)'), 'gpt-4o, claude-sonnet');
    await userEvent.click(screen.getByRole('button', { name: 'Create key' }));

    const panel = await screen.findByTestId('api-key-created');
    expect(within(panel).getByTestId('api-key-secret')).toHaveTextContent(FULL_KEY);
    expect(panel).toHaveTextContent('It will not be shown again.');
    const [post] = callsTo(fetchMock, 'POST /api/keys');
    expect(post!.body).toEqual({ name: 'CI', expires_at: endOfLocalDay('2030-01-31'), models: ['gpt-4o', 'claude-sonnet'] });
    expect(post!.headers['X-CSRF-Token']).toBe(CSRF);
    expect(screen.getByLabelText('Name')).toHaveValue('');

    await userEvent.click(within(panel).getByRole('button', { name: 'Copy' }));
    expect(writeText).toHaveBeenCalledWith(FULL_KEY);
    expect(await within(panel).findByTestId('api-key-copied')).toHaveTextContent('Copied');

    // The list shows the new key by its hint and allow-list.
    await waitFor(() => expect(screen.getAllByTestId('api-key-row')).toHaveLength(2));
    const row = screen.getAllByTestId('api-key-row')[1]!;
    expect(row).toHaveTextContent('sk-llmm-…0xyz');
    expect(row).toHaveTextContent('gpt-4o');
    expect(row).toHaveTextContent('claude-sonnet');
    expect(row).not.toHaveTextContent(FULL_KEY);

    await userEvent.click(within(panel).getByRole('button', { name: 'Done' }));
    expect(screen.queryByTestId('api-key-created')).not.toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain(FULL_KEY);
  });

  it('lists keys with all models, never and the usage guide for this server', async () => {
    mockApi({ ...sessionRoutes(), 'GET /api/keys': () => jsonResponse({ items: [OLD_KEY] }) });
    renderApp('/settings/api-keys');
    const row = await screen.findByTestId('api-key-row');
    expect(row).toHaveTextContent('laptop');
    expect(row).toHaveTextContent('sk-llmm-…9zQ1');
    expect(row).toHaveTextContent('All models');
    expect(within(row).getAllByText('Never')).toHaveLength(2);
    for (const cell of within(row).getAllByRole('cell')) {
      if (!cell.classList.contains('cell-actions')) expect(cell).toHaveAttribute('data-label');
    }

    const base = `${window.location.origin}/v1`;
    expect(screen.getByTestId('api-base-url')).toHaveTextContent(base);
    expect(screen.getByTestId('api-snippet-curl')).toHaveTextContent(`curl ${base}/chat/completions`);
    expect(screen.getByTestId('api-snippet-python')).toHaveTextContent(`OpenAI(base_url="${base}", api_key=`);
  });

  it('revokes a key with DELETE only after confirming', async () => {
    let keys = [OLD_KEY];
    const fetchMock = mockApi({
      ...sessionRoutes(),
      'GET /api/keys': () => jsonResponse({ items: keys }),
      'DELETE /api/keys/key-old': () => {
        keys = [];
        return emptyResponse(204);
      },
    });
    renderApp('/settings/api-keys');

    await userEvent.click(await screen.findByRole('button', { name: 'Revoke laptop' }));
    const dialog = screen.getByRole('dialog', { name: 'Revoke laptop?' });
    expect(dialog).toHaveTextContent('sk-llmm-…9zQ1');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(callsTo(fetchMock, 'DELETE /api/keys/key-old')).toHaveLength(0);

    await userEvent.click(screen.getByRole('button', { name: 'Revoke laptop' }));
    await userEvent.click(within(screen.getByRole('dialog', { name: 'Revoke laptop?' })).getByRole('button', { name: 'Revoke' }));
    expect(await screen.findByTestId('api-keys-message')).toHaveTextContent('laptop has been revoked.');
    expect(await screen.findByTestId('api-keys-empty')).toBeInTheDocument();
    expect(callsTo(fetchMock, 'DELETE /api/keys/key-old')[0]!.headers['X-CSRF-Token']).toBe(CSRF);
  });

  it('shows a 422 next to its field', async () => {
    mockApi({
      ...sessionRoutes(),
      'GET /api/keys': () => jsonResponse({ items: [] }),
      'POST /api/keys': () => errorResponse(422, 'validation_failed', 'models', { fields: { models: 'unknown model: nope' } }),
    });
    renderApp('/settings/api-keys');
    await userEvent.type(await screen.findByLabelText('Name'), 'x');
    await userEvent.type(screen.getByLabelText('Allowed models (optional)'), 'nope');
    await userEvent.click(screen.getByRole('button', { name: 'Create key' }));
    expect(await screen.findByTestId('api-key-models-error')).toHaveTextContent('unknown model: nope');
    expect(screen.queryByTestId('api-key-created')).not.toBeInTheDocument();
  });

  it('edits a key in place with PATCH: name, models, and a cleared expiry; a 422 lands on its field', async () => {
    let keys: ApiKey[] = [{ ...OLD_KEY, models: ['gpt-4o'], expires_at: '2099-01-01T00:00:00Z' }];
    const fetchMock = mockApi({
      ...sessionRoutes(),
      'GET /api/keys': () => jsonResponse({ items: keys }),
      'PATCH /api/keys/key-old': (req) => {
        const body = req.body as { name: string; models: string[] | null; expires_at?: string | null };
        if (body.name === 'bad') return errorResponse(422, 'validation_failed', 'name', { fields: { name: 'must be 1 to 64 characters' } });
        keys = [{ ...keys[0]!, name: body.name, models: body.models, expires_at: body.expires_at ?? null }];
        return jsonResponse(keys[0]);
      },
    });
    renderApp('/settings/api-keys');
    await userEvent.click(await screen.findByTestId('api-key-edit'));
    const panel = screen.getByTestId('api-key-edit-panel');
    expect(within(panel).getByTestId('api-key-edit-models')).toHaveValue('gpt-4o');
    await userEvent.clear(within(panel).getByTestId('api-key-edit-name'));
    await userEvent.type(within(panel).getByTestId('api-key-edit-name'), 'bad');
    await userEvent.click(within(panel).getByTestId('api-key-edit-save'));
    expect(await screen.findByTestId('api-key-edit-name-error')).toHaveTextContent('must be 1 to 64 characters');
    await userEvent.clear(within(panel).getByTestId('api-key-edit-name'));
    await userEvent.type(within(panel).getByTestId('api-key-edit-name'), 'desktop');
    await userEvent.clear(within(panel).getByTestId('api-key-edit-models'));
    await userEvent.type(within(panel).getByTestId('api-key-edit-models'), 'gpt-4o, fake-model');
    await userEvent.clear(within(panel).getByTestId('api-key-edit-expires'));
    await userEvent.click(within(panel).getByTestId('api-key-edit-save'));
    expect(await screen.findByTestId('api-keys-message')).toHaveTextContent('The key desktop is saved');
    expect(callsTo(fetchMock, 'PATCH /api/keys/key-old').at(-1)!.body).toEqual({ name: 'desktop', models: ['gpt-4o', 'fake-model'], expires_at: null });
    await waitFor(() => expect(screen.getByTestId('api-key-row')).toHaveAttribute('data-name', 'desktop'));
    expect(screen.queryByTestId('api-key-edit-panel')).not.toBeInTheDocument();
  });
});
