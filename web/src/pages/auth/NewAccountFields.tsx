// The fields of a new account — username, email, password and its confirmation — shared by
// registration and first-admin setup. Server field errors show under their fields.

import { useTranslation } from 'react-i18next';
import { TextField } from '../../components/forms.tsx';

/** The values the fields edit. */
export interface NewAccountValues {
  username: string;
  email: string;
  password: string;
  confirm: string;
}

export function NewAccountFields({
  values,
  onChange,
  fields,
  mismatch,
  testIdPrefix,
}: {
  values: NewAccountValues;
  onChange: (name: keyof NewAccountValues) => (event: { target: { value: string } }) => void;
  fields: Record<string, string>;
  mismatch: boolean;
  testIdPrefix: string;
}) {
  const { t } = useTranslation();
  return (
    <>
      <TextField
        label={t('register.username')}
        name="username"
        value={values.username}
        onChange={onChange('username')}
        autoComplete="username"
        autoCapitalize="off"
        spellCheck={false}
        required
        hint={t('register.usernameHint')}
        error={fields.username}
        testId={`${testIdPrefix}-username`}
      />
      <TextField
        label={t('register.email')}
        name="email"
        type="email"
        value={values.email}
        onChange={onChange('email')}
        autoComplete="email"
        required
        error={fields.email}
        testId={`${testIdPrefix}-email`}
      />
      <TextField
        label={t('register.password')}
        name="password"
        type="password"
        value={values.password}
        onChange={onChange('password')}
        autoComplete="new-password"
        required
        hint={t('register.passwordHint')}
        error={fields.password}
        testId={`${testIdPrefix}-password`}
      />
      <TextField
        label={t('register.confirm')}
        name="confirm"
        type="password"
        value={values.confirm}
        onChange={onChange('confirm')}
        autoComplete="new-password"
        required
        error={mismatch ? t('register.mismatch') : null}
        testId={`${testIdPrefix}-confirm`}
      />
    </>
  );
}
