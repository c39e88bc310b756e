// Shows a failed API call: what went wrong, in the UI language when the client made the message
// up, and the request id to quote when reporting it.

import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { ApiError } from '../api/client.ts';

/** The text to show for an error. */
export function errorMessage(error: unknown, t: TFunction): string {
  if (!(error instanceof ApiError)) return t('errors.loadFailed');
  if (error.code === 'network_error') return t('errors.network');
  if (error.code === 'invalid_response') return t('errors.invalidResponse');
  if (error.code === `http_${error.status}`) return t('errors.http', { status: error.status });
  return error.message;
}

export function ErrorNotice({ error, testId }: { error: unknown; testId?: string }) {
  const { t } = useTranslation();
  const requestId = error instanceof ApiError ? error.requestId : null;

  return (
    <div className="notice notice-error" role="alert" data-testid={testId}>
      <p className="notice-title">{t('errors.loadFailed')}</p>
      <p>{errorMessage(error, t)}</p>
      {requestId && (
        <p className="notice-meta">
          {t('errors.requestId', { id: requestId })}
        </p>
      )}
    </div>
  );
}
