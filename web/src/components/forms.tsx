// Form building blocks: labelled fields whose error is tied to the input (aria-invalid,
// aria-describedby), a form-level alert, and notices. Server-side field errors come from a
// 422's `details.fields`.

import {
  useId,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client.ts';
import { useAuth } from '../auth/context.ts';
import { errorMessage } from './ErrorNotice.tsx';

/** Field name → problem, from a 422 answer; empty for any other error. */
export function fieldErrorsOf(error: unknown): Record<string, string> {
  return error instanceof ApiError && error.status === 422 ? error.fields : {};
}

interface FieldShellProps {
  label: string;
  error?: string | null;
  hint?: ReactNode;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
  testId?: string;
}

function FieldShell({ label, error, hint, children, testId }: FieldShellProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, describedBy, invalid: Boolean(error) })}
      {hint ? (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={errorId} className="field-error" data-testid={testId ? `${testId}-error` : undefined}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

type TextFieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> & {
  label: string;
  error?: string | null;
  hint?: ReactNode;
  testId?: string;
};

/** A labelled `<input>` with its hint and error. */
export function TextField({ label, error, hint, testId, className, ...input }: TextFieldProps) {
  return (
    <FieldShell label={label} error={error} hint={hint} testId={testId}>
      {({ id, describedBy, invalid }) => (
        <input
          id={id}
          className={className ? `input ${className}` : 'input'}
          aria-invalid={invalid || undefined}
          aria-describedby={describedBy}
          data-testid={testId}
          {...input}
        />
      )}
    </FieldShell>
  );
}

type TextAreaFieldProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id'> & {
  label: string;
  error?: string | null;
  hint?: ReactNode;
  testId?: string;
};

/** A labelled `<textarea>` with its hint and error. */
export function TextAreaField({ label, error, hint, testId, ...textarea }: TextAreaFieldProps) {
  return (
    <FieldShell label={label} error={error} hint={hint} testId={testId}>
      {({ id, describedBy, invalid }) => (
        <textarea
          id={id}
          className="input textarea"
          aria-invalid={invalid || undefined}
          aria-describedby={describedBy}
          data-testid={testId}
          {...textarea}
        />
      )}
    </FieldShell>
  );
}

type SelectFieldProps = Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id'> & {
  label: string;
  error?: string | null;
  hint?: ReactNode;
  testId?: string;
};

/** A labelled `<select>` with its hint and error; the options are its children. */
export function SelectField({ label, error, hint, testId, children, ...select }: SelectFieldProps) {
  return (
    <FieldShell label={label} error={error} hint={hint} testId={testId}>
      {({ id, describedBy, invalid }) => (
        <select
          id={id}
          className="select"
          aria-invalid={invalid || undefined}
          aria-describedby={describedBy}
          data-testid={testId}
          {...select}
        >
          {children}
        </select>
      )}
    </FieldShell>
  );
}

/** The message of a failed action, with the request id to quote. */
export function FormAlert({ error, children, testId }: { error?: unknown; children?: ReactNode; testId?: string }) {
  const { t } = useTranslation();
  const requestId = error instanceof ApiError ? error.requestId : null;
  return (
    <div className="notice notice-error" role="alert" data-testid={testId}>
      {children ?? <p className="notice-body">{errorMessage(error, t)}</p>}
      {requestId ? <p className="notice-meta">{t('errors.requestId', { id: requestId })}</p> : null}
    </div>
  );
}

/** A success or information message, announced politely. */
export function Notice({
  tone = 'ok',
  children,
  testId,
}: {
  tone?: 'ok' | 'info' | 'warn';
  children: ReactNode;
  testId?: string;
}) {
  return (
    <div className={`notice notice-${tone}`} role="status" data-testid={testId}>
      {children}
    </div>
  );
}

/** A hidden username field that tells password managers whose password a form is about. */
export function UsernameHint() {
  const { user } = useAuth();
  return <input type="text" name="username" autoComplete="username" value={user?.username ?? ''} readOnly hidden />;
}
