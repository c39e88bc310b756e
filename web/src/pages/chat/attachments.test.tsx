import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import i18n from '../../i18n/index.ts';
import { FakeChatServer, message, session } from '../../test/chatServer.ts';
import { callsTo, emptyResponse, errorResponse, jsonResponse, mockApi, renderApp, setSessionCookie } from '../../test/helpers.tsx';
import { sseEvent, sseResponse } from '../../test/sse.ts';

beforeEach(async () => {
  await i18n.changeLanguage('en');
  setSessionCookie();
});

function png(name = 'cat.png', type = 'image/png', size = 64): File {
  return new File([new Uint8Array(size)], name, { type });
}

function stored(id: string) {
  return { id, mime: 'image/png', width: 32, height: 32, size: 64, created_at: '2026-11-21T10:00:00Z' };
}

/** The answer of the `n`-th reply (each reply has its own message ids, as the server gives). */
function answer(n: number) {
  return message({ id: `a${n}`, role: 'assistant', content: 'A cat!', parent_id: `u${n}`, model: 'fake-model' });
}

/** The chat API, uploads that answer ids f1, f2… in order, and a reply to every message. */
function chatWithUploads(server = new FakeChatServer([session({ id: 's1', title: 'Pictures' })], { s1: [] })) {
  let uploads = 0;
  let replies = 0;
  return mockApi({
    ...server.routes(),
    'POST /api/files': () => {
      uploads += 1;
      return jsonResponse(stored(`f${uploads}`), 201);
    },
    'DELETE /api/files/f1': () => emptyResponse(),
    'POST /api/llm/chat': () => {
      if (!server.sessions.some((item) => item.id === 's1')) server.sessions.push(session({ id: 's1', title: 'Pictures' }));
      replies += 1;
      return sseResponse([
        sseEvent(1, 'start', { session_id: 's1', user_message_id: `u${replies}`, assistant_message_id: `a${replies}` }),
        sseEvent(2, 'delta', { content: 'A cat!' }),
        sseEvent(3, 'done', { message: answer(replies) }),
      ]);
    },
  });
}

function chips(): HTMLElement[] {
  return screen.queryAllByTestId('attachment');
}

async function uploaded(count: number) {
  await waitFor(() => {
    expect(chips()).toHaveLength(count);
    for (const chip of chips()) expect(chip).toHaveAttribute('data-status', 'done');
  });
}

describe('attaching images', () => {
  it('uploads a picked image at once, sends its id with the message and shows it in the question', async () => {
    const fetchMock = chatWithUploads();
    renderApp('/chat/s1');
    await screen.findByTestId('chat-welcome');

    await userEvent.upload(screen.getByTestId('composer-file'), png());
    await uploaded(1);
    const [upload] = callsTo(fetchMock, 'POST /api/files');
    const form = upload!.body as FormData;
    expect(form).toBeInstanceOf(FormData);
    expect((form.get('file') as File).name).toBe('cat.png');
    expect(upload!.headers['X-CSRF-Token']).toBeTruthy();
    // A thumbnail of the picked file (a local preview).
    expect(chips()[0]!.querySelector('img')).toHaveAttribute('src');

    await userEvent.type(screen.getByTestId('composer-input'), 'what is this?{Enter}');
    await waitFor(() => expect(callsTo(fetchMock, 'POST /api/llm/chat')).toHaveLength(1));
    expect(callsTo(fetchMock, 'POST /api/llm/chat')[0]!.body).toEqual({
      message: 'what is this?',
      session_id: 's1',
      image_ids: ['f1'],
      stream: true,
    });
    // The question shows its picture; the composer is empty again.
    const question = (await screen.findAllByTestId('message')).find((item) => item.dataset.role === 'user')!;
    expect(within(question).getByTestId('message-image')).toHaveAttribute('src', '/api/files/f1');
    expect(within(question).getByTestId('message-image')).toHaveAttribute('alt', 'Attached image 1');
    expect(chips()).toHaveLength(0);
    await waitFor(() => expect(screen.getAllByTestId('message')[1]).toHaveAttribute('data-status', 'complete'));
    // The next message goes without it.
    await userEvent.type(screen.getByTestId('composer-input'), 'thanks{Enter}');
    await waitFor(() => expect(callsTo(fetchMock, 'POST /api/llm/chat')).toHaveLength(2));
    expect(callsTo(fetchMock, 'POST /api/llm/chat')[1]!.body).toEqual({ message: 'thanks', session_id: 's1', stream: true });
  });

  it('takes images dropped on the conversation, and a new chat sends them with its persona', async () => {
    const fetchMock = chatWithUploads(new FakeChatServer());
    renderApp('/chat');
    await screen.findByTestId('chat-welcome');
    await waitFor(() => expect(screen.getByTestId('composer-persona')).toBeEnabled());
    await userEvent.selectOptions(screen.getByTestId('composer-persona'), 'fox');
    const area = screen.getByTestId('chat-main');

    fireEvent.dragEnter(area, { dataTransfer: { types: ['Files'], files: [] } });
    expect(screen.getByTestId('chat-drop-hint')).toHaveTextContent('Drop images to attach them');
    fireEvent.drop(area, { dataTransfer: { types: ['Files'], files: [png('one.png'), png('two.jpg', 'image/jpeg')] } });
    expect(screen.queryByTestId('chat-drop-hint')).not.toBeInTheDocument();
    await uploaded(2);
    expect(callsTo(fetchMock, 'POST /api/files')).toHaveLength(2);

    await userEvent.type(screen.getByTestId('composer-input'), 'two pets{Enter}');
    await waitFor(() => expect(callsTo(fetchMock, 'POST /api/llm/chat')).toHaveLength(1));
    expect(callsTo(fetchMock, 'POST /api/llm/chat')[0]!.body).toEqual({
      message: 'two pets',
      persona_id: 'fox',
      image_ids: ['f1', 'f2'],
      stream: true,
    });
    const question = screen.getAllByTestId('message')[0]!;
    expect(within(question).getAllByTestId('message-image').map((img) => img.getAttribute('src'))).toEqual(['/api/files/f1', '/api/files/f2']);
  });

  it('takes an image pasted into the message box, and leaves pasted text alone', async () => {
    const fetchMock = chatWithUploads();
    renderApp('/chat/s1');
    await screen.findByTestId('chat-welcome');
    const input = screen.getByTestId('composer-input');

    fireEvent.paste(input, { clipboardData: { types: ['Files'], files: [], items: [{ kind: 'file', type: 'image/png', getAsFile: () => png('pasted.png') }] } });
    await uploaded(1);
    expect((callsTo(fetchMock, 'POST /api/files')[0]!.body as FormData).get('file')).toHaveProperty('name', 'pasted.png');

    // Text on the clipboard is pasted as usual.
    input.focus();
    await userEvent.paste('a caption');
    expect(input).toHaveValue('a caption');
    expect(callsTo(fetchMock, 'POST /api/files')).toHaveLength(1);

    await userEvent.type(input, '{Enter}');
    await waitFor(() => expect(callsTo(fetchMock, 'POST /api/llm/chat')).toHaveLength(1));
    expect(callsTo(fetchMock, 'POST /api/llm/chat')[0]!.body).toMatchObject({ message: 'a caption', image_ids: ['f1'] });
  });

  it('removes an attachment (deleting the stored image) so that it is not sent', async () => {
    const fetchMock = chatWithUploads();
    renderApp('/chat/s1');
    await screen.findByTestId('chat-welcome');
    await userEvent.upload(screen.getByTestId('composer-file'), [png('first.png'), png('second.png')]);
    await uploaded(2);

    await userEvent.click(screen.getByRole('button', { name: 'Remove first.png' }));
    expect(chips()).toHaveLength(1);
    expect(chips()[0]).toHaveAttribute('data-id', 'f2');
    await waitFor(() => expect(callsTo(fetchMock, 'DELETE /api/files/f1')).toHaveLength(1));

    await userEvent.type(screen.getByTestId('composer-input'), 'only one{Enter}');
    await waitFor(() => expect(callsTo(fetchMock, 'POST /api/llm/chat')).toHaveLength(1));
    expect(callsTo(fetchMock, 'POST /api/llm/chat')[0]!.body).toMatchObject({ image_ids: ['f2'] });
  });

  it('waits for uploads before sending; cancels one removed while uploading', async () => {
    const server = new FakeChatServer([session({ id: 's1', title: 'Pictures' })], { s1: [] });
    let signal: AbortSignal | null = null;
    const fetchMock = mockApi({
      ...server.routes(),
      // Never answers: the upload is still running when it is removed.
      'POST /api/files': ({ init }) => {
        signal = init?.signal ?? null;
        return new Promise<Response>(() => {});
      },
    });
    renderApp('/chat/s1');
    await screen.findByTestId('chat-welcome');
    await userEvent.type(screen.getByTestId('composer-input'), 'look');
    await userEvent.upload(screen.getByTestId('composer-file'), png());
    expect(await screen.findByTestId('attachment-progress')).toBeInTheDocument();
    expect(screen.getByTestId('composer-send')).toBeDisabled();
    expect(screen.getByTestId('composer-send')).toHaveTextContent('Uploading…');

    await userEvent.click(screen.getByTestId('attachment-remove'));
    expect(chips()).toHaveLength(0);
    expect(signal!.aborted).toBe(true);
    expect(screen.getByTestId('composer-send')).toBeEnabled();
    expect(callsTo(fetchMock, 'POST /api/llm/chat')).toHaveLength(0);
  });

  it('refuses other files and a fifth image, and shows a failed upload on its chip', async () => {
    const server = new FakeChatServer([session({ id: 's1', title: 'Pictures' })], { s1: [] });
    let uploads = 0;
    const fetchMock = mockApi({
      ...server.routes(),
      'POST /api/files': () => {
        uploads += 1;
        return uploads === 1
          ? errorResponse(413, 'payload_too_large', 'the image needs too much memory to decode')
          : jsonResponse(stored(`f${uploads}`), 201);
      },
    });
    renderApp('/chat/s1');
    await screen.findByTestId('chat-welcome');
    const area = screen.getByTestId('chat-main');
    fireEvent.drop(area, {
      dataTransfer: {
        types: ['Files'],
        files: [png('huge.png'), new File(['%PDF'], 'doc.pdf', { type: 'application/pdf' }), png('ok.png'), png('big.png', 'image/png', 10 * 1024 * 1024 + 1), png('fifth.png')],
      },
    });
    await waitFor(() => expect(chips().map((chip) => chip.dataset.status)).toEqual(['error', 'error', 'done', 'error']));
    const problems = screen.getAllByTestId('attachment-error').map((item) => item.textContent);
    expect(problems).toEqual(['the image needs too much memory to decode', 'Not a PNG, JPEG, WebP or GIF image', 'Larger than 10 MiB']);
    expect(screen.getByTestId('attachments-overflow')).toHaveTextContent('At most 4 images per message');
    // Only the two images of an accepted type and size were sent to the server.
    expect(callsTo(fetchMock, 'POST /api/files')).toHaveLength(2);
    expect(screen.getByTestId('composer-attach')).toBeDisabled();

    await act(async () => {
      await userEvent.click(screen.getAllByTestId('attachment-remove')[1]!);
    });
    expect(screen.getByTestId('composer-attach')).toBeEnabled();
    expect(screen.queryByTestId('attachments-overflow')).not.toBeInTheDocument();
  });
});
