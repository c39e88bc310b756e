// Admin frame: heading and section links (users, providers, audit log, registration, guest
// chat, messages, usage and prices, models, deployments); a user with the `models` permission sees models only.

import { useTranslation } from 'react-i18next';
import { NavLink, Outlet } from 'react-router';
import { useAuth } from '../../auth/context.ts';

export function AdminLayout() {
  const { t } = useTranslation();
  const { user } = useAuth();
  // A user with the `models` permission sees only the models tab.
  const isAdmin = user?.role === 'admin';
  return (
    <div className="page" data-testid="admin-page">
      <div className="page-header">
        <div>
          <h1>{t('admin.title')}</h1>
          <p className="muted">{t('admin.subtitle')}</p>
        </div>
      </div>
      <nav className="tabs" aria-label={t('admin.sections')}>
        {isAdmin ? (
          <>
            <NavLink to="/admin/users" className="tab" data-testid="admin-tab-users">
              {t('admin.users')}
            </NavLink>
            <NavLink to="/admin/providers" className="tab" data-testid="admin-tab-providers">
              {t('admin.providers')}
            </NavLink>
            <NavLink to="/admin/audit-log" className="tab" data-testid="admin-tab-audit">
              {t('admin.auditLog')}
            </NavLink>
            <NavLink to="/admin/registration" className="tab" data-testid="admin-tab-registration">
              {t('admin.registration')}
            </NavLink>
            <NavLink to="/admin/guest-chat" className="tab" data-testid="admin-tab-guest-chat">
              {t('admin.guestChat')}
            </NavLink>
            <NavLink to="/admin/messages" className="tab" data-testid="admin-tab-messages">
              {t('admin.messages')}
            </NavLink>
            <NavLink to="/admin/usage" className="tab" data-testid="admin-tab-usage">
              {t('admin.usage')}
            </NavLink>
          </>
        ) : null}
        <NavLink to="/admin/models" className="tab" data-testid="admin-tab-models">
          {t('admin.models')}
        </NavLink>
        {isAdmin ? (
          <NavLink to="/admin/deployments" className="tab" data-testid="admin-tab-deployments">
            {t('admin.deployments')}
          </NavLink>
        ) : null}
      </nav>
      <Outlet />
    </div>
  );
}
