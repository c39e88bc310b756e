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

const BOB = { ...USER, id: 'u-bob', username: 'bob', email: 'bob@example.com', display_name: null, last_login_at: null };
const ZOE = { ...USER, id: 'u-zoe', username: 'zoe', email: 'zoe@example.com', display_name: 'Zoe', role: 'admin' };

function page(items: unknown[], total = items.length, pageNo = 1) {
  return jsonResponse({ items, total, page: pageNo, per_page: 20 });
}

beforeEach(async () => {
  await i18n.changeLanguage('en');
  setSessionCookie();
});

describe('admin users page', () => {
  it('lists users and searches after typing stops', async () => {
    const fetchMock = mockApi({
      ...sessionRoutes(ADMIN),
      'GET /api/admin/users': ({ url }) => {
        const q = url.searchParams.get('q');
        return page(q ? [USER].filter((user) => user.username.includes(q)) : [ADMIN, USER, BOB]);
      },
    });
    const { router } = renderApp('/admin/users');

    await screen.findByTestId('users-table');
    expect(screen.getAllByTestId('user-row').map((row) => row.dataset.username)).toEqual(['root', 'alice', 'bob']);
    expect(callsTo(fetchMock, 'GET /api/admin/users')[0]!.url.search).toBe('?page=1&per_page=20');

    await userEvent.type(screen.getByLabelText('Search'), 'ali');

    await waitFor(() => expect(screen.getAllByTestId('user-row')).toHaveLength(1));
    const queries = callsTo(fetchMock, 'GET /api/admin/users').map((call) => call.url.searchParams.get('q'));
    expect(queries).toEqual([null, 'ali']);
    expect(router.state.location.search).toBe('?q=ali');
  });

  it('filters by role and status and pages', async () => {
    const fetchMock = mockApi({
      ...sessionRoutes(ADMIN),
      'GET /api/admin/users': ({ url }) => page([BOB], 45, Number(url.searchParams.get('page') ?? 1)),
    });
    renderApp('/admin/users');
    await screen.findByTestId('users-table');

    await userEvent.selectOptions(screen.getByLabelText('Role'), 'guest');
    await userEvent.selectOptions(screen.getByLabelText('Status'), 'false');
    await userEvent.click(await screen.findByRole('button', { name: 'Next' }));

    await waitFor(() => expect(screen.getByTestId('users-pager')).toHaveTextContent('Page 2 of 3 · 45 in all'));
    const last = callsTo(fetchMock, 'GET /api/admin/users').at(-1)!.url.searchParams;
    expect(Object.fromEntries(last)).toEqual({ role: 'guest', active: 'false', page: '2', per_page: '20' });
  });

  it('changes a role with a PATCH of only the role', async () => {
    const fetchMock = mockApi({
      ...sessionRoutes(ADMIN),
      'GET /api/admin/users': () => page([ADMIN, USER]),
      'PATCH /api/admin/users/0190a0c0-0000-7000-8000-000000000002': ({ body }) => jsonResponse({ ...USER, ...(body as object) }),
    });
    renderApp('/admin/users');

    const select = await screen.findByRole('combobox', { name: 'Role of alice' });
    await userEvent.selectOptions(select, 'admin');

    expect(await screen.findByTestId('users-message')).toHaveTextContent('alice is now: Admin.');
    const [patch] = callsTo(fetchMock, 'PATCH /api/admin/users/0190a0c0-0000-7000-8000-000000000002');
    expect(patch!.body).toEqual({ role: 'admin' });
    expect(patch!.headers['X-CSRF-Token']).toBe(CSRF);
    expect(select).toHaveValue('admin');
    // One's own row cannot be changed here.
    expect(screen.getByRole('combobox', { name: 'Role of root' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Delete root' })).toBeDisabled();
  });

  it('shows the 409 of the last admin and keeps the row as it was', async () => {
    mockApi({
      ...sessionRoutes(ADMIN),
      'GET /api/admin/users': () => page([ADMIN, ZOE]),
      'PATCH /api/admin/users/u-zoe': () =>
        errorResponse(409, 'conflict', 'this is the last active admin; promote another user first'),
    });
    renderApp('/admin/users');

    await userEvent.click(await screen.findByRole('button', { name: 'Disable zoe' }));

    expect(await screen.findByTestId('users-error')).toHaveTextContent('this is the last active admin; promote another user first');
    const row = screen.getAllByTestId('user-row')[1]!;
    expect(within(row).getByTestId('user-status')).toHaveTextContent('Active');
  });

  it('gives and takes the models permission with a PATCH of the whole list', async () => {
    const fetchMock = mockApi({
      ...sessionRoutes(ADMIN),
      'GET /api/admin/users': () => page([ADMIN, BOB]),
      'PATCH /api/admin/users/u-bob': ({ body }) => jsonResponse({ ...BOB, ...(body as object) }),
    });
    renderApp('/admin/users');
    const box = await screen.findByRole('checkbox', { name: 'bob may manage models' });
    // An admin may manage everything: no box on the admin's row.
    expect(screen.getAllByTestId('user-perm-models')).toHaveLength(1);
    await userEvent.click(box);
    expect(await screen.findByTestId('users-message')).toHaveTextContent('bob may now manage models.');
    expect(box).toBeChecked();
    await userEvent.click(box);
    await waitFor(() => expect(box).not.toBeChecked());
    const patches = callsTo(fetchMock, 'PATCH /api/admin/users/u-bob').map((c) => c.body);
    expect(patches).toEqual([{ permissions: ['models'] }, { permissions: [] }]);
  });

  it('gives the deployments permission beside the models one, keeping the other', async () => {
    const carol = { ...BOB, id: 'u-carol', username: 'carol', permissions: ['models'] };
    const fetchMock = mockApi({
      ...sessionRoutes(ADMIN),
      'GET /api/admin/users': () => page([ADMIN, carol]),
      'PATCH /api/admin/users/u-carol': ({ body }) => jsonResponse({ ...carol, ...(body as object) }),
    });
    renderApp('/admin/users');
    const box = await screen.findByRole('checkbox', { name: 'carol may manage deployments' });
    expect(screen.getAllByTestId('user-perm-deployments')).toHaveLength(1);
    expect(box).not.toBeChecked();
    expect(screen.getByTestId('user-perm-models')).toBeChecked();
    await userEvent.click(box);
    expect(await screen.findByTestId('users-message')).toHaveTextContent('carol may now manage deployments and watch the system.');
    expect(box).toBeChecked();
    await userEvent.click(box);
    expect(await screen.findByText('carol may no longer manage deployments.')).toBeInTheDocument();
    const patches = callsTo(fetchMock, 'PATCH /api/admin/users/u-carol').map((c) => c.body);
    expect(patches).toEqual([{ permissions: ['models', 'deployments'] }, { permissions: ['models'] }]);
  });

  it('disables and enables a user', async () => {
    const fetchMock = mockApi({
      ...sessionRoutes(ADMIN),
      'GET /api/admin/users': () => page([BOB]),
      'PATCH /api/admin/users/u-bob': ({ body }) => jsonResponse({ ...BOB, ...(body as object) }),
    });
    renderApp('/admin/users');

    await userEvent.click(await screen.findByRole('button', { name: 'Disable bob' }));
    expect(await screen.findByTestId('users-message')).toHaveTextContent('bob has been disabled and logged out.');
    expect(screen.getByTestId('user-status')).toHaveTextContent('Disabled');
    expect(callsTo(fetchMock, 'PATCH /api/admin/users/u-bob')[0]!.body).toEqual({ is_active: false });

    await userEvent.click(screen.getByRole('button', { name: 'Enable bob' }));
    await waitFor(() => expect(screen.getByTestId('user-status')).toHaveTextContent('Active'));
    expect(callsTo(fetchMock, 'PATCH /api/admin/users/u-bob')[1]!.body).toEqual({ is_active: true });
  });

  it('deletes only after confirming in a dialog', async () => {
    let users = [ADMIN, BOB];
    const fetchMock = mockApi({
      ...sessionRoutes(ADMIN),
      'GET /api/admin/users': () => page(users),
      'DELETE /api/admin/users/u-bob': () => {
        users = [ADMIN];
        return emptyResponse(204);
      },
    });
    renderApp('/admin/users');

    const remove = await screen.findByRole('button', { name: 'Delete bob' });
    await userEvent.click(remove);
    let dialog = screen.getByRole('dialog', { name: 'Delete bob?' });
    expect(dialog).toHaveTextContent('bob@example.com');
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(remove).toHaveFocus();

    await userEvent.click(remove);
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(callsTo(fetchMock, 'DELETE /api/admin/users/u-bob')).toHaveLength(0);

    await userEvent.click(remove);
    dialog = screen.getByRole('dialog', { name: 'Delete bob?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));

    expect(await screen.findByTestId('users-message')).toHaveTextContent('bob has been deleted.');
    await waitFor(() => expect(screen.getAllByTestId('user-row')).toHaveLength(1));
    expect(callsTo(fetchMock, 'DELETE /api/admin/users/u-bob')).toHaveLength(1);
  });

  it('sends a password reset mail', async () => {
    const fetchMock = mockApi({
      ...sessionRoutes(ADMIN),
      'GET /api/admin/users': () => page([BOB]),
      'POST /api/admin/users/u-bob/reset-password': () => emptyResponse(202),
    });
    renderApp('/admin/users');
    await userEvent.click(await screen.findByRole('button', { name: 'Send bob a password reset mail' }));
    expect(await screen.findByTestId('users-message')).toHaveTextContent('sent to bob (bob@example.com)');
    expect(callsTo(fetchMock, 'POST /api/admin/users/u-bob/reset-password')).toHaveLength(1);
  });

  it('links the CSV and JSON exports', async () => {
    mockApi({ ...sessionRoutes(ADMIN), 'GET /api/admin/users': () => page([ADMIN]) });
    renderApp('/admin/users');
    expect(await screen.findByRole('link', { name: 'Export CSV' })).toHaveAttribute('href', '/api/admin/users/export?format=csv');
    expect(screen.getByRole('link', { name: 'Export JSON' })).toHaveAttribute('href', '/api/admin/users/export?format=json');
  });
});

describe('audit log page', () => {
  const hostile = '<img src=x onerror=alert(1)>';
  const events = [
    {
      id: 'e1',
      actor_id: null,
      action: 'auth.login_failed',
      target_type: null,
      target_id: null,
      ip: '10.1.2.3',
      details: { login: hostile, reason: 'unknown account' },
      created_at: '2026-11-21T22:00:00Z',
    },
    {
      id: 'e2',
      actor_id: ADMIN.id,
      action: 'admin.user_updated',
      target_type: 'user',
      target_id: USER.id,
      ip: '127.0.0.1',
      details: { role: { from: 'user', to: 'admin' } },
      created_at: '2026-11-21T21:00:00Z',
    },
  ];

  it('shows details as text, never as markup', async () => {
    mockApi({ ...sessionRoutes(ADMIN), 'GET /api/admin/audit-log': () => jsonResponse({ items: events, total: 2, page: 1, per_page: 50 }) });
    renderApp('/admin/audit-log');

    const table = await screen.findByTestId('audit-table');
    const [first, second] = within(table).getAllByTestId('audit-row');
    expect(within(first!).getByTestId('audit-details').textContent).toBe(JSON.stringify(events[0]!.details));
    expect(table.querySelector('img')).toBeNull();
    expect(document.querySelector('img[src="x"]')).toBeNull();
    expect(first).toHaveTextContent('auth.login_failed');
    expect(first).toHaveTextContent('Anonymous');
    expect(first).toHaveTextContent('10.1.2.3');
    expect(second).toHaveTextContent('user 0190a0c0…');
  });

  it('filters by an action prefix', async () => {
    const fetchMock = mockApi({
      ...sessionRoutes(ADMIN),
      'GET /api/admin/audit-log': ({ url }) => {
        const action = url.searchParams.get('action') ?? '';
        return jsonResponse({ items: events.filter((event) => event.action.startsWith(action)), total: 1, page: 1, per_page: 50 });
      },
    });
    renderApp('/admin/audit-log');
    await screen.findByTestId('audit-table');

    await userEvent.type(screen.getByLabelText('Action'), 'admin.');
    await userEvent.click(screen.getByRole('button', { name: 'Filter' }));
    await waitFor(() => expect(screen.getAllByTestId('audit-row')).toHaveLength(1));
    expect(screen.getByTestId('audit-row')).toHaveAttribute('data-action', 'admin.user_updated');

    await userEvent.click(screen.getByRole('button', { name: 'auth.' }));
    await waitFor(() => expect(screen.getByTestId('audit-row')).toHaveAttribute('data-action', 'auth.login_failed'));
    expect(screen.getByRole('button', { name: 'auth.' })).toHaveAttribute('aria-pressed', 'true');
    expect(callsTo(fetchMock, 'GET /api/admin/audit-log').map((call) => call.url.searchParams.get('action'))).toEqual([
      null,
      'admin.',
      'auth.',
    ]);
  });
});
