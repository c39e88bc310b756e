// Admin frame: heading and section links (users, providers, audit log, registration, guest
// chat, messages, usage and prices, models, deployments, system); a user with the `models`
// permission sees models, one with `deployments` sees deployments and the system.

import { useTranslation } from 'react-i18next';
import { NavLink, Outlet } from 'react-router';
import { mayManage } from '../../api/auth.ts';
import { useAuth } from '../../auth/context.ts';

export function AdminLayout() {
  const { t } = useTranslation();
  const { user } = useAuth();
  // A user with a permission sees only the tabs it opens.
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
        {mayManage(user, 'models') ? (
          <NavLink to="/admin/models" className="tab" data-testid="admin-tab-models">
            {t('admin.models')}
          </NavLink>
        ) : null}
        {mayManage(user, 'deployments') ? (
          <>
            <NavLink to="/admin/deployments" className="tab" data-testid="admin-tab-deployments">
              {t('admin.deployments')}
            </NavLink>
            <NavLink to="/admin/system" className="tab" data-testid="admin-tab-system">
              {t('admin.system')}
            </NavLink>
          </>
        ) : null}
      </nav>
      <Outlet />
    </div>
  );
}
