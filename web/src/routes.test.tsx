import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import i18n from './i18n/index.ts';
import { LANGUAGE_STORAGE_KEY } from './i18n/language.ts';
import { mockStatusServer, renderApp } from './test/helpers.tsx';
import { THEME_STORAGE_KEY, setThemePreference } from './theme/theme.ts';

describe('routing and layout', () => {
  beforeEach(async () => {
    await i18n.changeLanguage('en');
    mockStatusServer();
  });
  afterEach(async () => {
    setThemePreference('system');
    await i18n.changeLanguage('en');
  });

  it('redirects / to /status', async () => {
    const { router } = renderApp('/');
    await waitFor(() => expect(router.state.location.pathname).toBe('/status'));
    expect(await screen.findByTestId('status-version')).toHaveTextContent('0.1.0');
    expect(screen.getByTestId('nav-status')).toHaveAttribute('aria-current', 'page');
  });

  it('shows the not-found message inside the layout for unknown routes', async () => {
    renderApp('/nowhere/123');

    const notFound = await screen.findByTestId('not-found');
    expect(notFound).toHaveTextContent('Page not found');
    expect(notFound).toHaveTextContent('/nowhere/123');
    // The app frame is still there.
    expect(screen.getByRole('link', { name: /LLM Manager/ })).toHaveAttribute('href', '/status');
    expect(screen.getByTestId('nav-status')).toBeInTheDocument();
    expect(screen.getByTestId('lang-switch')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Go to the system status' })).toHaveAttribute('href', '/status');
    expect(screen.queryByTestId('status-version')).not.toBeInTheDocument();
  });

  it('navigates only to Status and the API docs, which is a plain link to /docs', () => {
    renderApp('/status');
    const nav = screen.getByRole('navigation', { name: 'Main navigation' });
    const links = Array.from(nav.querySelectorAll('a'));
    expect(links.map((link) => link.getAttribute('href'))).toEqual(['/status', '/docs']);
    expect(screen.getByTestId('nav-docs')).toHaveTextContent('API docs');
  });

  it('switches the language from the header and remembers it', async () => {
    renderApp('/status');
    await screen.findByTestId('status-version');

    await userEvent.selectOptions(screen.getByTestId('lang-switch'), 'zh-CN');

    expect(await screen.findByRole('heading', { level: 1, name: '系统状态' })).toBeInTheDocument();
    expect(screen.getByTestId('nav-status')).toHaveTextContent('状态');
    expect(screen.getByTestId('status-backend')).toHaveTextContent('SQLite');
    expect(document.documentElement.lang).toBe('zh-CN');
    expect(window.localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe('zh-CN');
    expect(screen.getByLabelText('语言')).toHaveValue('zh-CN');
  });

  it('toggles the theme from the header and remembers it', async () => {
    setThemePreference('light');
    renderApp('/status');

    const toggle = screen.getByTestId('theme-toggle');
    expect(toggle).toHaveAccessibleName('Switch to dark theme');
    await userEvent.click(toggle);
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(window.localStorage.getItem(THEME_STORAGE_KEY)).toBe('dark');
    expect(toggle).toHaveAccessibleName('Switch to light theme');

    await userEvent.click(toggle);
    expect(document.documentElement.dataset.theme).toBe('light');

    const system = screen.getByTestId('theme-system');
    expect(system).toHaveAttribute('aria-pressed', 'false');
    await userEvent.click(system);
    expect(system).toHaveAttribute('aria-pressed', 'true');
    expect(window.localStorage.getItem(THEME_STORAGE_KEY)).toBeNull();
  });
});
