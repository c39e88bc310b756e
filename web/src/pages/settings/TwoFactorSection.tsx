// Two-factor authentication (TOTP). Set up: the server makes a secret and its QR code (an SVG
// document, shown through an <img> data: URL so that none of its markup enters the page); the
// user confirms a code and gets ten recovery codes, shown once. Disable: password + code.

import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { disableTwoFactor, enableTwoFactor, setupTwoFactor, type TwoFactorSetup } from '../../api/auth.ts';
import { useAuth } from '../../auth/context.ts';
import { FormAlert, Notice, TextField, UsernameHint, fieldErrorsOf } from '../../components/forms.tsx';

/** `data:image/svg+xml;base64,…` of an SVG document (UTF-8). */
export function svgDataUrl(svg: string): string {
  const bytes = new TextEncoder().encode(svg);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

export function TwoFactorSection() {
  const { t } = useTranslation();
  const auth = useAuth();
  const [setup, setSetup] = useState<TwoFactorSetup | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const [disabling, setDisabling] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [disabled, setDisabled] = useState(false);
  const enabled = auth.user?.two_factor_enabled ?? false;

  const start = async () => {
    setBusy(true);
    setError(null);
    setDisabled(false);
    try {
      setSetup(await setupTwoFactor());
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  };

  let body;
  if (recoveryCodes) {
    body = <RecoveryCodes codes={recoveryCodes} onDone={() => setRecoveryCodes(null)} />;
  } else if (enabled) {
    body = disabling ? (
      <DisableForm
        onCancel={() => setDisabling(false)}
        onDisabled={() => {
          setDisabling(false);
          setDisabled(true);
          auth.refresh().catch(() => {});
        }}
      />
    ) : (
      <>
        <p>
          <span className="badge badge-ok" data-testid="twofa-status">
            {t('twoFactor.on')}
          </span>
        </p>
        <p className="muted small">{t('twoFactor.onHelp')}</p>
        <div className="form-actions">
          <button
            type="button"
            className="button button-danger"
            onClick={() => setDisabling(true)}
            data-testid="twofa-disable"
          >
            {t('twoFactor.disable')}
          </button>
        </div>
      </>
    );
  } else if (setup) {
    body = (
      <EnableForm
        setup={setup}
        onCancel={() => setSetup(null)}
        onEnabled={(codes) => {
          setSetup(null);
          setRecoveryCodes(codes);
          auth.refresh().catch(() => {});
        }}
      />
    );
  } else {
    body = (
      <>
        {disabled ? (
          <Notice testId="twofa-disabled">
            <p className="notice-body">{t('twoFactor.disabledDone')}</p>
          </Notice>
        ) : null}
        <p>
          <span className="badge badge-disabled" data-testid="twofa-status">
            {t('twoFactor.off')}
          </span>
        </p>
        <p className="muted small">{t('twoFactor.offHelp')}</p>
        {error !== null ? <FormAlert error={error} testId="twofa-error" /> : null}
        <div className="form-actions">
          <button type="button" className="button" onClick={() => void start()} disabled={busy} data-testid="twofa-setup">
            {busy ? t('twoFactor.starting') : t('twoFactor.setUp')}
          </button>
        </div>
      </>
    );
  }

  return (
    <section className="card" aria-labelledby="twofa-heading" data-testid="twofa-section">
      <h2 id="twofa-heading">{t('twoFactor.heading')}</h2>
      {body}
    </section>
  );
}

/** A TOTP code; with `allowRecovery` a recovery code is accepted too. */
function CodeField({
  value,
  onChange,
  error,
  testId,
  allowRecovery = false,
}: {
  value: string;
  onChange: (value: string) => void;
  error?: string;
  testId: string;
  allowRecovery?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <TextField
      label={t('twoFactor.code')}
      name="code"
      value={value}
      onChange={(event) => onChange(event.target.value)}
      autoComplete="one-time-code"
      autoCapitalize="off"
      spellCheck={false}
      inputMode={allowRecovery ? 'text' : 'numeric'}
      maxLength={allowRecovery ? 64 : 7}
      required
      error={error}
      hint={allowRecovery ? t('twoFactor.codeOrRecoveryHint') : t('twoFactor.codeHint')}
      testId={testId}
    />
  );
}

function EnableForm({
  setup,
  onCancel,
  onEnabled,
}: {
  setup: TwoFactorSetup;
  onCancel: () => void;
  onEnabled: (codes: string[]) => void;
}) {
  const { t } = useTranslation();
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fields = fieldErrorsOf(error);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { recovery_codes } = await enableTwoFactor(code.replace(/\s+/g, ''));
      onEnabled(recovery_codes);
    } catch (reason) {
      setError(reason);
      setBusy(false);
    }
  };

  return (
    <div className="twofa-setup">
      <ol className="steps">
        <li>{t('twoFactor.step1')}</li>
        <li>{t('twoFactor.step2')}</li>
      </ol>
      <div className="twofa-qr">
        <img src={svgDataUrl(setup.qr_svg)} alt={t('twoFactor.qrAlt')} width={200} height={200} data-testid="twofa-qr" />
        <div>
          <p className="small muted">{t('twoFactor.manual')}</p>
          <p>
            <code className="secret" data-testid="twofa-secret">
              {setup.secret}
            </code>
          </p>
          {setup.otpauth_uri.startsWith('otpauth://') ? (
            <p className="small">
              <a href={setup.otpauth_uri}>{t('twoFactor.openApp')}</a>
            </p>
          ) : null}
        </div>
      </div>
      <form className="form" onSubmit={(event) => void submit(event)}>
        {error !== null && !fields.code ? <FormAlert error={error} testId="twofa-error" /> : null}
        <CodeField value={code} onChange={setCode} error={fields.code} testId="twofa-code" />
        <div className="form-actions">
          <button type="submit" className="button" disabled={busy} data-testid="twofa-enable">
            {busy ? t('twoFactor.enabling') : t('twoFactor.enable')}
          </button>
          <button type="button" className="button button-secondary" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        </div>
      </form>
    </div>
  );
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const { t } = useTranslation();
  const list = useRef<HTMLUListElement>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);

  const copy = async () => {
    const text = codes.join('\n');
    try {
      if (navigator.clipboard) {
        await navigator.clipboard.writeText(text);
      } else {
        // Not a secure context (plain HTTP on a LAN address): copy the selected list.
        const selection = window.getSelection();
        const range = document.createRange();
        if (!list.current || !selection) throw new Error('nothing to select');
        range.selectNodeContents(list.current);
        selection.removeAllRanges();
        selection.addRange(range);
        if (!document.execCommand('copy')) throw new Error('copy refused');
      }
      setCopied('yes');
    } catch {
      setCopied('no');
    }
  };

  return (
    <div data-testid="recovery-codes">
      <Notice tone="ok">
        <p className="notice-body">{t('twoFactor.enabledDone')}</p>
      </Notice>
      <div className="notice notice-warn" role="note">
        <p className="notice-title">{t('twoFactor.recoveryTitle')}</p>
        <p className="notice-body">{t('twoFactor.recoveryWarning')}</p>
      </div>
      <ul className="recovery-codes" ref={list} aria-label={t('twoFactor.recoveryTitle')}>
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <div className="form-actions">
        <button type="button" className="button button-secondary" onClick={() => void copy()} data-testid="recovery-copy">
          {t('twoFactor.copy')}
        </button>
        <button type="button" className="button" onClick={onDone} data-testid="recovery-done">
          {t('twoFactor.saved')}
        </button>
      </div>
      {copied ? (
        <p className="small" role="status" data-testid="recovery-copied">
          {copied === 'yes' ? t('twoFactor.copied') : t('twoFactor.copyFailed')}
        </p>
      ) : null}
    </div>
  );
}

function DisableForm({ onCancel, onDisabled }: { onCancel: () => void; onDisabled: () => void }) {
  const { t } = useTranslation();
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fields = fieldErrorsOf(error);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await disableTwoFactor(password, code.replace(/\s+/g, ''));
      onDisabled();
    } catch (reason) {
      setError(reason);
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(event) => void submit(event)} data-testid="twofa-disable-form">
      <p className="muted small">{t('twoFactor.disableIntro')}</p>
      <UsernameHint />
      {error !== null && !fields.password && !fields.code ? <FormAlert error={error} testId="twofa-error" /> : null}
      <TextField
        label={t('twoFactor.password')}
        name="password"
        type="password"
        value={password}
        onChange={(event) => setPassword(event.target.value)}
        autoComplete="current-password"
        required
        error={fields.password}
        testId="twofa-disable-password"
      />
      <CodeField value={code} onChange={setCode} error={fields.code} testId="twofa-disable-code" allowRecovery />
      <div className="form-actions">
        <button type="submit" className="button button-danger" disabled={busy} data-testid="twofa-disable-confirm">
          {busy ? t('twoFactor.disabling') : t('twoFactor.disableConfirm')}
        </button>
        <button type="button" className="button button-secondary" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
