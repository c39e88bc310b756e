// Profile settings: avatar, then display name, bio, language and time zone (the only fields
// `PUT /api/auth/profile` takes). Saving a language also switches the UI to it.

import { useId, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { updateProfile, type User } from '../../api/auth.ts';
import { useAuth } from '../../auth/context.ts';
import { FormAlert, Notice, TextAreaField, TextField, fieldErrorsOf } from '../../components/forms.tsx';
import { LANGUAGES, changeLanguage, currentLanguage } from '../../i18n/index.ts';
import { isLanguage } from '../../i18n/language.ts';
import { formatDateTime } from '../../lib/format.ts';
import { roleLabel } from '../../lib/roles.ts';
import { useDocumentTitle } from '../../lib/useDocumentTitle.ts';
import { AvatarEditor } from './AvatarEditor.tsx';

/** The browser's IANA time zone, if it tells. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone ?? '';
  } catch {
    return '';
  }
}

function knownTimeZones(): string[] {
  try {
    return typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  } catch {
    return [];
  }
}

export function ProfileSettings() {
  const { t } = useTranslation();
  const { user } = useAuth();
  useDocumentTitle(t('settings.profile'));
  if (!user) return null;
  return (
    <div className="settings-grid">
      <AccountFacts user={user} />
      <AvatarEditor user={user} />
      <ProfileForm key={user.id} user={user} />
    </div>
  );
}

function AccountFacts({ user }: { user: User }) {
  const { t, i18n } = useTranslation();
  return (
    <section className="card" aria-labelledby="account-heading">
      <h2 id="account-heading">{t('profile.account')}</h2>
      <dl className="facts">
        <div>
          <dt>{t('profile.username')}</dt>
          <dd data-testid="profile-username">{user.username}</dd>
        </div>
        <div>
          <dt>{t('profile.email')}</dt>
          <dd>
            {user.email}{' '}
            <span className={`badge ${user.email_verified ? 'badge-ok' : 'badge-pending'}`}>
              {user.email_verified ? t('profile.verified') : t('profile.unverified')}
            </span>
          </dd>
        </div>
        <div>
          <dt>{t('profile.role')}</dt>
          <dd data-testid="profile-role">{roleLabel(user.role, t)}</dd>
        </div>
        <div>
          <dt>{t('profile.memberSince')}</dt>
          <dd>
            <time dateTime={user.created_at}>{formatDateTime(user.created_at, i18n.language)}</time>
          </dd>
        </div>
      </dl>
    </section>
  );
}

function ProfileForm({ user }: { user: User }) {
  const { t } = useTranslation();
  const auth = useAuth();
  const suggestedZone = useMemo(browserTimeZone, []);
  const zones = useMemo(knownTimeZones, []);
  const zonesId = useId();
  const languageId = useId();
  const [values, setValues] = useState(() => ({
    display_name: user.display_name ?? '',
    bio: user.bio ?? '',
    language: isLanguage(user.language) ? user.language : currentLanguage(),
    timezone: user.timezone ?? suggestedZone,
  }));
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);

  const set = (name: keyof typeof values) => (event: { target: { value: string } }) => {
    setSaved(false);
    setValues((previous) => ({ ...previous, [name]: event.target.value }));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setSaved(false);
    setError(null);
    try {
      const updated = await updateProfile({
        display_name: values.display_name.trim(),
        bio: values.bio.trim(),
        language: values.language,
        timezone: values.timezone.trim(),
      });
      auth.setUser(updated);
      if (isLanguage(values.language) && values.language !== currentLanguage()) await changeLanguage(values.language);
      setSaved(true);
    } catch (reason) {
      setError(reason);
    } finally {
      setSaving(false);
    }
  };

  const fields = fieldErrorsOf(error);
  const placed = ['display_name', 'bio', 'language', 'timezone'].some((name) => fields[name]);

  return (
    <section className="card settings-wide" aria-labelledby="profile-heading">
      <h2 id="profile-heading">{t('profile.heading')}</h2>
      <form className="form" onSubmit={(event) => void submit(event)} data-testid="profile-form">
        {error !== null && !placed ? <FormAlert error={error} testId="profile-error" /> : null}
        <TextField
          label={t('profile.displayName')}
          name="display_name"
          value={values.display_name}
          onChange={set('display_name')}
          maxLength={64}
          autoComplete="nickname"
          hint={t('profile.displayNameHint')}
          error={fields.display_name}
          testId="profile-display-name"
        />
        <TextAreaField
          label={t('profile.bio')}
          name="bio"
          value={values.bio}
          onChange={set('bio')}
          maxLength={500}
          rows={3}
          error={fields.bio}
          testId="profile-bio"
        />
        <div className="field">
          <label htmlFor={languageId}>{t('profile.language')}</label>
          <select
            id={languageId}
            className="select"
            value={values.language}
            onChange={set('language')}
            aria-invalid={fields.language ? true : undefined}
            data-testid="profile-language"
          >
            {LANGUAGES.map((language) => (
              <option key={language} value={language} lang={language}>
                {t(`language.${language}`)}
              </option>
            ))}
          </select>
          {fields.language ? <p className="field-error">{fields.language}</p> : null}
        </div>
        <TextField
          label={t('profile.timezone')}
          name="timezone"
          value={values.timezone}
          onChange={set('timezone')}
          list={zones.length > 0 ? zonesId : undefined}
          autoComplete="off"
          spellCheck={false}
          placeholder={suggestedZone || 'Asia/Shanghai'}
          hint={
            suggestedZone
              ? user.timezone
                ? t('profile.timezoneBrowser', { zone: suggestedZone })
                : t('profile.timezoneSuggested', { zone: suggestedZone })
              : t('profile.timezoneHint')
          }
          error={fields.timezone}
          testId="profile-timezone"
        />
        {zones.length > 0 ? (
          <datalist id={zonesId}>
            {zones.map((zone) => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="button" disabled={saving} data-testid="profile-save">
            {saving ? t('common.saving') : t('common.save')}
          </button>
        </div>
        {saved ? (
          <Notice testId="profile-saved">
            <p className="notice-body">{t('profile.saved')}</p>
          </Notice>
        ) : null}
      </form>
    </section>
  );
}
