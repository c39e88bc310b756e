// The answer of the `emotion` persona drawn as what it is: a reading of a photo as JSON
// (docs/CHAT.md) — seven emotion scores from 0 to 1, the dominant one, whether a face was found,
// and the objects seen. Seven horizontal bars in plain CSS, the dominant one highlighted; the
// bars are one image to assistive technology, labelled with a summary of every score.

import { useTranslation } from 'react-i18next';

/** The persona whose answers are readings. */
export const EMOTION_PERSONA = 'emotion';

/** The seven emotions, in the order they are charted. */
export const EMOTIONS = ['happy', 'sad', 'angry', 'fearful', 'surprised', 'disgusted', 'neutral'] as const;

export type Emotion = (typeof EMOTIONS)[number];

export interface EmotionReading {
  emotions: Record<Emotion, number>;
  dominant: Emotion;
  face_detected: boolean;
  objects: string[];
}

function isEmotion(value: unknown): value is Emotion {
  return typeof value === 'string' && (EMOTIONS as readonly string[]).includes(value);
}

/**
 * The reading in an answer's text, or null when it is not one (then the text is shown as it
 * is). Tolerates a fence around the JSON; scores are kept within 0–1.
 */
export function parseEmotionReading(content: string): EmotionReading | null {
  const text = content
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '');
  if (!text.startsWith('{')) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const raw = value as Record<string, unknown>;
  const scores = raw.emotions;
  if (typeof scores !== 'object' || scores === null) return null;
  const emotions = {} as Record<Emotion, number>;
  for (const emotion of EMOTIONS) {
    const score = (scores as Record<string, unknown>)[emotion];
    if (typeof score !== 'number' || !Number.isFinite(score)) return null;
    emotions[emotion] = Math.min(1, Math.max(0, score));
  }
  const strongest = EMOTIONS.reduce((best, emotion) => (emotions[emotion] > emotions[best] ? emotion : best), EMOTIONS[0]);
  return {
    emotions,
    dominant: isEmotion(raw.dominant) ? raw.dominant : strongest,
    face_detected: raw.face_detected === true,
    objects: Array.isArray(raw.objects) ? raw.objects.filter((item): item is string => typeof item === 'string' && item.trim() !== '') : [],
  };
}

function percent(score: number): number {
  return Math.round(score * 100);
}

export function EmotionChart({ reading }: { reading: EmotionReading }) {
  const { t } = useTranslation();
  const label = (emotion: Emotion) => t(`emotion.labels.${emotion}`);
  const summary = t('emotion.summary', {
    dominant: label(reading.dominant),
    scores: EMOTIONS.map((emotion) => t('emotion.score', { emotion: label(emotion), percent: percent(reading.emotions[emotion]) })).join(', '),
  });

  return (
    <div className="emotion-chart" data-testid="emotion-chart" data-dominant={reading.dominant}>
      <p className="emotion-dominant">
        {t('emotion.dominant')} <strong data-testid="emotion-dominant">{label(reading.dominant)}</strong>
      </p>
      <div className="emotion-bars" role="img" aria-label={summary} data-testid="emotion-bars">
        {EMOTIONS.map((emotion) => {
          const value = percent(reading.emotions[emotion]);
          const dominant = emotion === reading.dominant;
          return (
            <div
              key={emotion}
              className={dominant ? 'emotion-row emotion-row-dominant' : 'emotion-row'}
              data-testid="emotion-bar"
              data-emotion={emotion}
              data-value={value}
              data-dominant={dominant || undefined}
            >
              <span className="emotion-label">{label(emotion)}</span>
              <span className="emotion-track">
                <span className="emotion-fill" style={{ width: `${value}%` }} />
              </span>
              <span className="emotion-value">{value}%</span>
            </div>
          );
        })}
      </div>
      <p className="emotion-face small" data-testid="emotion-face">
        {t('emotion.face')} {reading.face_detected ? t('emotion.yes') : t('emotion.no')}
      </p>
      {reading.objects.length > 0 ? (
        <div className="emotion-objects">
          <span className="small muted">{t('emotion.objects')}</span>
          <ul className="object-chips" aria-label={t('emotion.objects')}>
            {reading.objects.map((object, index) => (
              <li key={`${index}-${object}`} className="object-chip" data-testid="emotion-object">
                {object}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
