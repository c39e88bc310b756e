import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Persona } from '../../api/chat.ts';
import { safeUrl } from '../../components/MarkdownRenderer.tsx';
import { avatarText } from '../../components/PersonaAvatar.tsx';
import i18n from '../../i18n/index.ts';
import { FakeChatServer } from '../../test/chatServer.ts';
import { ADMIN, callsTo, emptyResponse, jsonResponse, mockApi, renderApp, sessionRoutes, setSessionCookie } from '../../test/helpers.tsx';
import { parseTags } from './SessionHeader.tsx';

beforeEach(async () => {
  await i18n.changeLanguage('en');
  setSessionCookie();
});

function row(name: string): HTMLElement {
  return screen.getAllByTestId('persona-row').find((element) => within(element).queryByRole('heading', { name }))!;
}

describe('personas page', () => {
  function routes(server: FakeChatServer) {
    return {
      ...server.routes(),
      'POST /api/llm/personas': ({ body }: { body: unknown }) => {
        const made: Persona = { id: 'p-new', kind: 'own', params: null, description: null, avatar: null, system_prompt: null, model: null, ...(body as object) } as Persona;
        server.personas.push(made);
        return jsonResponse(made, 201);
      },
      'PUT /api/llm/personas/p-owl': ({ body }: { body: unknown }) => jsonResponse({ ...server.personas[3], ...(body as object), kind: 'own' }),
      'DELETE /api/llm/personas/p-owl': () => emptyResponse(),
    };
  }

  it('lists built-in and own personas; only own ones can be edited', async () => {
    mockApi(routes(new FakeChatServer()));
    renderApp('/chat/personas');
    await waitFor(() => expect(screen.getAllByTestId('persona-row')).toHaveLength(4));
    expect(within(row('Fox')).getByText('Built-in')).toBeInTheDocument();
    expect(within(row('Fox')).getByTestId('persona-avatar')).toHaveTextContent('🦊');
    // A built-in without an avatar still gets its animal.
    expect(within(row('Snake')).getByTestId('persona-avatar')).toHaveTextContent('🐍');
    expect(within(row('Fox')).queryByTestId('persona-edit')).not.toBeInTheDocument();
    expect(within(row('Owl')).getByText('Yours')).toBeInTheDocument();
    expect(within(row('Owl')).getByTestId('persona-edit')).toBeInTheDocument();
  });

  it('creates, edits and deletes an own persona', async () => {
    const fetchMock = mockApi(routes(new FakeChatServer()));
    renderApp('/chat/personas');
    await waitFor(() => expect(screen.getAllByTestId('persona-row')).toHaveLength(4));

    await userEvent.click(screen.getByTestId('persona-add'));
    await userEvent.click(screen.getByTestId('persona-save'));
    expect(await screen.findByTestId('persona-name-error')).toHaveTextContent('Required.');
    expect(screen.getByTestId('persona-prompt-error')).toHaveTextContent('Required.');
    expect(callsTo(fetchMock, 'POST /api/llm/personas')).toHaveLength(0);
    await userEvent.type(screen.getByTestId('persona-name'), 'Cat');
    await userEvent.type(screen.getByTestId('persona-avatar-input'), '🐱');
    await userEvent.type(screen.getByTestId('persona-description'), 'Aloof');
    await userEvent.type(screen.getByTestId('persona-prompt'), 'You are a cat.');
    await userEvent.selectOptions(screen.getByTestId('persona-model'), 'fake-model');
    // Not an admin: no "share with everybody".
    expect(screen.queryByTestId('persona-shared')).not.toBeInTheDocument();
    await userEvent.click(screen.getByTestId('persona-save'));
    await waitFor(() => expect(screen.getAllByTestId('persona-row')).toHaveLength(5));
    expect(callsTo(fetchMock, 'POST /api/llm/personas')[0]!.body).toEqual({
      name: 'Cat',
      avatar: '🐱',
      description: 'Aloof',
      system_prompt: 'You are a cat.',
      model: 'fake-model',
      params: null,
    });
    expect(screen.getByTestId('persona-message')).toHaveTextContent('Saved Cat.');

    await userEvent.click(within(row('Owl')).getByTestId('persona-edit'));
    expect(screen.getByTestId('persona-name')).toHaveValue('Owl');
    expect(screen.getByTestId('persona-model')).toHaveValue('claude-fake');
    await userEvent.clear(screen.getByTestId('persona-name'));
    await userEvent.type(screen.getByTestId('persona-name'), 'Great owl');
    await userEvent.click(screen.getByTestId('persona-save'));
    await waitFor(() => expect(row('Great owl')).toBeTruthy());
    expect(callsTo(fetchMock, 'PUT /api/llm/personas/p-owl')[0]!.body).toMatchObject({ name: 'Great owl', avatar: '🦉', model: 'claude-fake' });

    await userEvent.click(within(row('Great owl')).getByTestId('persona-delete'));
    await userEvent.click(screen.getByTestId('persona-delete-dialog-confirm'));
    await waitFor(() => expect(screen.getAllByTestId('persona-row')).toHaveLength(4));
    expect(callsTo(fetchMock, 'DELETE /api/llm/personas/p-owl')).toHaveLength(1);
  });

  it('lets admins publish a shared persona', async () => {
    const server = new FakeChatServer();
    const fetchMock = mockApi({ ...routes(server), ...sessionRoutes(ADMIN), 'GET /api/llm/personas': () => jsonResponse({ items: server.personas }) });
    renderApp('/chat/personas');
    await userEvent.click(await screen.findByTestId('persona-add'));
    await userEvent.type(screen.getByTestId('persona-name'), 'Team helper');
    await userEvent.type(screen.getByTestId('persona-prompt'), 'Help the team.');
    await userEvent.click(screen.getByTestId('persona-shared'));
    await userEvent.click(screen.getByTestId('persona-save'));
    await waitFor(() => expect(callsTo(fetchMock, 'POST /api/llm/personas')).toHaveLength(1));
    expect(callsTo(fetchMock, 'POST /api/llm/personas')[0]!.body).toEqual({
      name: 'Team helper',
      description: null,
      system_prompt: 'Help the team.',
      model: null,
      params: null,
      shared: true,
    });
  });

  it('is linked from the chat sidebar, and Chat from the header for a logged-in user', async () => {
    mockApi(routes(new FakeChatServer()));
    const { router } = renderApp('/status');
    await userEvent.click(await screen.findByTestId('nav-chat'));
    await waitFor(() => expect(router.state.location.pathname).toBe('/chat'));
    await userEvent.click(await screen.findByTestId('chat-personas-link'));
    await waitFor(() => expect(router.state.location.pathname).toBe('/chat/personas'));
    expect(await screen.findByRole('heading', { level: 1, name: 'Personas' })).toBeInTheDocument();
  });

  it('sends a logged-out visitor of /chat to the login page', async () => {
    document.cookie = 'llmm_csrf=; Max-Age=0; path=/';
    mockApi({});
    const { router } = renderApp('/chat/s1');
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(router.state.location.search).toBe('?next=%2Fchat%2Fs1');
    expect(screen.queryByTestId('nav-chat')).not.toBeInTheDocument();
  });
});

describe('helpers', () => {
  it('keeps only absolute http, https and mailto links', () => {
    expect(safeUrl('https://example.com/a?b#c')).toBe('https://example.com/a?b#c');
    expect(safeUrl('mailto:fox@example.com')).toBe('mailto:fox@example.com');
    for (const bad of ['javascript:alert(1)', ' JAVASCRIPT:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<b>', 'vbscript:x', '/relative', '#top', '//evil.example']) {
      expect(safeUrl(bad), bad).toBeUndefined();
    }
  });

  it('reads tags typed with commas (also full-width) and hashes', () => {
    expect(parseTags(' work, #fun,,work，家 ')).toEqual(['work', 'fun', '家']);
  });

  it('gives personas an emoji avatar, never a remote picture', () => {
    expect(avatarText({ id: 'fox', name: 'Fox', avatar: null })).toBe('🦊');
    expect(avatarText({ id: 'x', name: 'owl', avatar: 'https://evil.example/p.png' })).toBe('O');
    expect(avatarText({ id: 'x', name: 'Cat', avatar: '🐱' })).toBe('🐱');
  });
});
