import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import i18n from '../../i18n/index.ts';
import type { ModelLimits, Price } from '../../api/usage.ts';
import { ADMIN, callsTo, jsonResponse, mockApi, renderApp, setSessionCookie } from '../../test/helpers.tsx';

const PRICE: Price = { model: 'gpt-4o', input_per_mtok: '2.5', output_per_mtok: '10', cached_input_per_mtok: '1.25', currency: 'USD', max_output_tokens: null, updated_at: '2026-12-06T10:00:00Z' };
const row = (key: string, label: string | null, cost: string, requests: number) => ({
  key, label, requests, errors: 0, prompt_tokens: 10 * requests, completion_tokens: 5 * requests, cached_tokens: 0, cost, avg_latency_ms: 120,
});

// The page renders the dashboard's charts, the table, the limit forms and the price table: slower than most.
describe('admin usage and prices', { timeout: 15_000 }, () => {
  beforeEach(async () => {
    await i18n.changeLanguage('en');
    setSessionCookie();
  });

  it('groups usage, links the CSV and sets, shows and removes prices', async () => {
    let prices = [PRICE];
    const fetchMock = mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/admin/statistics': (req) => {
        const group = req.url.searchParams.get('group_by');
        const rows = group === 'user' ? [row('u-1', 'uma', '0.000135', 2)] : [row('2026-12-06', null, '0.000135', 2)];
        return jsonResponse({ group_by: group, from: '2026-11-07', to: '2026-12-06', rows });
      },
      'GET /api/admin/prices': () => jsonResponse(prices),
      'PUT /api/admin/prices/fake-model': (req) => {
        const body = req.body as { input_per_mtok: string; output_per_mtok: string };
        if (body.input_per_mtok === '2,50') {
          return jsonResponse({ error: { code: 'validation_failed', message: 'invalid', details: { fields: { input_per_mtok: 'must be a decimal number such as "2.50"' } } } }, 422);
        }
        prices = [...prices, { ...PRICE, model: 'fake-model', input_per_mtok: body.input_per_mtok, output_per_mtok: body.output_per_mtok, cached_input_per_mtok: null }];
        return jsonResponse(prices[prices.length - 1]);
      },
      'DELETE /api/admin/prices/gpt-4o': () => {
        prices = prices.filter((p) => p.model !== 'gpt-4o');
        return new Response(null, { status: 204 });
      },
    });
    renderApp('/admin/usage');
    const table = await screen.findByTestId('usage-table');
    expect(within(table).getByTestId('usage-row')).toHaveTextContent('2026-12-06');
    expect(screen.getByTestId('usage-csv')).toHaveAttribute('href', '/api/admin/statistics?group_by=day&format=csv');
    await userEvent.selectOptions(screen.getByTestId('usage-group'), 'user');
    await waitFor(() => expect(screen.getByTestId('usage-row')).toHaveTextContent('uma'));
    expect(screen.getByTestId('usage-csv')).toHaveAttribute('href', '/api/admin/statistics?group_by=user&format=csv');

    expect(await screen.findByTestId('price-row')).toHaveTextContent('2.5 USD');
    await userEvent.type(screen.getByTestId('price-model'), 'fake-model');
    await userEvent.type(screen.getByTestId('price-input'), '2,50');
    await userEvent.type(screen.getByTestId('price-output'), '10');
    await userEvent.click(screen.getByTestId('price-save'));
    expect(await screen.findByText('must be a decimal number such as "2.50"')).toBeInTheDocument();
    await userEvent.clear(screen.getByTestId('price-input'));
    await userEvent.type(screen.getByTestId('price-input'), '1.5');
    await userEvent.click(screen.getByTestId('price-save'));
    await waitFor(() => expect(screen.getAllByTestId('price-row')).toHaveLength(2));
    expect(callsTo(fetchMock, 'PUT /api/admin/prices/fake-model').at(-1)!.body).toEqual({ input_per_mtok: '1.5', output_per_mtok: '10', cached_input_per_mtok: null });
    await userEvent.click(within(screen.getAllByTestId('price-row')[0]!).getByTestId('price-delete'));
    await waitFor(() => expect(screen.getAllByTestId('price-row')).toHaveLength(1));
  });

  it('draws the dashboard: requests, tokens, cost and latency per day, and the top groups by cost', async () => {
    mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/admin/statistics': (req) => {
        const group = req.url.searchParams.get('group_by');
        const rows =
          group === 'day'
            ? [row('2026-12-05', null, '0.5', 4), { ...row('2026-12-06', null, '1.25', 10), errors: 2 }]
            : group === 'model'
              ? [row('cheap', null, '0.25', 9), row('dear', null, '1.5', 5)]
              : [row(`${group}-1`, `${group} one`, '1.75', 14)];
        return jsonResponse({ group_by: group, from: '2026-11-07', to: '2026-12-06', rows });
      },
      'GET /api/admin/prices': () => jsonResponse([]),
    });
    renderApp('/admin/usage');
    const requests = await screen.findByTestId('chart-requests');
    expect(within(requests).getByText('Requests and errors per day')).toBeInTheDocument();
    // 30 days on the axis: the days without calls are drawn as zeros, not left out.
    await waitFor(() => expect(requests.querySelectorAll('.recharts-bar-rectangle path').length).toBeGreaterThanOrEqual(3));
    for (const id of ['chart-tokens', 'chart-cost', 'chart-top-user', 'chart-top-model', 'chart-top-provider', 'chart-top-key']) {
      expect(screen.getByTestId(id).querySelector('svg')).not.toBeNull();
    }
    // The models are ranked by cost, the dearest first.
    const models = screen.getByTestId('chart-top-model');
    const names = [...models.querySelectorAll('.recharts-bar-rectangle path')].map((bar) => bar.getAttribute('name'));
    expect(names).toEqual(['dear', 'cheap']);
    expect(screen.getByTestId('chart-top-user').querySelector('.recharts-bar-rectangle path')).toHaveAttribute('name', 'user one');
  });

  it('sets the default limits of users, with the server\'s field errors on their fields', async () => {
    const fetchMock = mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/admin/statistics': () => jsonResponse({ group_by: 'day', from: '2026-11-07', to: '2026-12-06', rows: [] }),
      'GET /api/admin/prices': () => jsonResponse([]),
      'GET /api/admin/quotas/roles/user': () => jsonResponse(null),
      'GET /api/admin/quotas/roles/admin': () => jsonResponse({ scope: 'role', subject: 'admin', period: 'day', max_cost: null, max_tokens: null, rpm: 1000, tpm: null }),
      'PUT /api/admin/quotas/roles/user': (req) => {
        const body = req.body as { rpm: number | null };
        if (body.rpm === 0) {
          return jsonResponse({ error: { code: 'validation_failed', message: 'invalid', details: { fields: { rpm: 'must be at least 1 (null: no limit)' } } } }, 422);
        }
        return jsonResponse({ scope: 'role', subject: 'user', ...(req.body as object) });
      },
    });
    renderApp('/admin/usage');
    await userEvent.type(await screen.findByTestId('role-limits-max-cost'), '0.05');
    await userEvent.type(screen.getByTestId('role-limits-rpm'), '0');
    await userEvent.click(screen.getByTestId('role-limits-save'));
    expect(await screen.findByText('must be at least 1 (null: no limit)')).toBeInTheDocument();
    await userEvent.clear(screen.getByTestId('role-limits-rpm'));
    await userEvent.type(screen.getByTestId('role-limits-rpm'), '5');
    await userEvent.click(screen.getByTestId('role-limits-save'));
    await screen.findByTestId('role-limits-saved');
    // The admin role has defaults of its own.
    await userEvent.selectOptions(screen.getByTestId('role-limits-role'), 'admin');
    await waitFor(() => expect(callsTo(fetchMock, 'GET /api/admin/quotas/roles/admin')).toHaveLength(1));
    await waitFor(() => expect(screen.getByTestId('role-limits-rpm')).toHaveValue(1000));
    expect(callsTo(fetchMock, 'PUT /api/admin/quotas/roles/user').at(-1)!.body).toEqual({ period: 'day', max_cost: '0.05', max_tokens: null, rpm: 5, tpm: null });
  });

  it('sets, edits and removes a model\'s rate limit', async () => {
    let limits: ModelLimits[] = [{ scope: 'model', subject: 'gpt-4o', rpm: 60, tpm: null }];
    const fetchMock = mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/admin/statistics': () => jsonResponse({ group_by: 'day', from: '2026-11-07', to: '2026-12-06', rows: [] }),
      'GET /api/admin/prices': () => jsonResponse([]),
      'GET /api/admin/quotas/roles/user': () => jsonResponse(null),
      'GET /api/admin/quotas/models': () => jsonResponse(limits),
      'PUT /api/admin/quotas/models/org%2Fbig': (req) => {
        const body = req.body as { rpm: number | null; tpm: number | null };
        if (body.rpm === 0) {
          return jsonResponse({ error: { code: 'validation_failed', message: 'invalid', details: { fields: { rpm: 'must be at least 1 (null: no limit)' } } } }, 422);
        }
        limits = [...limits, { scope: 'model', subject: 'org/big', ...body }];
        return jsonResponse(limits.at(-1));
      },
      'DELETE /api/admin/quotas/models/gpt-4o': () => {
        limits = limits.filter((l) => l.subject !== 'gpt-4o');
        return new Response(null, { status: 204 });
      },
    });
    renderApp('/admin/usage');
    const row = await screen.findByTestId('model-limit-row');
    expect(row).toHaveTextContent('gpt-4o');
    expect(row).toHaveTextContent('no limit');
    await userEvent.type(screen.getByTestId('model-limit-model'), 'org/big');
    await userEvent.type(screen.getByTestId('model-limit-rpm'), '0');
    await userEvent.click(screen.getByTestId('model-limit-save'));
    expect(await screen.findByText('must be at least 1 (null: no limit)')).toBeInTheDocument();
    await userEvent.clear(screen.getByTestId('model-limit-rpm'));
    await userEvent.type(screen.getByTestId('model-limit-rpm'), '100');
    await userEvent.type(screen.getByTestId('model-limit-tpm'), '50000');
    await userEvent.click(screen.getByTestId('model-limit-save'));
    await waitFor(() => expect(screen.getAllByTestId('model-limit-row')).toHaveLength(2));
    expect(callsTo(fetchMock, 'PUT /api/admin/quotas/models/org%2Fbig').at(-1)!.body).toEqual({ rpm: 100, tpm: 50000 });
    await userEvent.click(within(screen.getAllByTestId('model-limit-row')[0]!).getByTestId('model-limit-delete'));
    await waitFor(() => expect(screen.getAllByTestId('model-limit-row')).toHaveLength(1));
    expect(screen.getByTestId('model-limit-row')).toHaveAttribute('data-model', 'org/big');
  });
});
