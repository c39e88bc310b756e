// App frame around every client route: skip link, header (brand, navigation, account, language
// and theme controls), the resource alerts for those who watch the system, and the main area
// where the route renders.

import { useTranslation } from 'react-i18next';
import { Link, NavLink, Outlet } from 'react-router';
import { mayManage } from '../api/auth.ts';
import { useAuth } from '../auth/context.ts';
import { LanguageSwitcher } from './LanguageSwitcher.tsx';
import { MonitorAlertBanner } from './MonitorAlertBanner.tsx';
import { ThemeToggle } from './ThemeToggle.tsx';
import { UserMenu } from './UserMenu.tsx';
import { LogoIcon } from './icons.tsx';

export function Layout() {
  const { t } = useTranslation();
  const { user } = useAuth();

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        {t('app.skipToContent')}
      </a>
      <header className="app-header">
        <div className="app-header-inner">
          <Link to="/status" className="brand">
            <LogoIcon className="brand-logo" />
            <span>{t('app.name')}</span>
          </Link>
          <nav className="main-nav" aria-label={t('nav.label')}>
            {user ? (
              <NavLink to="/chat" className="nav-link" data-testid="nav-chat">
                {t('nav.chat')}
              </NavLink>
            ) : null}
            <NavLink to="/status" className="nav-link" data-testid="nav-status">
              {t('nav.status')}
            </NavLink>
            {user?.role === 'admin' ? (
              <NavLink to="/admin" className="nav-link" data-testid="nav-admin">
                {t('nav.admin')}
              </NavLink>
            ) : (
              <>
                {mayManage(user, 'models') ? (
                  <NavLink to="/admin/models" className="nav-link" data-testid="nav-models">
                    {t('admin.models')}
                  </NavLink>
                ) : null}
                {mayManage(user, 'deployments') ? (
                  <NavLink to="/admin/deployments" className="nav-link" data-testid="nav-deployments">
                    {t('admin.deployments')}
                  </NavLink>
                ) : null}
              </>
            )}
            {/* A full page load: the API docs are a separate page served by the server. */}
            <a href="/docs" className="nav-link" data-testid="nav-docs">
              {t('nav.docs')}
            </a>
          </nav>
          <div className="header-controls">
            <LanguageSwitcher />
            <ThemeToggle />
          </div>
          <UserMenu />
        </div>
      </header>
      <MonitorAlertBanner />
      <main id="main" className="app-main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
