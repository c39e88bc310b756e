import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import i18n from '../i18n/index.ts';
import {
  ADMIN,
  USER,
  callsTo,
  errorResponse,
  jsonResponse,
  mockApi,
  renderApp,
  sessionRoutes,
  setSessionCookie,
} from '../test/helpers.tsx';
import { loginUrl, safeNext } from './context.ts';

beforeEach(async () => {
  await i18n.changeLanguage('en');
});

describe('route guards', () => {
  it('sends a logged-out visitor of a private page to /login?next=…', async () => {
    const fetchMock = mockApi({});
    const { router } = renderApp('/settings/sessions?x=1');

    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(router.state.location.search).toBe(`?next=${encodeURIComponent('/settings/sessions?x=1')}`);
    // Without a session cookie the profile is not asked for (only the login page's provider list
    // and whether guests may chat are).
    const asked = fetchMock.mock.calls.map(([url]) => String(url));
    expect(asked.filter((url) => !url.startsWith('/api/auth/oauth/providers') && url !== '/api/llm/guest')).toEqual([]);
  });

  it('treats a 401 from the profile as logged out and forgets the stale cookie', async () => {
    setSessionCookie();
    const fetchMock = mockApi({ 'GET /api/auth/profile': () => errorResponse(401, 'unauthorized', 'your session has ended; log in again') });
    const { router } = renderApp('/admin/users');

    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(router.state.location.search).toBe('?next=%2Fadmin%2Fusers');
    expect(callsTo(fetchMock, 'GET /api/auth/profile')).toHaveLength(1);
    expect(document.cookie).not.toContain('llmm_csrf=');
    expect(await screen.findByTestId('login-session-ended')).toBeInTheDocument();
  });

  it('shows a 403 message on admin pages to non-admins', async () => {
    setSessionCookie();
    const fetchMock = mockApi(sessionRoutes(USER));
    renderApp('/admin/users');

    expect(await screen.findByTestId('forbidden')).toHaveTextContent('This page is for administrators only.');
    expect(screen.queryByTestId('nav-admin')).not.toBeInTheDocument();
    expect(callsTo(fetchMock, 'GET /api/admin/users')).toHaveLength(0);
  });

  it('shows Admin in the navigation and the menu only to admins', async () => {
    setSessionCookie();
    mockApi({ ...sessionRoutes(ADMIN), 'GET /api/admin/users': () => jsonResponse({ items: [], total: 0, page: 1, per_page: 20 }) });
    renderApp('/status');

    expect(await screen.findByTestId('nav-admin')).toHaveAttribute('href', '/admin');
    await userEvent.click(screen.getByTestId('user-menu'));
    expect(screen.getByRole('link', { name: 'Administration' })).toHaveAttribute('href', '/admin/users');
  });

  it('drops to logged out and goes to the login when a call answers 401', async () => {
    setSessionCookie();
    mockApi({
      ...sessionRoutes(USER),
      'GET /api/auth/sessions': () => errorResponse(401, 'unauthorized', 'your session has ended; log in again'),
    });
    const { router } = renderApp('/settings/sessions');

    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(router.state.location.search).toBe('?next=%2Fsettings%2Fsessions');
    expect(await screen.findByTestId('login-session-ended')).toHaveTextContent('Your session has ended.');
    expect(screen.getByTestId('nav-login')).toBeInTheDocument();
    expect(screen.queryByTestId('user-menu')).not.toBeInTheDocument();
  });

  it('only follows `next` paths inside the app', () => {
    expect(safeNext('/settings/profile?x=1')).toBe('/settings/profile?x=1');
    for (const bad of [null, '', 'https://evil.example', '//evil.example', '/\\evil.example', '/\t/evil.example', '/login?next=/x', '/register']) {
      expect(safeNext(bad)).toBe('/');
    }
    expect(loginUrl('/')).toBe('/login');
    expect(loginUrl('/a b')).toBe('/login?next=%2Fa%20b');
  });
});

describe('header account area', () => {
  it('offers Log in and Register when logged out', () => {
    mockApi({});
    renderApp('/status');
    expect(screen.getByTestId('nav-login')).toHaveAttribute('href', '/login');
    expect(screen.getByTestId('nav-register')).toHaveAttribute('href', '/register');
    expect(screen.queryByTestId('user-menu')).not.toBeInTheDocument();
  });

  it('opens a menu with the user name, closes it with Escape and logs out', async () => {
    setSessionCookie();
    const fetchMock = mockApi(sessionRoutes(USER));
    const { router } = renderApp('/status');

    const button = await screen.findByRole('button', { name: /Alice Liddell/ });
    expect(button).toHaveAttribute('aria-expanded', 'false');
    await userEvent.click(button);
    expect(button).toHaveAttribute('aria-expanded', 'true');
    const panel = document.getElementById(button.getAttribute('aria-controls')!)!;
    expect(within(panel).getByText('Signed in as alice')).toBeInTheDocument();
    expect(within(panel).getByRole('link', { name: 'Settings' })).toHaveAttribute('href', '/settings/profile');
    expect(within(panel).queryByRole('link', { name: 'Administration' })).not.toBeInTheDocument();

    await userEvent.keyboard('{Escape}');
    expect(button).toHaveAttribute('aria-expanded', 'false');
    expect(button).toHaveFocus();

    await userEvent.click(button);
    await userEvent.click(within(panel).getByRole('button', { name: 'Log out' }));

    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(callsTo(fetchMock, 'POST /api/auth/logout')).toHaveLength(1);
    expect(screen.getByTestId('nav-login')).toBeInTheDocument();
    expect(screen.queryByTestId('login-session-ended')).not.toBeInTheDocument();
  });
});
