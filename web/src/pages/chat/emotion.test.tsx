import { screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import i18n from '../../i18n/index.ts';
import { FakeChatServer, message, session } from '../../test/chatServer.ts';
import { mockApi, renderApp, setSessionCookie } from '../../test/helpers.tsx';
import { parseEmotionReading } from './EmotionChart.tsx';

const READING = {
  emotions: { happy: 0.72, sad: 0.03, angry: 0.01, fearful: 0.02, surprised: 0.15, disgusted: 0, neutral: 0.07 },
  dominant: 'happy',
  face_detected: true,
  objects: ['dog', 'frisbee'],
};

beforeEach(async () => {
  await i18n.changeLanguage('en');
  setSessionCookie();
});

function answer(id: string): HTMLElement {
  return screen.getAllByTestId('message').find((item) => item.dataset.id === id)!;
}

function renderReadings(messages: ReturnType<typeof message>[]) {
  const server = new FakeChatServer([session({ id: 's1', title: 'Faces', persona_id: 'emotion' })], { s1: messages });
  server.personas.push({ id: 'emotion', name: 'Emotion reader', description: null, avatar: '🎭', system_prompt: 'Read.', model: null, params: null, kind: 'builtin' });
  mockApi(server.routes());
  renderApp('/chat/s1');
}

describe('emotion readings', () => {
  it('parses a reading, keeps scores within 0–1 and refuses anything else', () => {
    expect(parseEmotionReading(JSON.stringify(READING))).toEqual(READING);
    expect(parseEmotionReading('```json\n' + JSON.stringify(READING) + '\n```')?.dominant).toBe('happy');
    const odd = parseEmotionReading(JSON.stringify({ ...READING, emotions: { ...READING.emotions, sad: 1.5 }, dominant: 'bored', objects: ['cat', 3] }));
    expect(odd?.emotions.sad).toBe(1);
    expect(odd?.dominant).toBe('sad');
    expect(odd?.objects).toEqual(['cat']);
    expect(parseEmotionReading('I could not see a face.')).toBeNull();
    expect(parseEmotionReading('{"emotions": {"happy": 1}}')).toBeNull();
    expect(parseEmotionReading('{not json')).toBeNull();
    expect(parseEmotionReading('[1, 2]')).toBeNull();
  });

  it('draws the reading of the emotion persona as seven bars with the dominant one highlighted', async () => {
    renderReadings([
      message({ id: 'u1', content: 'how do I look?', image_ids: ['f1'] }),
      message({ id: 'a1', role: 'assistant', parent_id: 'u1', persona_id: 'emotion', model: 'vision', content: JSON.stringify(READING) }),
    ]);
    const chart = await within(await waitFor(() => answer('a1'))).findByTestId('emotion-chart');
    const bars = within(chart).getAllByTestId('emotion-bar');
    expect(bars.map((bar) => [bar.dataset.emotion, bar.dataset.value])).toEqual([
      ['happy', '72'],
      ['sad', '3'],
      ['angry', '1'],
      ['fearful', '2'],
      ['surprised', '15'],
      ['disgusted', '0'],
      ['neutral', '7'],
    ]);
    expect(bars.map((bar) => bar.textContent)).toEqual(['Happy72%', 'Sad3%', 'Angry1%', 'Fearful2%', 'Surprised15%', 'Disgusted0%', 'Neutral7%']);
    expect(bars.filter((bar) => bar.dataset.dominant === 'true').map((bar) => bar.dataset.emotion)).toEqual(['happy']);
    expect(bars[0]!.querySelector('.emotion-fill')).toHaveStyle({ width: '72%' });
    expect(within(chart).getByTestId('emotion-dominant')).toHaveTextContent('Happy');
    expect(within(chart).getByRole('img')).toHaveAccessibleName(
      'Emotion reading. Dominant: Happy. Happy 72%, Sad 3%, Angry 1%, Fearful 2%, Surprised 15%, Disgusted 0%, Neutral 7%.',
    );
    expect(within(chart).getByTestId('emotion-face')).toHaveTextContent('Face detected: yes');
    expect(within(chart).getAllByTestId('emotion-object').map((chip) => chip.textContent)).toEqual(['dog', 'frisbee']);
    // The raw JSON is not shown; the photo is in the question.
    expect(answer('a1')).not.toHaveTextContent('"emotions"');
    expect(within(answer('u1')).getByTestId('message-image')).toHaveAttribute('src', '/api/files/f1');
  });

  it('in Chinese too', async () => {
    await i18n.changeLanguage('zh-CN');
    renderReadings([message({ id: 'a1', role: 'assistant', persona_id: 'emotion', content: JSON.stringify({ ...READING, face_detected: false, objects: [] }) })]);
    const chart = await screen.findByTestId('emotion-chart');
    expect(within(chart).getByTestId('emotion-dominant')).toHaveTextContent('快乐');
    expect(within(chart).getByTestId('emotion-face')).toHaveTextContent('检测到人脸： 否');
    expect(within(chart).queryByTestId('emotion-object')).not.toBeInTheDocument();
  });

  it('shows the text when the answer is not a reading, or not from the emotion persona', async () => {
    renderReadings([
      message({ id: 'a1', role: 'assistant', persona_id: 'emotion', content: 'Sorry, **no face** here.' }),
      message({ id: 'a2', role: 'assistant', persona_id: 'emotion', content: '{"emotions": {"happy": 0.5}' }),
      message({ id: 'a3', role: 'assistant', persona_id: 'fox', content: JSON.stringify(READING) }),
    ]);
    await waitFor(() => expect(screen.getAllByTestId('message')).toHaveLength(3));
    expect(screen.queryByTestId('emotion-chart')).not.toBeInTheDocument();
    expect((await within(answer('a1')).findByText('no face')).tagName).toBe('STRONG');
    expect(answer('a1')).toHaveTextContent('Sorry, no face here.');
    expect(answer('a2')).toHaveTextContent('{"emotions": {"happy": 0.5}');
    expect(answer('a3')).toHaveTextContent('"dominant":"happy"');
  });
});
