import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import i18n from '../../i18n/index.ts';
import { ADMIN, callsTo, jsonResponse, mockApi, renderApp, setSessionCookie } from '../../test/helpers.tsx';

const INVITE = {
  id: 'inv-1',
  code: null,
  email: 'new@example.com',
  created_at: '2026-11-21T10:00:00Z',
  expires_at: '2026-11-28T10:00:00Z',
  used_at: null,
  used_by: null,
};

describe('admin registration page', () => {
  beforeEach(async () => {
    await i18n.changeLanguage('en');
  });

  it('changes the mode and shows a new invitation link once', async () => {
    setSessionCookie();
    const fetchMock = mockApi({
      'GET /api/auth/profile': () => jsonResponse(ADMIN),
      'GET /api/admin/settings/registration': () => jsonResponse({ registration_mode: 'open' }),
      'PUT /api/admin/settings/registration': () => jsonResponse({ registration_mode: 'invite_only' }),
      'GET /api/admin/invites': () => jsonResponse([INVITE]),
      'POST /api/admin/invites': () => jsonResponse({ ...INVITE, id: 'inv-2', code: 'the-code' }, 201),
    });
    renderApp('/admin/registration');

    const select = await screen.findByTestId('registration-mode');
    await waitFor(() => expect(select).not.toBeDisabled());
    await userEvent.selectOptions(select, 'invite_only');
    await screen.findByTestId('registration-saved');
    expect(callsTo(fetchMock, 'PUT /api/admin/settings/registration')[0]!.body).toEqual({ registration_mode: 'invite_only' });

    await userEvent.type(screen.getByLabelText('Only for this email (optional)'), 'new@example.com');
    await userEvent.click(screen.getByTestId('invite-create'));
    expect(await screen.findByTestId('invite-link')).toHaveTextContent('/register?invite=the-code');
    expect(callsTo(fetchMock, 'POST /api/admin/invites')[0]!.body).toEqual({ email: 'new@example.com', expires_in_days: 7 });
    expect(screen.getAllByTestId('invite-row')).toHaveLength(1);
  });

  it('the register page asks for the invitation code when registration is by invitation', async () => {
    const fetchMock = mockApi({
      'GET /api/auth/registration': () => jsonResponse({ mode: 'invite_only' }),
      'POST /api/auth/register': () => jsonResponse({ error: { code: 'validation_failed', message: 'invite_code: is invalid', details: { fields: { invite_code: 'is invalid, used or expired' } } } }, 422),
    });
    renderApp('/register?invite=abc');
    const field = await screen.findByTestId('register-invite');
    expect(field).toHaveValue('abc');
    await userEvent.type(screen.getByTestId('register-username'), 'newbie');
    await userEvent.type(screen.getByTestId('register-email'), 'newbie@example.com');
    await userEvent.type(screen.getByTestId('register-password'), 'long enough pass');
    await userEvent.type(screen.getByTestId('register-confirm'), 'long enough pass');
    await userEvent.click(screen.getByTestId('register-submit'));
    expect(await screen.findByText('is invalid, used or expired')).toBeInTheDocument();
    expect(callsTo(fetchMock, 'POST /api/auth/register')[0]!.body).toMatchObject({ invite_code: 'abc' });
  });
});
