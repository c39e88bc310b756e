import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import i18n from '../../i18n/index.ts';
import { FakeChatServer, message, session } from '../../test/chatServer.ts';
import { callsTo, errorResponse, jsonResponse, mockApi, renderApp, setSessionCookie } from '../../test/helpers.tsx';
import { controlledSse, sseEvent, sseResponse } from '../../test/sse.ts';

beforeEach(async () => {
  await i18n.changeLanguage('en');
  setSessionCookie();
});

const STORED_ANSWER = message({
  id: 'a1',
  session_id: 's1',
  parent_id: 'u1',
  role: 'assistant',
  content: 'Hello! You said: hello fox',
  status: 'complete',
  model: 'fake-model',
  persona_id: 'fox',
  prompt_tokens: 9,
  completion_tokens: 6,
});

/** The assistant bubbles' texts, in order. */
function answers(): string[] {
  return screen
    .queryAllByTestId('message')
    .filter((item) => item.dataset.role === 'assistant')
    .map((item) => within(item).getByTestId('message-content').textContent ?? '');
}

function lastAnswer(): HTMLElement {
  const items = screen.getAllByTestId('message').filter((item) => item.dataset.role === 'assistant');
  return items[items.length - 1]!;
}

/** Pushes a piece of the stream and lets React render what it caused. */
async function push(body: ReturnType<typeof controlledSse>, piece: string) {
  await act(async () => {
    body.push(piece);
    await new Promise((resolve) => setTimeout(resolve, 0));
  });
}

describe('chat page', () => {
  it('sends a first message with the chosen persona and model, streams the reply in and ends with the stored message', async () => {
    const server = new FakeChatServer();
    const reply = controlledSse();
    const fetchMock = mockApi({
      ...server.routes(),
      'POST /api/llm/chat': () => {
        server.sessions.push(session({ id: 's1', title: 'hello fox', persona_id: 'fox' }));
        return reply.response;
      },
    });
    const { router } = renderApp('/chat');

    expect(await screen.findByTestId('chat-welcome')).toBeInTheDocument();
    expect(await screen.findByTestId('chat-sessions-empty')).toHaveTextContent('No conversations yet');
    await waitFor(() => expect(screen.getByTestId('composer-model')).toBeEnabled());
    await userEvent.selectOptions(screen.getByTestId('composer-persona'), 'fox');
    await userEvent.selectOptions(screen.getByTestId('composer-model'), 'fake-model');
    await userEvent.type(screen.getByTestId('composer-input'), 'hello fox{Enter}');

    await waitFor(() => expect(callsTo(fetchMock, 'POST /api/llm/chat')).toHaveLength(1));
    expect(callsTo(fetchMock, 'POST /api/llm/chat')[0]!.body).toEqual({
      message: 'hello fox',
      model: 'fake-model',
      persona_id: 'fox',
      stream: true,
    });
    // The question shows at once, the answer as "writing", and Send became Stop.
    expect(screen.getAllByTestId('message')[0]).toHaveTextContent('hello fox');
    expect(await screen.findByTestId('message-writing')).toBeInTheDocument();
    expect(screen.getByTestId('chat-stop')).toBeInTheDocument();
    expect(screen.getByTestId('composer-persona')).toBeDisabled();
    // The text left the composer once the server took it.
    expect(screen.getByTestId('composer-input')).toHaveValue('');

    await push(reply, sseEvent(1, 'start', { session_id: 's1', user_message_id: 'u1', assistant_message_id: 'a1' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/chat/s1'));
    // The new conversation is in the sidebar.
    expect(await screen.findByRole('link', { name: /hello fox/ })).toHaveAttribute('href', '/chat/s1');

    // A delta split in the middle of its JSON and of a multi-byte character.
    const delta = sseEvent(2, 'delta', { content: 'Hello! 🦊' });
    await push(reply, delta.slice(0, 20));
    await push(reply, delta.slice(20));
    await waitFor(() => expect(answers()).toEqual(['Hello! 🦊']));
    expect(lastAnswer()).toHaveAttribute('data-status', 'streaming');
    await push(reply, sseEvent(3, 'delta', { content: ' You said' }));
    await waitFor(() => expect(answers()).toEqual(['Hello! 🦊 You said']));

    await push(reply, sseEvent(4, 'usage', { prompt_tokens: 9, completion_tokens: 6 }) + sseEvent(5, 'done', { message: STORED_ANSWER }));
    reply.close();
    await waitFor(() => expect(answers()).toEqual(['Hello! You said: hello fox']));
    expect(lastAnswer()).toHaveAttribute('data-status', 'complete');
    expect(lastAnswer()).toHaveAttribute('data-id', 'a1');
    expect(screen.queryByTestId('message-writing')).not.toBeInTheDocument();
    expect(await screen.findByTestId('composer-send')).toBeInTheDocument();
    expect(screen.getByText('9 + 6 tokens')).toBeInTheDocument();
    // The conversation opened as it was stored: the header shows its title and persona.
    expect(await screen.findByTestId('session-title')).toHaveTextContent('hello fox');
    expect(screen.getByTestId('session-persona')).toHaveTextContent('Fox');
    // Its messages were not read again: the stream had them.
    expect(callsTo(fetchMock, 'GET /api/llm/messages')).toHaveLength(0);
  });

  it('sends in an open session with only its id, and shows the stored answer', async () => {
    const server = new FakeChatServer([session({ id: 's1', title: 'Fox facts', persona_id: 'fox' })], {
      s1: [message({ id: 'u0', content: 'first' }), message({ id: 'a0', role: 'assistant', content: 'first answer', parent_id: 'u0' })],
    });
    const fetchMock = mockApi({
      ...server.routes(),
      'POST /api/llm/chat': () =>
        sseResponse([
          sseEvent(1, 'start', { session_id: 's1', user_message_id: 'u1', assistant_message_id: 'a1' }),
          sseEvent(2, 'delta', { content: 'Hello!' }),
          sseEvent(3, 'done', { message: STORED_ANSWER }),
        ]),
    });
    renderApp('/chat/s1');
    await waitFor(() => expect(answers()).toEqual(['first answer']));
    await userEvent.type(screen.getByTestId('composer-input'), 'hello fox{Enter}');
    await waitFor(() => expect(answers()).toEqual(['first answer', 'Hello! You said: hello fox']));
    expect(callsTo(fetchMock, 'POST /api/llm/chat')[0]!.body).toEqual({ message: 'hello fox', session_id: 's1', stream: true });
  });

  it('Shift+Enter adds a line instead of sending', async () => {
    const fetchMock = mockApi(new FakeChatServer().routes());
    renderApp('/chat');
    const input = await screen.findByTestId('composer-input');
    await userEvent.type(input, 'one{Shift>}{Enter}{/Shift}two');
    expect(input).toHaveValue('one\ntwo');
    expect(callsTo(fetchMock, 'POST /api/llm/chat')).toHaveLength(0);
  });

  it('Stop calls the stop endpoint, closes the stream and marks the answer stopped', async () => {
    const server = new FakeChatServer([session({ id: 's1', title: 'Fox facts' })], { s1: [] });
    const reply = controlledSse();
    let signal: AbortSignal | null = null;
    const fetchMock = mockApi({
      ...server.routes(),
      'POST /api/llm/chat': ({ init }) => {
        signal = init?.signal ?? null;
        return reply.response;
      },
    });
    renderApp('/chat/s1');
    await screen.findByTestId('chat-welcome');
    await userEvent.type(screen.getByTestId('composer-input'), 'tell me a long story{Enter}');
    await push(reply, sseEvent(1, 'start', { session_id: 's1', user_message_id: 'u1', assistant_message_id: 'a1' }));
    await push(reply, sseEvent(2, 'delta', { content: 'Once upon a time' }));
    await waitFor(() => expect(answers()).toEqual(['Once upon a time']));

    await userEvent.click(screen.getByTestId('chat-stop'));

    await waitFor(() => expect(callsTo(fetchMock, 'POST /api/llm/sessions/s1/stop')).toHaveLength(1));
    await waitFor(() => expect(reply.state.cancelled).toBe(true));
    expect(signal!.aborted).toBe(true);
    await waitFor(() => expect(lastAnswer()).toHaveAttribute('data-status', 'cancelled'));
    expect(within(lastAnswer()).getByTestId('message-status')).toHaveTextContent('Stopped');
    expect(answers()).toEqual(['Once upon a time']);
    expect(screen.getByTestId('composer-send')).toBeInTheDocument();
  });

  it('Regenerate asks for a new answer to the last question and replaces the old one on screen', async () => {
    const server = new FakeChatServer([session({ id: 's1', title: 'Fox facts' })], {
      s1: [message({ id: 'u1', content: 'hi' }), message({ id: 'a1', role: 'assistant', content: 'old answer', parent_id: 'u1' })],
    });
    const fetchMock = mockApi({
      ...server.routes(),
      'POST /api/llm/sessions/s1/regenerate': () =>
        sseResponse([
          sseEvent(1, 'start', { session_id: 's1', user_message_id: 'u1', assistant_message_id: 'a2' }),
          sseEvent(2, 'delta', { content: 'new ' }),
          sseEvent(3, 'delta', { content: 'answer' }),
          sseEvent(4, 'done', { message: { ...STORED_ANSWER, id: 'a2', content: 'new answer' } }),
        ]),
    });
    renderApp('/chat/s1');
    await waitFor(() => expect(answers()).toEqual(['old answer']));

    await userEvent.click(screen.getByTestId('message-regenerate'));

    await waitFor(() => expect(answers()).toEqual(['new answer']));
    expect(callsTo(fetchMock, 'POST /api/llm/sessions/s1/regenerate')[0]!.body).toEqual({ stream: true });
    expect(lastAnswer()).toHaveAttribute('data-id', 'a2');
    expect(screen.getAllByTestId('message')).toHaveLength(2);
  });

  it('Edit sends the edited question with PUT and streams its new answer', async () => {
    const server = new FakeChatServer([session({ id: 's1', title: 'Fox facts' })], {
      s1: [
        message({ id: 'u1', content: 'what is a fox?' }),
        message({ id: 'a1', role: 'assistant', content: 'an animal', parent_id: 'u1' }),
        message({ id: 'u2', content: 'and a dog?', parent_id: 'a1' }),
        message({ id: 'a2', role: 'assistant', content: 'another animal', parent_id: 'u2' }),
      ],
    });
    const fetchMock = mockApi({
      ...server.routes(),
      'PUT /api/llm/messages/u1': () =>
        sseResponse([
          sseEvent(1, 'start', { session_id: 's1', user_message_id: 'u1b', assistant_message_id: 'a1b' }),
          sseEvent(2, 'delta', { content: 'a small wild canid' }),
          sseEvent(3, 'done', { message: { ...STORED_ANSWER, id: 'a1b', content: 'a small wild canid' } }),
        ]),
    });
    renderApp('/chat/s1');
    await waitFor(() => expect(answers()).toEqual(['an animal', 'another animal']));

    await userEvent.click(screen.getAllByTestId('message-edit')[0]!);
    const editor = screen.getByTestId('message-edit-input');
    await userEvent.clear(editor);
    await userEvent.type(editor, 'what is a fox, exactly?{Enter}');

    await waitFor(() => expect(answers()).toEqual(['a small wild canid']));
    expect(callsTo(fetchMock, 'PUT /api/llm/messages/u1')[0]!.body).toEqual({ content: 'what is a fox, exactly?', stream: true });
    const shown = screen.getAllByTestId('message');
    expect(shown.map((item) => item.dataset.id)).toEqual(['u1b', 'a1b']);
    expect(shown[0]).toHaveTextContent('what is a fox, exactly?');
  });

  it('re-attaches to a reply still being written (Last-Event-ID 0) and shows it live', async () => {
    const server = new FakeChatServer([session({ id: 's1', title: 'Fox facts' })], {
      s1: [
        message({ id: 'u1', content: 'hi' }),
        message({ id: 'a1', role: 'assistant', content: 'Hel', status: 'streaming', parent_id: 'u1' }),
      ],
    });
    const live = controlledSse();
    const fetchMock = mockApi({ ...server.routes(), 'GET /api/llm/sessions/s1/stream': () => live.response });
    renderApp('/chat/s1');

    await waitFor(() => expect(callsTo(fetchMock, 'GET /api/llm/sessions/s1/stream')).toHaveLength(1));
    expect(callsTo(fetchMock, 'GET /api/llm/sessions/s1/stream')[0]!.headers['Last-Event-ID']).toBe('0');
    expect(answers()).toEqual(['Hel']);
    expect(screen.getByTestId('chat-stop')).toBeInTheDocument();

    // The replay starts from the beginning: it replaces what was stored, then grows.
    await push(live, sseEvent(1, 'start', { session_id: 's1', user_message_id: 'u1', assistant_message_id: 'a1' }));
    await push(live, sseEvent(2, 'delta', { content: 'Hel' }) + sseEvent(3, 'delta', { content: 'lo' }));
    await waitFor(() => expect(answers()).toEqual(['Hello']));
    await push(live, sseEvent(4, 'done', { message: { ...STORED_ANSWER, content: 'Hello' } }));
    await waitFor(() => expect(lastAnswer()).toHaveAttribute('data-status', 'complete'));
    expect(answers()).toEqual(['Hello']);
  });

  it('picks a dropped connection up from the last event id', async () => {
    const server = new FakeChatServer([session({ id: 's1', title: 'Fox facts' })], { s1: [] });
    const fetchMock = mockApi({
      ...server.routes(),
      'POST /api/llm/chat': () =>
        sseResponse([
          sseEvent(1, 'start', { session_id: 's1', user_message_id: 'u1', assistant_message_id: 'a1' }),
          sseEvent(2, 'delta', { content: 'Hello' }),
        ]),
      'GET /api/llm/sessions/s1/stream': () =>
        sseResponse([sseEvent(3, 'delta', { content: ' again' }), sseEvent(4, 'done', { message: { ...STORED_ANSWER, content: 'Hello again' } })]),
    });
    renderApp('/chat/s1');
    await screen.findByTestId('chat-welcome');
    await userEvent.type(screen.getByTestId('composer-input'), 'hi{Enter}');
    await waitFor(() => expect(lastAnswer()).toHaveAttribute('data-status', 'complete'));
    expect(answers()).toEqual(['Hello again']);
    expect(callsTo(fetchMock, 'GET /api/llm/sessions/s1/stream')[0]!.headers['Last-Event-ID']).toBe('2');
  });

  it('picks a broken connection up too (the body errors instead of ending)', async () => {
    const server = new FakeChatServer([session({ id: 's1', title: 'Fox facts' })], { s1: [] });
    const pieces = [
      sseEvent(1, 'start', { session_id: 's1', user_message_id: 'u1', assistant_message_id: 'a1' }),
      sseEvent(2, 'delta', { content: 'Hel' }),
    ].map((piece) => new TextEncoder().encode(piece));
    const fetchMock = mockApi({
      ...server.routes(),
      'POST /api/llm/chat': () =>
        new Response(
          new ReadableStream<Uint8Array>({
            // Each piece as it is read, then the connection breaks.
            pull(controller) {
              const piece = pieces.shift();
              if (piece) controller.enqueue(piece);
              else controller.error(new TypeError('network error'));
            },
          }),
          { headers: { 'Content-Type': 'text/event-stream' } },
        ),
      'GET /api/llm/sessions/s1/stream': () =>
        sseResponse([sseEvent(3, 'delta', { content: 'lo' }), sseEvent(4, 'done', { message: { ...STORED_ANSWER, content: 'Hello' } })]),
    });
    renderApp('/chat/s1');
    await screen.findByTestId('chat-welcome');
    await userEvent.type(screen.getByTestId('composer-input'), 'hi{Enter}');
    await waitFor(() => expect(lastAnswer()).toHaveAttribute('data-status', 'complete'));
    expect(answers()).toEqual(['Hello']);
    expect(callsTo(fetchMock, 'GET /api/llm/sessions/s1/stream')[0]!.headers['Last-Event-ID']).toBe('2');
    expect(screen.queryByTestId('chat-error')).not.toBeInTheDocument();
  });

  it('shows an error event on the answer, and a refused send keeps the text', async () => {
    const server = new FakeChatServer([session({ id: 's1', title: 'Fox facts' })], { s1: [] });
    let refuse = true;
    mockApi({
      ...server.routes(),
      'POST /api/llm/chat': () =>
        refuse
          ? errorResponse(429, 'rate_limited', 'too many requests; wait a minute')
          : sseResponse([
              sseEvent(1, 'start', { session_id: 's1', user_message_id: 'u1', assistant_message_id: 'a1' }),
              sseEvent(2, 'error', { code: 'upstream_error', message: 'the upstream refused: quota exceeded' }),
            ]),
    });
    renderApp('/chat/s1');
    await screen.findByTestId('chat-welcome');
    await userEvent.type(screen.getByTestId('composer-input'), 'hi{Enter}');
    expect(await screen.findByTestId('chat-error')).toHaveTextContent('too many requests; wait a minute');
    expect(screen.getByTestId('composer-input')).toHaveValue('hi');
    expect(screen.queryAllByTestId('message')).toHaveLength(0);

    refuse = false;
    await userEvent.click(screen.getByTestId('composer-send'));
    await waitFor(() => expect(lastAnswer()).toHaveAttribute('data-status', 'error'));
    expect(within(lastAnswer()).getByTestId('message-status')).toHaveTextContent('Failed');
    expect(within(lastAnswer()).getByTestId('message-error')).toHaveTextContent('the upstream refused: quota exceeded');
    expect(screen.queryByTestId('chat-error')).not.toBeInTheDocument();
  });

  it('shows badges for stopped and cut-off answers, and a not-found conversation', async () => {
    const server = new FakeChatServer([session({ id: 's1', title: 'Fox facts' })], {
      s1: [
        message({ id: 'u1', content: 'a' }),
        message({ id: 'a1', role: 'assistant', content: 'half', status: 'cancelled' }),
        message({ id: 'u2', content: 'b' }),
        message({ id: 'a2', role: 'assistant', content: 'cut', status: 'incomplete' }),
      ],
    });
    mockApi(server.routes());
    const { router } = renderApp('/chat/s1');
    await waitFor(() => expect(answers()).toEqual(['half', 'cut']));
    expect(screen.getAllByTestId('message-status').map((badge) => badge.textContent)).toEqual(['Stopped', 'Incomplete']);

    await act(() => router.navigate('/chat/s3'));
    expect(await screen.findByTestId('chat-not-found')).toHaveTextContent('does not exist');
  });
});

describe('chat sidebar', () => {
  function sidebarServer() {
    return new FakeChatServer(
      [
        session({ id: 's1', title: 'Fox facts', tags: ['work'] }),
        session({ id: 's2', title: 'Dog days', tags: ['home'] }),
        session({ id: 's3', title: 'Snake eyes' }),
      ],
      { s1: [], s2: [], s3: [] },
    );
  }

  function items() {
    return screen.getAllByTestId('session-item').map((item) => item.dataset.title);
  }

  function item(title: string): HTMLElement {
    return screen.getAllByTestId('session-item').find((element) => element.dataset.title === title)!;
  }

  it('searches with q and filters by tag', async () => {
    const fetchMock = mockApi(sidebarServer().routes());
    renderApp('/chat');
    await waitFor(() => expect(items()).toEqual(['Fox facts', 'Dog days', 'Snake eyes']));

    await userEvent.type(screen.getByTestId('chat-search'), 'dog');
    await waitFor(() => expect(items()).toEqual(['Dog days']));
    expect(callsTo(fetchMock, 'GET /api/llm/sessions').at(-1)!.url.searchParams.get('q')).toBe('dog');

    await userEvent.clear(screen.getByTestId('chat-search'));
    await waitFor(() => expect(items()).toHaveLength(3));
    await userEvent.selectOptions(screen.getByTestId('chat-tag-filter'), 'work');
    await waitFor(() => expect(items()).toEqual(['Fox facts']));
    expect(callsTo(fetchMock, 'GET /api/llm/sessions').at(-1)!.url.searchParams.get('tag')).toBe('work');

    await userEvent.type(screen.getByTestId('chat-search'), 'nothing like it');
    expect(await screen.findByTestId('chat-sessions-empty')).toHaveTextContent('No conversation matches.');
  });

  it('pins (the list comes back pinned first), renames in place and deletes with a confirmation', async () => {
    const server = sidebarServer();
    const fetchMock = mockApi(server.routes());
    const { router } = renderApp('/chat/s2');
    await waitFor(() => expect(items()).toEqual(['Fox facts', 'Dog days', 'Snake eyes']));
    expect(within(item('Dog days')).getByTestId('session-link')).toHaveAttribute('aria-current', 'page');

    await userEvent.click(within(item('Snake eyes')).getByTestId('session-pin'));
    await waitFor(() => expect(items()).toEqual(['Snake eyes', 'Fox facts', 'Dog days']));
    expect(callsTo(fetchMock, 'PATCH /api/llm/sessions/s3')[0]!.body).toEqual({ pinned: true });
    expect(within(item('Snake eyes')).getByTestId('session-pin')).toHaveAttribute('aria-pressed', 'true');

    await userEvent.click(within(item('Fox facts')).getByTestId('session-rename'));
    const input = screen.getByTestId('session-rename-input');
    await userEvent.clear(input);
    await userEvent.type(input, 'All about foxes{Enter}');
    await waitFor(() => expect(items()).toContain('All about foxes'));
    expect(callsTo(fetchMock, 'PATCH /api/llm/sessions/s1')[0]!.body).toEqual({ title: 'All about foxes' });

    // Escape leaves a rename without saving.
    await userEvent.click(within(item('Snake eyes')).getByTestId('session-rename'));
    await userEvent.type(screen.getByTestId('session-rename-input'), ' nope{Escape}');
    expect(callsTo(fetchMock, 'PATCH /api/llm/sessions/s3')).toHaveLength(1);

    // Deleting the open conversation goes back to a new chat.
    await userEvent.click(within(item('Dog days')).getByTestId('session-delete'));
    const dialog = screen.getByTestId('session-delete-dialog');
    expect(dialog).toHaveTextContent('Delete “Dog days”?');
    await userEvent.click(within(dialog).getByTestId('session-delete-dialog-confirm'));
    await waitFor(() => expect(items()).toEqual(['Snake eyes', 'All about foxes']));
    expect(callsTo(fetchMock, 'DELETE /api/llm/sessions/s2')).toHaveLength(1);
    await waitFor(() => expect(router.state.location.pathname).toBe('/chat'));
  });

  it('is a drawer behind a toggle (for phones)', async () => {
    mockApi(sidebarServer().routes());
    renderApp('/chat');
    const toggle = await screen.findByTestId('chat-sidebar-toggle');
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await userEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(screen.getByTestId('chat-page')).toHaveClass('drawer-open');
    // Opening a conversation closes it.
    await userEvent.click(await screen.findByRole('link', { name: /Dog days/ }));
    await waitFor(() => expect(toggle).toHaveAttribute('aria-expanded', 'false'));
  });
});

describe('session header', () => {
  it('shares: creates a link, shows it for copying, and revokes it', async () => {
    const server = new FakeChatServer([session({ id: 's1', title: 'Fox facts', persona_id: 'fox' })], { s1: [] });
    const fetchMock = mockApi(server.routes());
    renderApp('/chat/s1');
    await userEvent.click(await screen.findByTestId('session-share'));
    const dialog = screen.getByTestId('share-dialog');

    await userEvent.click(within(dialog).getByTestId('share-create'));
    const url = await within(dialog).findByTestId('share-url');
    expect(url).toHaveValue(`${window.location.origin}/s/tok-s1`);
    expect(callsTo(fetchMock, 'POST /api/llm/sessions/s1/share')).toHaveLength(1);
    expect(callsTo(fetchMock, 'POST /api/llm/sessions/s1/share')[0]!.headers['X-CSRF-Token']).toBeTruthy();
    await userEvent.click(within(dialog).getByTestId('share-copy'));
    expect(await within(dialog).findByTestId('share-copied')).toBeInTheDocument();

    await userEvent.click(within(dialog).getByTestId('share-revoke'));
    expect(await within(dialog).findByTestId('share-revoked')).toHaveTextContent('no longer opens');
    expect(callsTo(fetchMock, 'DELETE /api/llm/sessions/s1/share')).toHaveLength(1);
    expect(within(dialog).queryByTestId('share-url')).not.toBeInTheDocument();

    await userEvent.keyboard('{Escape}');
    expect(screen.queryByTestId('share-dialog')).not.toBeInTheDocument();
  });

  it('offers Markdown and JSON exports, shows persona and model, and edits the tags', async () => {
    const server = new FakeChatServer([session({ id: 's1', title: 'Fox facts', persona_id: 'fox', model: 'claude-fake' })], { s1: [] });
    const fetchMock = mockApi(server.routes());
    renderApp('/chat/s1');
    expect(await screen.findByTestId('session-export-md')).toHaveAttribute('href', '/api/llm/sessions/s1/export?format=md');
    expect(screen.getByTestId('session-export-json')).toHaveAttribute('href', '/api/llm/sessions/s1/export?format=json');
    expect(screen.getByTestId('session-persona')).toHaveTextContent('🦊Fox');
    expect(screen.getByTestId('session-model')).toHaveTextContent('claude-fake');
    await waitFor(() => expect(screen.getByTestId('composer-model')).toHaveValue('claude-fake'));
    expect(screen.getByTestId('composer-persona')).toHaveValue('fox');

    await userEvent.click(screen.getByTestId('session-tags-edit'));
    await userEvent.type(screen.getByTestId('session-tags-input'), 'work, #fun,, work{Enter}');
    await waitFor(() => expect(screen.getByTestId('session-tags-edit')).toHaveTextContent('#work #fun'));
    expect(callsTo(fetchMock, 'PATCH /api/llm/sessions/s1')[0]!.body).toEqual({ tags: ['work', 'fun'] });

    // The pickers change the open session.
    await userEvent.selectOptions(screen.getByTestId('composer-persona'), 'dog');
    await waitFor(() => expect(callsTo(fetchMock, 'PATCH /api/llm/sessions/s1')).toHaveLength(2));
    expect(callsTo(fetchMock, 'PATCH /api/llm/sessions/s1')[1]!.body).toEqual({ persona_id: 'dog' });
    await waitFor(() => expect(screen.getByTestId('session-persona')).toHaveTextContent('Dog'));
  });
});

describe('untrusted text renders inert', () => {
  const PAYLOADS = [
    '<img src=x onerror=alert(1)>',
    '<script>alert(2)</script>',
    '[x](javascript:alert(3))',
    '[y](  JaVaScRiPt:alert(4))',
    '![z](javascript:alert(5))',
    '<a href="javascript:alert(6)">html link</a>',
    '[ok](https://example.com/page)',
  ].join('\n\n');

  function assertInert(root: HTMLElement) {
    expect(root.querySelectorAll('img, script, iframe, object, embed')).toHaveLength(0);
    for (const link of Array.from(root.querySelectorAll('a'))) {
      const href = link.getAttribute('href') ?? '';
      expect(href).not.toMatch(/^\s*javascript:/i);
    }
    for (const element of Array.from(root.querySelectorAll('*'))) {
      for (const attribute of Array.from(element.attributes)) expect(attribute.name).not.toMatch(/^on/i);
    }
  }

  it('in the chat page: messages and a title with HTML', async () => {
    const server = new FakeChatServer([session({ id: 's1', title: '<img src=x onerror=alert(7)><b>Title</b>' })], {
      s1: [
        message({ id: 'u1', content: PAYLOADS }),
        message({ id: 'a1', role: 'assistant', content: `${PAYLOADS}\n\n\`\`\`js\nconst a = "<script>";\n\`\`\`` }),
      ],
    });
    mockApi(server.routes());
    renderApp('/chat/s1');
    await waitFor(() => expect(answers()).toHaveLength(1));
    await screen.findByTestId('session-header');

    const page = screen.getByTestId('chat-page');
    assertInert(page);
    // The markup is shown as the text it is.
    expect(screen.getByTestId('session-title')).toHaveTextContent('<img src=x onerror=alert(7)><b>Title</b>');
    expect(lastAnswer()).toHaveTextContent('<script>alert(2)</script>');
    expect(lastAnswer()).toHaveTextContent('<img src=x onerror=alert(1)>');
    // Safe links work and open without an opener; unsafe ones are plain text.
    const ok = await within(lastAnswer()).findByRole('link', { name: 'ok' });
    expect(ok).toHaveAttribute('href', 'https://example.com/page');
    expect(ok).toHaveAttribute('rel', 'noopener noreferrer');
    expect(ok).toHaveAttribute('target', '_blank');
    expect(within(lastAnswer()).queryByRole('link', { name: 'x' })).not.toBeInTheDocument();
    // Code blocks are highlighted and have a copy button.
    const code = await within(lastAnswer()).findByTestId('code-block');
    expect(code.querySelector('.hljs-keyword')).toHaveTextContent('const');
    expect(within(code).getByTestId('code-copy')).toHaveTextContent('Copy code');
    assertInert(page);
  });

  it('in the shared page, which needs no login', async () => {
    document.cookie = 'llmm_csrf=; Max-Age=0; path=/';
    const fetchMock = mockApi({
      'GET /api/share/tok-1': () =>
        jsonResponse({
          title: '<script>alert(8)</script>Shared',
          shared_at: '2026-11-21T10:00:00Z',
          messages: [
            { role: 'user', content: PAYLOADS, created_at: '2026-11-21T10:00:00Z' },
            { role: 'assistant', content: PAYLOADS, created_at: '2026-11-21T10:00:01Z' },
          ],
        }),
    });
    renderApp('/s/tok-1');
    const page = await screen.findByTestId('shared-page');
    expect(screen.getByTestId('shared-title')).toHaveTextContent('<script>alert(8)</script>Shared');
    expect(screen.getAllByTestId('shared-message')).toHaveLength(2);
    expect(await within(page).findByRole('link', { name: 'ok' })).toHaveAttribute('rel', 'noopener noreferrer');
    assertInert(page);
    // Nobody was asked who is logged in.
    expect(callsTo(fetchMock, 'GET /api/auth/profile')).toHaveLength(0);
  });
});

describe('shared page', () => {
  it('says so kindly when the link was revoked or never existed', async () => {
    document.cookie = 'llmm_csrf=; Max-Age=0; path=/';
    mockApi({ 'GET /api/share/gone': () => errorResponse(404, 'not_found', 'not found') });
    renderApp('/s/gone');
    expect(await screen.findByTestId('shared-not-found')).toHaveTextContent('revoked, or it never existed');
  });
});
