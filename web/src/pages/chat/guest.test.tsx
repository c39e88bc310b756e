import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import i18n from '../../i18n/index.ts';
import { FakeChatServer } from '../../test/chatServer.ts';
import { callsTo, errorResponse, jsonResponse, mockApi, renderApp, setSessionCookie } from '../../test/helpers.tsx';
import { controlledSse, sseResponse } from '../../test/sse.ts';

const ON = { enabled: true, model: 'fake-model', max_message_chars: 2000 };
const OFF = { enabled: false, model: null, max_message_chars: 2000 };

/** A guest event: no id, as the server sends them. */
function guestEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The fake upstream's way of answering: "Hello! You said: <text>", a word at a time. */
function echo(text: string): Response {
  const words = `Hello! You said: ${text}`.split(/(?<= )/);
  return sseResponse([...words.map((word) => guestEvent('delta', { content: word })), guestEvent('done', { content: words.join('') })]);
}

function texts(role: string): string[] {
  return screen
    .queryAllByTestId('message')
    .filter((item) => item.dataset.role === role)
    .map((item) => within(item).getByTestId('message-content').textContent ?? '');
}

beforeEach(async () => {
  await i18n.changeLanguage('en');
});

describe('guest chat', () => {
  it('streams replies, keeps the conversation in the page and sends it back as history', async () => {
    const fetchMock = mockApi({
      'GET /api/llm/guest': () => jsonResponse(ON),
      'POST /api/llm/guest/chat': ({ body }) => echo((body as { message: string }).message),
    });
    renderApp('/guest');

    expect(await screen.findByTestId('guest-notice')).toHaveTextContent('Guest chats are not saved — sign in to keep them.');
    expect(await screen.findByTestId('guest-model')).toHaveTextContent('Model: fake-model');
    expect(screen.queryByTestId('chat-sidebar')).not.toBeInTheDocument();
    // The built-in personas, named in the UI language; no model picker, no images.
    const picks = screen.getAllByTestId('persona-pick');
    expect(picks.map((pick) => pick.dataset.persona)).toEqual(['fox', 'dog', 'snake']);
    expect(picks[0]).toHaveTextContent('🦊FoxClever and playful');
    expect(screen.queryByTestId('composer-model')).not.toBeInTheDocument();
    expect(screen.queryByTestId('composer-attach')).not.toBeInTheDocument();
    await userEvent.click(picks[1]!);
    expect(screen.getByTestId('composer-persona')).toHaveValue('dog');

    await userEvent.type(screen.getByTestId('composer-input'), 'hello guest{Enter}');
    await waitFor(() => expect(texts('assistant')).toEqual(['Hello! You said: hello guest']));
    expect(callsTo(fetchMock, 'POST /api/llm/guest/chat')[0]!.body).toEqual({ message: 'hello guest', history: [], persona_id: 'dog' });
    const reply = screen.getAllByTestId('message')[1]!;
    expect(reply).toHaveAttribute('data-status', 'complete');
    expect(reply).toHaveTextContent('Dog');
    // Guests can copy, not edit or regenerate.
    expect(screen.queryByTestId('message-edit')).not.toBeInTheDocument();
    expect(screen.queryByTestId('message-regenerate')).not.toBeInTheDocument();

    await userEvent.type(screen.getByTestId('composer-input'), 'and again{Enter}');
    await waitFor(() => expect(texts('assistant')).toHaveLength(2));
    await waitFor(() => expect(screen.getAllByTestId('message')[3]).toHaveAttribute('data-status', 'complete'));
    expect(callsTo(fetchMock, 'POST /api/llm/guest/chat')[1]!.body).toEqual({
      message: 'and again',
      history: [
        { role: 'user', content: 'hello guest' },
        { role: 'assistant', content: 'Hello! You said: hello guest' },
      ],
      persona_id: 'dog',
    });
    expect(texts('user')).toEqual(['hello guest', 'and again']);
    // Nothing was asked of the logged-in API.
    expect(callsTo(fetchMock, 'GET /api/auth/profile')).toHaveLength(0);
    expect(callsTo(fetchMock, 'GET /api/llm/sessions')).toHaveLength(0);
  });

  it('shows the answer growing, and Stop closes it', async () => {
    const reply = controlledSse();
    mockApi({ 'GET /api/llm/guest': () => jsonResponse(ON), 'POST /api/llm/guest/chat': () => reply.response });
    renderApp('/guest');
    await screen.findByTestId('guest-model');
    await userEvent.type(screen.getByTestId('composer-input'), 'tell me a story{Enter}');
    await act(async () => {
      reply.push(guestEvent('delta', { content: 'Once upon' }));
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
    await waitFor(() => expect(texts('assistant')).toEqual(['Once upon']));
    expect(screen.getByTestId('message-writing')).toBeInTheDocument();

    await userEvent.click(screen.getByTestId('chat-stop'));
    await waitFor(() => expect(reply.state.cancelled).toBe(true));
    await waitFor(() => expect(screen.getAllByTestId('message')[1]).toHaveAttribute('data-status', 'cancelled'));
    expect(screen.getByTestId('composer-send')).toBeInTheDocument();
  });

  it('shows the hourly limit with the time to wait, and keeps the text', async () => {
    mockApi({
      'GET /api/llm/guest': () => jsonResponse(ON),
      'POST /api/llm/guest/chat': () =>
        errorResponse(429, 'rate_limited', 'guests may send 20 messages an hour; sign in for more', null, { 'Retry-After': '125' }),
    });
    renderApp('/guest');
    await screen.findByTestId('guest-model');
    await userEvent.type(screen.getByTestId('composer-input'), 'one more{Enter}');

    const alert = await screen.findByTestId('guest-limited');
    expect(alert).toHaveTextContent('guests may send 20 messages an hour; sign in for more');
    expect(within(alert).getByTestId('guest-wait')).toHaveTextContent(/^You can send another message in 2 min \d s\.$/);
    expect(screen.getByTestId('composer-input')).toHaveValue('one more');
    expect(screen.getByTestId('composer-input')).toBeDisabled();
    expect(screen.getByTestId('composer-send')).toBeDisabled();
    expect(screen.queryAllByTestId('message')).toHaveLength(0);
  });

  it('is disabled when guest chat is off', async () => {
    const fetchMock = mockApi({ 'GET /api/llm/guest': () => jsonResponse(OFF) });
    renderApp('/guest');
    expect(await screen.findByTestId('guest-disabled')).toHaveTextContent('Guest chat is turned off on this server.');
    expect(within(screen.getByTestId('guest-disabled')).getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', '/login?next=%2Fchat');
    expect(screen.getByTestId('composer-input')).toBeDisabled();
    expect(screen.getByTestId('composer-send')).toBeDisabled();
    expect(screen.queryByTestId('guest-model')).not.toBeInTheDocument();
    await userEvent.type(screen.getByTestId('composer-input'), 'hello{Enter}');
    expect(callsTo(fetchMock, 'POST /api/llm/guest/chat')).toHaveLength(0);
  });

  it('becomes disabled when the server says it was turned off meanwhile (403)', async () => {
    mockApi({
      'GET /api/llm/guest': () => jsonResponse(ON),
      'POST /api/llm/guest/chat': () => errorResponse(403, 'forbidden', 'guest chat is turned off; sign in to chat'),
    });
    renderApp('/guest');
    // the composer takes input only once the guest settings have loaded
    await screen.findByTestId('guest-model');
    await userEvent.type(screen.getByTestId('composer-input'), 'hello{Enter}');
    expect(await screen.findByTestId('guest-disabled', {}, { timeout: 5000 })).toBeInTheDocument();
    expect(screen.getByTestId('composer-input')).toBeDisabled();
  });

  it('is offered on the login page only when it is on', async () => {
    mockApi({ 'GET /api/llm/guest': () => jsonResponse(ON) });
    const { unmount } = renderApp('/login');
    expect(await screen.findByTestId('login-guest')).toHaveAttribute('href', '/guest');
    expect(screen.getByTestId('login-guest')).toHaveTextContent('Chat as a guest');
    unmount();

    mockApi({ 'GET /api/llm/guest': () => jsonResponse(OFF) });
    renderApp('/login');
    await screen.findByTestId('login-page');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.queryByTestId('login-guest')).not.toBeInTheDocument();
  });

  it('sends signed-in users to the real chat', async () => {
    setSessionCookie();
    mockApi({ ...new FakeChatServer().routes(), 'GET /api/llm/guest': () => jsonResponse(ON) });
    const { router } = renderApp('/guest');
    await waitFor(() => expect(router.state.location.pathname).toBe('/chat'));
    expect(await screen.findByTestId('chat-page')).toBeInTheDocument();
  });
});
