import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import i18n from '../../i18n/index.ts';
import { LANGUAGE_STORAGE_KEY } from '../../i18n/language.ts';
import {
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

beforeEach(async () => {
  await i18n.changeLanguage('en');
  setSessionCookie();
});
afterEach(async () => {
  await i18n.changeLanguage('en');
});

describe('profile settings', () => {
  it('saves only the four profile fields and switches the UI language', async () => {
    let user = { ...USER };
    const fetchMock = mockApi({
      ...sessionRoutes(),
      'GET /api/auth/profile': () => jsonResponse(user),
      'PUT /api/auth/profile': ({ body }) => {
        user = { ...user, ...(body as object) };
        return jsonResponse(user);
      },
    });
    renderApp('/settings/profile');

    const name = await screen.findByLabelText('Display name');
    expect(name).toHaveValue('Alice Liddell');
    await userEvent.clear(name);
    await userEvent.type(name, 'Alice L.');
    await userEvent.type(screen.getByLabelText('Bio'), 'Curious.');
    await userEvent.selectOptions(screen.getByLabelText('Interface language'), 'zh-CN');
    await userEvent.clear(screen.getByLabelText('Time zone'));
    await userEvent.type(screen.getByLabelText('Time zone'), 'Asia/Shanghai');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));

    expect(await screen.findByTestId('profile-saved')).toHaveTextContent('个人资料已保存。');
    const [put] = callsTo(fetchMock, 'PUT /api/auth/profile');
    expect(put!.body).toEqual({ display_name: 'Alice L.', bio: 'Curious.', language: 'zh-CN', timezone: 'Asia/Shanghai' });
    expect(put!.headers['X-CSRF-Token']).toBe(CSRF);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('设置');
    expect(window.localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe('zh-CN');
    expect(screen.getByTestId('user-menu-name')).toHaveTextContent('Alice L.');
  });

  it("suggests the browser's time zone when none is saved", async () => {
    mockApi(sessionRoutes({ ...USER, timezone: null }));
    renderApp('/settings/profile');
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(await screen.findByLabelText('Time zone')).toHaveValue(zone);
    expect(screen.getByText(`Suggested from this browser: ${zone}.`)).toBeInTheDocument();
  });

  it('shows a 422 next to the field', async () => {
    mockApi({
      ...sessionRoutes(),
      'PUT /api/auth/profile': () =>
        errorResponse(422, 'validation_failed', 'timezone: unknown', { fields: { timezone: 'is not a known IANA time zone' } }),
    });
    renderApp('/settings/profile');
    await userEvent.click(await screen.findByRole('button', { name: 'Save' }));
    expect(await screen.findByTestId('profile-timezone-error')).toHaveTextContent('is not a known IANA time zone');
  });

  it('shows initials without an avatar and uploads a new one as multipart', async () => {
    const fetchMock = mockApi({
      ...sessionRoutes(),
      'POST /api/auth/avatar': () => jsonResponse({ ...USER, avatar_url: '/api/auth/avatar?v=abc' }),
    });
    renderApp('/settings/profile');
    const section = await screen.findByTestId('avatar-section');
    expect(within(section).getByTestId('avatar-initials')).toHaveTextContent('AL');

    const file = new File([new Uint8Array(2048)], 'me.png', { type: 'image/png' });
    await userEvent.upload(screen.getByLabelText('Avatar image'), file);

    expect(await screen.findByTestId('avatar-done')).toBeInTheDocument();
    expect(within(section).getByRole('img', { name: 'Your current avatar' })).toHaveAttribute('src', '/api/auth/avatar?v=abc');
    const [upload] = callsTo(fetchMock, 'POST /api/auth/avatar');
    expect(upload!.body).toBeInstanceOf(FormData);
    expect((upload!.body as FormData).get('file')).toBe(file);
    expect(upload!.headers['X-CSRF-Token']).toBe(CSRF);
    expect(upload!.headers).not.toHaveProperty('Content-Type');
  });

  it('refuses a too large or wrong file before sending, and shows server refusals', async () => {
    const fetchMock = mockApi({
      ...sessionRoutes(),
      'POST /api/auth/avatar': () => errorResponse(422, 'validation_failed', 'file: is not a readable image', { fields: { file: 'is not a readable image' } }),
    });
    renderApp('/settings/profile');
    const input = await screen.findByLabelText('Avatar image');

    await userEvent.upload(input, new File([new Uint8Array(5 * 1024 * 1024 + 1)], 'big.png', { type: 'image/png' }));
    expect(await screen.findByTestId('avatar-error')).toHaveTextContent('The limit is 5 MiB.');

    // The input's accept list would filter this in a browser; the check holds without it.
    await userEvent.upload(input, new File(['x'], 'doc.pdf', { type: 'application/pdf' }), { applyAccept: false });
    expect(await screen.findByTestId('avatar-error')).toHaveTextContent('Choose a PNG, JPEG, WebP or GIF image.');
    expect(callsTo(fetchMock, 'POST /api/auth/avatar')).toHaveLength(0);

    await userEvent.upload(input, new File(['junk'], 'junk.png', { type: 'image/png' }));
    expect(await screen.findByTestId('avatar-error')).toHaveTextContent('file: is not a readable image');
  });

  it('offers to resend the verification mail while the address is unverified', async () => {
    const fetchMock = mockApi({
      ...sessionRoutes({ ...USER, email_verified: false }),
      'POST /api/auth/send-verification': () => emptyResponse(202),
    });
    renderApp('/settings/profile');

    const banner = await screen.findByTestId('verify-banner');
    expect(banner).toHaveTextContent('alice@example.com is not verified yet');
    await userEvent.click(within(banner).getByRole('button', { name: 'Resend verification email' }));

    expect(await screen.findByTestId('verify-sent')).toBeInTheDocument();
    expect(callsTo(fetchMock, 'POST /api/auth/send-verification')).toHaveLength(1);
  });

  it('shows no banner for a verified address', async () => {
    mockApi(sessionRoutes());
    renderApp('/settings/profile');
    await screen.findByTestId('profile-form');
    expect(screen.queryByTestId('verify-banner')).not.toBeInTheDocument();
  });
});

describe('security settings', () => {
  it('changes the password', async () => {
    let answer = () => errorResponse(422, 'validation_failed', 'old', { fields: { old_password: 'is not your current password' } });
    const fetchMock = mockApi({ ...sessionRoutes(), 'POST /api/auth/password/change': () => answer() });
    renderApp('/settings/security');

    await userEvent.type(await screen.findByLabelText('Current password'), 'wrong');
    await userEvent.type(screen.getByLabelText('New password'), 'new long password');
    await userEvent.type(screen.getByLabelText('Confirm new password'), 'new long password');
    await userEvent.click(screen.getByRole('button', { name: 'Change password' }));
    expect(await screen.findByTestId('password-old-error')).toHaveTextContent('is not your current password');

    answer = () => emptyResponse(204);
    await userEvent.click(screen.getByRole('button', { name: 'Change password' }));
    expect(await screen.findByTestId('password-done')).toHaveTextContent('Your other sessions have been logged out.');
    expect(callsTo(fetchMock, 'POST /api/auth/password/change').at(-1)!.body).toEqual({
      old_password: 'wrong',
      new_password: 'new long password',
    });
    expect(screen.getByLabelText('Current password')).toHaveValue('');
  });

  it('sets up two-factor authentication: QR as an image, then the recovery codes once', async () => {
    const marker = 'qr-svg-marker';
    const qrSvg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect id="${marker}" width="10" height="10"/><script>alert(1)</script></svg>`;
    const codes = Array.from({ length: 10 }, (_, index) => `code-${index}-abcd`);
    let user = { ...USER };
    const writeText = vi.fn(async () => {});
    vi.stubGlobal('navigator', Object.assign(Object.create(navigator) as Navigator, { clipboard: { writeText } }));
    const fetchMock = mockApi({
      ...sessionRoutes(),
      'GET /api/auth/profile': () => jsonResponse(user),
      'POST /api/auth/2fa/setup': () =>
        jsonResponse({ secret: 'JBSWY3DPEHPK3PXP', otpauth_uri: 'otpauth://totp/LLM%20Manager:alice?secret=JBSWY3DPEHPK3PXP', qr_svg: qrSvg }),
      'POST /api/auth/2fa/enable': ({ body }) => {
        if ((body as { code: string }).code !== '654321') {
          return errorResponse(422, 'validation_failed', 'code', { fields: { code: 'is not the current code of your authenticator app' } });
        }
        user = { ...user, two_factor_enabled: true };
        return jsonResponse({ recovery_codes: codes });
      },
    });
    renderApp('/settings/security');

    expect(await screen.findByTestId('twofa-status')).toHaveTextContent('Off');
    await userEvent.click(screen.getByRole('button', { name: 'Set up' }));

    const qr = await screen.findByRole('img', { name: 'QR code to scan with an authenticator app' });
    expect(qr.tagName).toBe('IMG');
    const src = qr.getAttribute('src') ?? '';
    expect(src.startsWith('data:image/svg+xml;base64,')).toBe(true);
    expect(atob(src.slice('data:image/svg+xml;base64,'.length))).toBe(qrSvg);
    // None of the SVG's markup is in the page.
    expect(document.getElementById(marker)).toBeNull();
    expect(document.body.querySelector('script')).toBeNull();
    expect(screen.getByTestId('twofa-section').querySelector('svg')).toBeNull();
    expect(screen.getByTestId('twofa-secret')).toHaveTextContent('JBSWY3DPEHPK3PXP');

    await userEvent.type(screen.getByLabelText('Authentication code'), '111111');
    await userEvent.click(screen.getByRole('button', { name: 'Turn on' }));
    expect(await screen.findByTestId('twofa-code-error')).toHaveTextContent('is not the current code');

    await userEvent.clear(screen.getByLabelText('Authentication code'));
    await userEvent.type(screen.getByLabelText('Authentication code'), '654 321');
    await userEvent.click(screen.getByRole('button', { name: 'Turn on' }));

    const panel = await screen.findByTestId('recovery-codes');
    expect(within(panel).getAllByRole('listitem').map((item) => item.textContent)).toEqual(codes);
    expect(panel).toHaveTextContent('They will not be shown again.');
    expect(callsTo(fetchMock, 'POST /api/auth/2fa/enable').at(-1)!.body).toEqual({ code: '654321' });

    await userEvent.click(within(panel).getByRole('button', { name: 'Copy codes' }));
    expect(writeText).toHaveBeenCalledWith(codes.join('\n'));
    expect(await screen.findByTestId('recovery-copied')).toHaveTextContent('Copied');

    await userEvent.click(within(panel).getByRole('button', { name: 'I have saved them' }));
    expect(screen.queryByTestId('recovery-codes')).not.toBeInTheDocument();
    expect(await screen.findByTestId('twofa-status')).toHaveTextContent('On');
  });

  it('turns two-factor authentication off with password and code', async () => {
    let user = { ...USER, two_factor_enabled: true };
    const fetchMock = mockApi({
      ...sessionRoutes(),
      'GET /api/auth/profile': () => jsonResponse(user),
      'POST /api/auth/2fa/disable': () => {
        user = { ...user, two_factor_enabled: false };
        return emptyResponse(204);
      },
    });
    renderApp('/settings/security');

    expect(await screen.findByTestId('twofa-status')).toHaveTextContent('On');
    await userEvent.click(screen.getByRole('button', { name: 'Turn off' }));
    const form = screen.getByTestId('twofa-disable-form');
    await userEvent.type(within(form).getByLabelText('Password'), 'my password');
    await userEvent.type(within(form).getByLabelText('Authentication code'), 'rec-0001');
    await userEvent.click(within(form).getByRole('button', { name: 'Turn off two-factor authentication' }));

    expect(await screen.findByTestId('twofa-disabled')).toBeInTheDocument();
    expect(screen.getByTestId('twofa-status')).toHaveTextContent('Off');
    expect(callsTo(fetchMock, 'POST /api/auth/2fa/disable')[0]!.body).toEqual({ password: 'my password', code: 'rec-0001' });
  });
});

describe('sessions settings', () => {
  const sessions = [
    {
      id: 's-old',
      kind: 'cookie',
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
      ip: '10.0.0.7',
      created_at: '2026-11-20T10:00:00Z',
      last_seen_at: '2026-11-20T11:00:00Z',
      current: false,
    },
    {
      id: 's-me',
      kind: 'cookie',
      user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
      ip: '127.0.0.1',
      created_at: '2026-11-21T10:00:00Z',
      last_seen_at: '2026-11-21T11:00:00Z',
      current: true,
    },
    {
      id: 's-api',
      kind: 'token',
      user_agent: 'python-requests/2.32',
      ip: null,
      created_at: '2026-11-19T10:00:00Z',
      last_seen_at: '2026-11-19T10:00:00Z',
      current: false,
    },
  ];

  it('lists the sessions with this device first and ends another one', async () => {
    let live = [...sessions];
    const fetchMock = mockApi({
      ...sessionRoutes(),
      'GET /api/auth/sessions': () => jsonResponse(live),
      'DELETE /api/auth/sessions/s-old': () => {
        live = live.filter((session) => session.id !== 's-old');
        return emptyResponse(204);
      },
    });
    renderApp('/settings/sessions');

    await screen.findByTestId('sessions-table');
    const rows = screen.getAllByTestId('session-row');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent('Chrome · Windows');
    expect(within(rows[0]!).getByTestId('session-current')).toHaveTextContent('This device');
    expect(within(rows[0]!).queryByRole('button')).not.toBeInTheDocument();
    expect(rows[1]).toHaveTextContent('Firefox · Linux');
    expect(rows[2]).toHaveTextContent('python-requests/2.32');
    expect(rows[2]).toHaveTextContent('API token');

    await userEvent.click(within(rows[1]!).getByRole('button', { name: 'End the session on Firefox · Linux (10.0.0.7)' }));

    expect(await screen.findByTestId('sessions-ended')).toBeInTheDocument();
    await waitFor(() => expect(screen.getAllByTestId('session-row')).toHaveLength(2));
    expect(callsTo(fetchMock, 'DELETE /api/auth/sessions/s-old')[0]!.headers['X-CSRF-Token']).toBe(CSRF);
  });
});

describe('linked sign-in accounts', () => {
  it('lists linked identities, offers the unlinked providers and unlinks', async () => {
    setSessionCookie();
    let linked = [{ id: 'id-1', provider: 'corp', email: 'alice@corp.example', created_at: '2026-11-20T10:00:00Z' }];
    const fetchMock = mockApi({
      'GET /api/auth/profile': () => jsonResponse(USER),
      'GET /api/auth/oauth/providers': () =>
        jsonResponse([
          { slug: 'corp', display_name: 'Corp SSO', kind: 'oidc' },
          { slug: 'gh', display_name: 'GitHub', kind: 'github' },
        ]),
      'GET /api/auth/identities': () => jsonResponse(linked),
      'DELETE /api/auth/identities/id-1': () => {
        linked = [];
        return emptyResponse();
      },
    });
    renderApp('/settings/security');

    expect(await screen.findByTestId('linked-identity')).toHaveTextContent('Corp SSO');
    expect(screen.getByTestId('linked-link-gh')).toHaveAttribute(
      'href',
      '/api/auth/oauth/gh/start?link=true&next=%2Fsettings%2Fsecurity',
    );
    expect(screen.queryByTestId('linked-link-corp')).toBeNull();
    await userEvent.click(screen.getByTestId('linked-unlink'));
    await screen.findByTestId('linked-link-corp');
    expect(callsTo(fetchMock, 'DELETE /api/auth/identities/id-1')).toHaveLength(1);
  });
});
