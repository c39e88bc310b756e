// The header's account area: Log in / Register links when logged out; when logged in, a
// disclosure button with the user's name opening Settings, Admin (admins) and Log out.

import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate } from 'react-router';
import { useAuth } from '../auth/context.ts';
import { Avatar, nameOf } from './Avatar.tsx';

export function UserMenu() {
  const { t } = useTranslation();
  const auth = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const menuId = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  // Close on navigation.
  useEffect(() => setOpen(false), [location.pathname]);

  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (root.current && !root.current.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  if (auth.status === 'loading') return <div className="account" aria-hidden="true" />;

  if (!auth.user) {
    return (
      <div className="account account-links">
        <Link to="/login" className="nav-link" data-testid="nav-login">
          {t('nav.login')}
        </Link>
        <Link to="/register" className="button button-small" data-testid="nav-register">
          {t('nav.register')}
        </Link>
      </div>
    );
  }

  const user = auth.user;
  const logout = async () => {
    setBusy(true);
    await auth.logout();
    setBusy(false);
    setOpen(false);
    await navigate('/login');
  };

  return (
    <div className="account user-menu" ref={root}>
      <button
        ref={button}
        type="button"
        className="user-menu-button"
        aria-expanded={open}
        aria-controls={menuId}
        data-testid="user-menu"
        onClick={() => setOpen((value) => !value)}
      >
        <Avatar user={user} size={28} />
        <span className="user-menu-name" data-testid="user-menu-name">
          {nameOf(user)}
        </span>
        <span className="visually-hidden">{t('account.menu')}</span>
        <span className="caret" aria-hidden="true" />
      </button>
      <div id={menuId} className="user-menu-panel" hidden={!open}>
        <p className="user-menu-who muted small">{t('account.signedInAs', { username: user.username })}</p>
        <ul>
          <li>
            <Link to="/settings/profile" data-testid="menu-settings">
              {t('account.settings')}
            </Link>
          </li>
          {user.role === 'admin' ? (
            <li>
              <Link to="/admin/users" data-testid="menu-admin">
                {t('account.admin')}
              </Link>
            </li>
          ) : null}
          <li>
            <button type="button" onClick={() => void logout()} disabled={busy} data-testid="menu-logout">
              {busy ? t('account.loggingOut') : t('account.logout')}
            </button>
          </li>
        </ul>
      </div>
    </div>
  );
}
