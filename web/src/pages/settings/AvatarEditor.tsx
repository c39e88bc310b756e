// The avatar: the current picture (or initials) and an upload button. The file is checked here
// (PNG, JPEG, WebP or GIF, at most 5 MiB) before it is sent; the server re-encodes it.

import { useId, useRef, useState, type ChangeEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { AVATAR_MAX_BYTES, AVATAR_TYPES, uploadAvatar, type User } from '../../api/auth.ts';
import { ApiError } from '../../api/client.ts';
import { useAuth } from '../../auth/context.ts';
import { Avatar } from '../../components/Avatar.tsx';
import { FormAlert, Notice } from '../../components/forms.tsx';

export function AvatarEditor({ user }: { user: User }) {
  const { t } = useTranslation();
  const auth = useAuth();
  const input = useRef<HTMLInputElement>(null);
  const inputId = useId();
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [uploading, setUploading] = useState(false);
  const [done, setDone] = useState(false);

  const choose = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    // Let the same file be picked again after a failure.
    event.target.value = '';
    if (!file) return;
    setError(null);
    setDone(false);
    if (!(AVATAR_TYPES as readonly string[]).includes(file.type)) {
      setProblem(t('avatar.badType'));
      return;
    }
    if (file.size > AVATAR_MAX_BYTES) {
      setProblem(t('avatar.tooLarge'));
      return;
    }
    setProblem(null);
    setUploading(true);
    try {
      auth.setUser(await uploadAvatar(file));
      setDone(true);
    } catch (reason) {
      setError(reason);
    } finally {
      setUploading(false);
    }
  };

  // A size or type refusal without the server's own words (e.g. from a proxy) in the UI language.
  const bare = error instanceof ApiError && error.code === `http_${error.status}`;
  const refusal =
    bare && error.status === 413 ? t('avatar.tooLarge') : bare && error.status === 415 ? t('avatar.badType') : null;

  return (
    <section className="card" aria-labelledby="avatar-heading" data-testid="avatar-section">
      <h2 id="avatar-heading">{t('avatar.heading')}</h2>
      <div className="avatar-editor">
        <Avatar user={user} size={72} alt={t('avatar.current')} />
        <div className="avatar-actions">
          <input
            ref={input}
            id={inputId}
            type="file"
            accept={AVATAR_TYPES.join(',')}
            className="visually-hidden"
            tabIndex={-1}
            onChange={(event) => void choose(event)}
            data-testid="avatar-input"
          />
          <label htmlFor={inputId} className="visually-hidden">
            {t('avatar.file')}
          </label>
          <button
            type="button"
            className="button button-secondary"
            onClick={() => input.current?.click()}
            disabled={uploading}
            data-testid="avatar-upload"
          >
            {uploading ? t('avatar.uploading') : t('avatar.upload')}
          </button>
          <p className="field-hint">{t('avatar.hint')}</p>
        </div>
      </div>
      {problem ? (
        <FormAlert testId="avatar-error">
          <p className="notice-body">{problem}</p>
        </FormAlert>
      ) : null}
      {error !== null ? (
        <FormAlert error={error} testId="avatar-error">
          {refusal ? <p className="notice-body">{refusal}</p> : undefined}
        </FormAlert>
      ) : null}
      {done ? (
        <Notice testId="avatar-done">
          <p className="notice-body">{t('avatar.done')}</p>
        </Notice>
      ) : null}
    </section>
  );
}
