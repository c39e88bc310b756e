import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import i18n from '../../i18n/index.ts';
import {
  ADMIN,
  CSRF,
  READY,
  SYSTEM_INFO,
  USER,
  callsTo,
  emptyResponse,
  errorResponse,
  jsonResponse,
  mockApi,
  renderApp,
  setSessionCookie,
} from '../../test/helpers.tsx';

const statusRoutes = {
  'GET /api/system/info': () => jsonResponse(SYSTEM_INFO),
  'GET /ready': () => jsonResponse(READY),
};

/** A successful cookie login: the server sets the cookies and answers the user. */
function loggedIn(user: unknown = USER) {
  setSessionCookie();
  return jsonResponse({ csrf_token: CSRF, user });
}

async function fillLogin(username = 'alice', password = 'secret-password') {
  await userEvent.type(screen.getByLabelText('Username or email'), username);
  await userEvent.type(screen.getByLabelText('Password'), password);
  await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
}

describe('login page', () => {
  beforeEach(async () => {
    await i18n.changeLanguage('en');
  });
  afterEach(async () => {
    await i18n.changeLanguage('en');
  });

  it('offers the configured sign-in providers and shows an external sign-in error as text', async () => {
    mockApi({
      ...statusRoutes,
      'GET /api/auth/oauth/providers': () =>
        jsonResponse([{ slug: 'corp', display_name: 'Corp SSO', kind: 'oidc' }]),
    });
    renderApp('/login?next=%2Fsettings&error=%3Cb%3Edenied%3C%2Fb%3E');

    const button = await screen.findByTestId('login-provider-corp');
    expect(button).toHaveTextContent('Continue with Corp SSO');
    expect(button).toHaveAttribute('href', '/api/auth/oauth/corp/start?next=%2Fsettings');
    const notice = screen.getByTestId('login-external-error');
    expect(notice).toHaveTextContent('<b>denied</b>');
    expect(notice.querySelector('b')).toBeNull();
  });

  it('logs in with a cookie session and goes to `next`', async () => {
    const fetchMock = mockApi({
      ...statusRoutes,
      'POST /api/auth/login': () => loggedIn(),
      'GET /api/auth/sessions': () => jsonResponse([]),
    });
    const { router } = renderApp('/login?next=%2Fsettings%2Fsessions');

    await fillLogin('  alice ');

    await waitFor(() => expect(router.state.location.pathname).toBe('/settings/sessions'));
    expect(callsTo(fetchMock, 'POST /api/auth/login')[0]!.body).toEqual({
      username: 'alice',
      password: 'secret-password',
      use_cookie: true,
    });
    expect(await screen.findByTestId('user-menu-name')).toHaveTextContent('Alice Liddell');
  });

  it('ignores a `next` that leaves the app', async () => {
    mockApi({ ...statusRoutes, 'POST /api/auth/login': () => loggedIn() });
    const { router } = renderApp('/login?next=%2F%2Fevil.example%2Fx');
    await fillLogin();
    await waitFor(() => expect(router.state.location.pathname).toBe('/status'));
  });

  it("shows the server's message on 401 and stays", async () => {
    mockApi({ 'POST /api/auth/login': () => errorResponse(401, 'unauthorized', 'invalid username or password') });
    const { router } = renderApp('/login');

    await fillLogin();

    expect(await screen.findByTestId('login-error')).toHaveTextContent('invalid username or password');
    expect(router.state.location.pathname).toBe('/login');
    expect(screen.getByRole('button', { name: 'Log in' })).toBeEnabled();
  });

  it('shows the wait of a 429 from Retry-After and blocks the button meanwhile', async () => {
    mockApi({
      'POST /api/auth/login': () =>
        errorResponse(429, 'rate_limited', 'too many failed logins; try again later', { retry_after_secs: 40 }, { 'Retry-After': '42' }),
    });
    renderApp('/login');

    await fillLogin();

    const alert = await screen.findByTestId('login-error');
    expect(alert).toHaveTextContent('too many failed logins; try again later');
    expect(within(alert).getByTestId('login-wait')).toHaveTextContent('Try again in 42 s.');
    expect(screen.getByTestId('login-submit')).toBeDisabled();
  });

  it('uses details.retry_after_secs when there is no Retry-After header', async () => {
    mockApi({
      'POST /api/auth/login': () => errorResponse(429, 'rate_limited', 'slow down', { retry_after_secs: 125 }),
    });
    renderApp('/login');
    await fillLogin();
    expect(await screen.findByTestId('login-wait')).toHaveTextContent('Try again in 2 min 5 s.');
  });

  it('asks for a second factor and completes the login with it', async () => {
    const fetchMock = mockApi({
      ...statusRoutes,
      'POST /api/auth/login': () => jsonResponse({ two_factor_required: true, challenge_token: 'chal-1', expires_in: 300 }),
      'POST /api/auth/login/2fa': ({ body }) =>
        (body as { code: string }).code === '123456'
          ? loggedIn({ ...USER, two_factor_enabled: true })
          : errorResponse(401, 'unauthorized', 'wrong code or expired challenge'),
    });
    const { router } = renderApp('/login');

    await fillLogin();
    expect(await screen.findByRole('heading', { name: 'Two-factor authentication' })).toBeInTheDocument();
    expect(screen.getByText(/about 5 min/)).toBeInTheDocument();

    await userEvent.type(screen.getByLabelText('Code'), '000000');
    await userEvent.click(screen.getByRole('button', { name: 'Verify' }));
    expect(await screen.findByTestId('login-error')).toHaveTextContent('wrong code or expired challenge');
    expect(router.state.location.pathname).toBe('/login');

    await userEvent.clear(screen.getByLabelText('Code'));
    await userEvent.type(screen.getByLabelText('Code'), '123 456');
    await userEvent.click(screen.getByRole('button', { name: 'Verify' }));

    await waitFor(() => expect(router.state.location.pathname).toBe('/status'));
    expect(callsTo(fetchMock, 'POST /api/auth/login/2fa').map((call) => call.body)).toEqual([
      { challenge_token: 'chal-1', code: '000000', use_cookie: true },
      { challenge_token: 'chal-1', code: '123456', use_cookie: true },
    ]);
  });

  it('switches the UI to the language saved in the profile', async () => {
    mockApi({ ...statusRoutes, 'POST /api/auth/login': () => loggedIn({ ...USER, language: 'zh-CN' }) });
    renderApp('/login');
    await fillLogin();
    expect(await screen.findByRole('heading', { level: 1, name: '系统状态' })).toBeInTheDocument();
  });

  it('links to registration and the forgotten-password page', () => {
    renderApp('/login');
    const page = screen.getByTestId('login-page');
    expect(within(page).getByRole('link', { name: 'Register' })).toHaveAttribute('href', '/register');
    expect(within(page).getByRole('link', { name: 'Forgot your password?' })).toHaveAttribute('href', '/forgot-password');
    // The header offers both too while logged out.
    expect(screen.getByTestId('nav-login')).toHaveAttribute('href', '/login');
    expect(screen.getByTestId('nav-register')).toHaveAttribute('href', '/register');
  });
});

describe('register page', () => {
  beforeEach(async () => {
    await i18n.changeLanguage('en');
  });

  async function fillRegister(confirm = 'long enough pw') {
    await userEvent.type(screen.getByLabelText('Username'), 'bob');
    await userEvent.type(screen.getByLabelText('Email address'), 'bob@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'long enough pw');
    await userEvent.type(screen.getByLabelText('Confirm password'), confirm);
    await userEvent.click(screen.getByRole('button', { name: 'Register' }));
  }

  it('checks the confirmation before sending anything', async () => {
    const fetchMock = mockApi({});
    renderApp('/register');
    await fillRegister('something else');
    expect(await screen.findByText('The passwords do not match.')).toBeInTheDocument();
    expect(screen.getByLabelText('Confirm password')).toHaveAttribute('aria-invalid', 'true');
    // Only the registration mode was read; nothing was sent.
    expect(callsTo(fetchMock, 'POST /api/auth/register')).toHaveLength(0);
  });

  it('shows each 422 field error next to its field', async () => {
    mockApi({
      'POST /api/auth/register': () =>
        errorResponse(422, 'validation_failed', 'username: is already taken; password: is too common', {
          fields: { username: 'is already taken', email: 'is not a valid email address', password: 'is too common' },
        }),
    });
    renderApp('/register');

    await fillRegister();

    const username = screen.getByLabelText('Username');
    expect(await screen.findByTestId('register-username-error')).toHaveTextContent('is already taken');
    expect(username).toHaveAttribute('aria-invalid', 'true');
    expect(username).toHaveAccessibleDescription(expect.stringContaining('is already taken'));
    expect(screen.getByLabelText('Email address')).toHaveAccessibleDescription('is not a valid email address');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription(expect.stringContaining('is too common'));
    expect(screen.queryByTestId('register-error')).not.toBeInTheDocument();
  });

  it('says when registration is closed (403)', async () => {
    mockApi({ 'POST /api/auth/register': () => errorResponse(403, 'forbidden', 'registration is closed on this server') });
    renderApp('/register');
    await fillRegister();
    expect(await screen.findByTestId('register-error')).toHaveTextContent('Registration is closed on this server.');
  });

  it('registers, logs in with the same credentials and goes to /', async () => {
    const fetchMock = mockApi({
      ...statusRoutes,
      'POST /api/auth/register': ({ body }) => jsonResponse({ ...USER, ...(body as object), password: undefined }, 201),
      'POST /api/auth/login': () => loggedIn({ ...USER, username: 'bob' }),
    });
    const { router } = renderApp('/register');

    await fillRegister();

    await waitFor(() => expect(router.state.location.pathname).toBe('/status'));
    expect(callsTo(fetchMock, 'POST /api/auth/register')[0]!.body).toEqual({
      username: 'bob',
      email: 'bob@example.com',
      password: 'long enough pw',
    });
    expect(callsTo(fetchMock, 'POST /api/auth/login')[0]!.body).toEqual({
      username: 'bob',
      password: 'long enough pw',
      use_cookie: true,
    });
  });
});

describe('password reset and email verification pages', () => {
  beforeEach(async () => {
    await i18n.changeLanguage('en');
  });

  it('always confirms a reset request the same way', async () => {
    const fetchMock = mockApi({ 'POST /api/auth/password/reset': () => emptyResponse(202) });
    renderApp('/forgot-password');

    await userEvent.type(screen.getByLabelText('Email address'), 'nobody@example.com');
    await userEvent.click(screen.getByRole('button', { name: 'Send reset link' }));

    expect(await screen.findByTestId('forgot-sent')).toHaveTextContent('If an account exists for nobody@example.com');
    expect(callsTo(fetchMock, 'POST /api/auth/password/reset')[0]!.body).toEqual({ email: 'nobody@example.com' });
  });

  it('sets a new password with the token and links to the login', async () => {
    const fetchMock = mockApi({ 'POST /api/auth/password/reset/confirm': () => emptyResponse(204) });
    renderApp('/reset-password?token=tok-123');

    await userEvent.type(screen.getByLabelText('New password'), 'brand new pw');
    await userEvent.type(screen.getByLabelText('Confirm new password'), 'brand new pw');
    await userEvent.click(screen.getByRole('button', { name: 'Set new password' }));

    expect(await screen.findByTestId('reset-done')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Go to login' })).toHaveAttribute('href', '/login');
    expect(callsTo(fetchMock, 'POST /api/auth/password/reset/confirm')[0]!.body).toEqual({
      token: 'tok-123',
      new_password: 'brand new pw',
    });
  });

  it('shows a used token (400) and a weak password (422)', async () => {
    let answer = () => errorResponse(400, 'bad_request', 'the reset link is invalid or has expired');
    mockApi({ 'POST /api/auth/password/reset/confirm': () => answer() });
    renderApp('/reset-password?token=old');

    await userEvent.type(screen.getByLabelText('New password'), 'brand new pw');
    await userEvent.type(screen.getByLabelText('Confirm new password'), 'brand new pw');
    await userEvent.click(screen.getByRole('button', { name: 'Set new password' }));
    expect(await screen.findByTestId('reset-error')).toHaveTextContent('the reset link is invalid or has expired');

    answer = () => errorResponse(422, 'validation_failed', 'weak', { fields: { new_password: 'is too common' } });
    await userEvent.click(screen.getByRole('button', { name: 'Set new password' }));
    expect(await screen.findByTestId('reset-password-error')).toHaveTextContent('is too common');
  });

  it('verifies the email address once on load', async () => {
    const fetchMock = mockApi({ 'POST /api/auth/verify-email': () => emptyResponse(204) });
    renderApp('/verify-email?token=v-1');
    expect(await screen.findByTestId('verify-done')).toBeInTheDocument();
    expect(callsTo(fetchMock, 'POST /api/auth/verify-email').map((call) => call.body)).toEqual([{ token: 'v-1' }]);
  });

  it('shows why a verification failed', async () => {
    mockApi({ 'POST /api/auth/verify-email': () => errorResponse(400, 'bad_request', 'the link is invalid or has expired') });
    renderApp('/verify-email?token=bad');
    expect(await screen.findByTestId('verify-error')).toHaveTextContent('the link is invalid or has expired');
  });
});

describe('first-admin setup page', () => {
  beforeEach(async () => {
    await i18n.changeLanguage('en');
  });

  async function fillSetup() {
    await userEvent.type(screen.getByLabelText('Username'), 'root');
    await userEvent.type(screen.getByLabelText('Email address'), 'root@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'a strong one');
    await userEvent.type(screen.getByLabelText('Confirm password'), 'a strong one');
    await userEvent.click(screen.getByRole('button', { name: 'Create administrator' }));
  }

  it('creates the admin with the token, logs in and opens the user admin', async () => {
    const fetchMock = mockApi({
      'POST /api/auth/setup': () => jsonResponse(ADMIN, 201),
      'POST /api/auth/login': () => loggedIn(ADMIN),
      'GET /api/admin/users': () => jsonResponse({ items: [ADMIN], total: 1, page: 1, per_page: 20 }),
    });
    const { router } = renderApp('/setup?token=setup-tok');

    await fillSetup();

    await waitFor(() => expect(router.state.location.pathname).toBe('/admin/users'));
    expect(callsTo(fetchMock, 'POST /api/auth/setup')[0]!.body).toEqual({
      token: 'setup-tok',
      username: 'root',
      email: 'root@example.com',
      password: 'a strong one',
    });
    expect(await screen.findByTestId('users-table')).toBeInTheDocument();
  });

  it('explains a used token (403) and an existing admin (409)', async () => {
    let answer = () => errorResponse(403, 'forbidden', 'the setup token is invalid or has been used');
    mockApi({ 'POST /api/auth/setup': () => answer() });
    renderApp('/setup?token=used');

    await fillSetup();
    expect(await screen.findByTestId('setup-error')).toHaveTextContent('invalid or has already been used');

    answer = () => errorResponse(409, 'conflict', 'an admin account already exists');
    await userEvent.click(screen.getByRole('button', { name: 'Create administrator' }));
    await waitFor(() => expect(screen.getByTestId('setup-error')).toHaveTextContent('An administrator account already exists.'));
  });
});
