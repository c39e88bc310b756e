import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import i18n from '../../i18n/index.ts';
import { MODELS, message } from '../../test/chatServer.ts';
import { ADMIN, callsTo, errorResponse, jsonResponse, mockApi, renderApp, setSessionCookie } from '../../test/helpers.tsx';

beforeEach(async () => {
  await i18n.changeLanguage('en');
  setSessionCookie();
});

describe('admin guest chat settings', () => {
  it('loads the settings, shows a field error from the server and saves', async () => {
    let attempts = 0;
    const fetchMock = mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/admin/guest-chat': () => jsonResponse({ enabled: false, model: null, requests_per_hour: 20, max_message_chars: 2000 }),
      'GET /api/llm/models': () => jsonResponse({ items: MODELS }),
      'PUT /api/admin/guest-chat': ({ body }) => {
        attempts += 1;
        return attempts === 1
          ? errorResponse(422, 'validation_failed', 'requests_per_hour: must be between 1 and 10000', {
              fields: { requests_per_hour: 'must be between 1 and 10000' },
            })
          : jsonResponse(body);
      },
    });
    renderApp('/admin/guest-chat');

    const requests = await screen.findByTestId('guest-requests');
    expect(screen.getByTestId('admin-tab-guest-chat')).toHaveAttribute('aria-current', 'page');
    expect(requests).toHaveValue(20);
    expect(screen.getByTestId('guest-max-chars')).toHaveValue(2000);
    expect(screen.getByTestId('guest-enabled')).not.toBeChecked();

    await userEvent.click(screen.getByTestId('guest-enabled'));
    await waitFor(() => expect(within(screen.getByTestId('guest-model')).getAllByRole('option')).toHaveLength(3));
    await userEvent.selectOptions(screen.getByTestId('guest-model'), 'fake-model');
    await userEvent.clear(requests);
    await userEvent.type(requests, '0');
    await userEvent.click(screen.getByTestId('guest-save'));

    expect(await screen.findByTestId('guest-requests-error')).toHaveTextContent('must be between 1 and 10000');
    expect(requests).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByTestId('guest-settings-error')).not.toBeInTheDocument();
    expect(screen.queryByTestId('guest-saved')).not.toBeInTheDocument();

    await userEvent.clear(requests);
    await userEvent.type(requests, '30');
    await userEvent.click(screen.getByTestId('guest-save'));
    expect(await screen.findByTestId('guest-saved')).toHaveTextContent('Guest chat is on.');
    expect(screen.queryByTestId('guest-requests-error')).not.toBeInTheDocument();
    expect(callsTo(fetchMock, 'PUT /api/admin/guest-chat').map((call) => call.body)).toEqual([
      { enabled: true, model: 'fake-model', requests_per_hour: 0, max_message_chars: 2000 },
      { enabled: true, model: 'fake-model', requests_per_hour: 30, max_message_chars: 2000 },
    ]);
  });
});

describe('admin message list', () => {
  const LONG = `${'word '.repeat(100)}end`;

  it('filters by text, user, conversation, role and status, pages, and shows content as short plain text', async () => {
    const fetchMock = mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/admin/messages': ({ url }) =>
        jsonResponse({
          items: [
            message({ id: 'm1', session_id: '0193aaaa-0000-7000-8000-00000000000a', role: 'user', content: '<b>bold?</b> <img src=x onerror=alert(1)>' }),
            message({ id: 'm2', session_id: '0193aaaa-0000-7000-8000-00000000000a', role: 'assistant', content: LONG, model: 'fake-model', status: 'error' }),
          ],
          total: 120,
          page: Number(url.searchParams.get('page') ?? '1'),
          per_page: 50,
        }),
    });
    renderApp('/admin/messages');

    const rows = await screen.findAllByTestId('messages-row');
    expect(rows).toHaveLength(2);
    const last = () => callsTo(fetchMock, 'GET /api/admin/messages').at(-1)!.url.searchParams;
    expect(last().toString()).toBe('page=1&per_page=50');
    // Plain text, cut short.
    expect(within(rows[0]!).getByTestId('messages-content')).toHaveTextContent('<b>bold?</b> <img src=x onerror=alert(1)>');
    expect(screen.getByTestId('messages-table').querySelectorAll('b, img')).toHaveLength(0);
    const preview = within(rows[1]!).getByTestId('messages-content').textContent!;
    expect(preview.endsWith('…')).toBe(true);
    expect(Array.from(preview).length).toBeLessThanOrEqual(201);
    expect(rows[1]).toHaveTextContent('Failed');

    await userEvent.type(screen.getByTestId('messages-filter-q'), 'fox facts');
    await userEvent.type(screen.getByTestId('messages-filter-user_id'), '0190a0c0-0000-7000-8000-000000000002');
    await userEvent.click(screen.getByTestId('messages-filter'));
    await waitFor(() => expect(last().get('q')).toBe('fox facts'));
    expect(last().get('user_id')).toBe('0190a0c0-0000-7000-8000-000000000002');

    await userEvent.selectOptions(screen.getByTestId('messages-filter-role'), 'assistant');
    await waitFor(() => expect(last().get('role')).toBe('assistant'));
    await userEvent.selectOptions(screen.getByTestId('messages-filter-status'), 'error');
    await waitFor(() => expect(last().get('status')).toBe('error'));
    expect(Object.fromEntries(last())).toEqual({
      user_id: '0190a0c0-0000-7000-8000-000000000002',
      role: 'assistant',
      status: 'error',
      q: 'fox facts',
      page: '1',
      per_page: '50',
    });

    await userEvent.click(within(screen.getByTestId('messages-pager')).getByRole('button', { name: 'Next' }));
    await waitFor(() => expect(last().get('page')).toBe('2'));
    expect(last().get('role')).toBe('assistant');

    // A conversation id filters to that conversation (and back to page 1).
    await userEvent.click(within(screen.getAllByTestId('messages-row')[0]!).getByRole('button'));
    await waitFor(() => expect(last().get('session_id')).toBe('0193aaaa-0000-7000-8000-00000000000a'));
    expect(last().get('page')).toBe('1');
    expect(screen.getByTestId('messages-filter-session_id')).toHaveValue('0193aaaa-0000-7000-8000-00000000000a');

    // Clearing the filters asks for everything again.
    for (const name of ['q', 'user_id', 'session_id']) await userEvent.clear(screen.getByTestId(`messages-filter-${name}`));
    await userEvent.selectOptions(screen.getByTestId('messages-filter-role'), '');
    await userEvent.selectOptions(screen.getByTestId('messages-filter-status'), '');
    await waitFor(() => expect(last().toString()).toBe('page=1&per_page=50'));
  });

  it('shows a bad filter on its field', async () => {
    mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/admin/messages': ({ url }) =>
        url.searchParams.has('user_id')
          ? errorResponse(422, 'validation_failed', 'invalid query', { fields: { user_id: 'is not a valid UUID' } })
          : jsonResponse({ items: [], total: 0, page: 1, per_page: 50 }),
    });
    renderApp('/admin/messages');
    expect(await screen.findByTestId('messages-empty')).toHaveTextContent('No messages match these filters.');
    await userEvent.type(screen.getByTestId('messages-filter-user_id'), 'nope{Enter}');
    expect(await screen.findByText('is not a valid UUID')).toBeInTheDocument();
    expect(screen.getByTestId('messages-filter-user_id')).toHaveAttribute('aria-invalid', 'true');
  });
});
