// Route guards: logged-in only (else to /login?next=…), admins only and admins or holders of a
// permission (else a 403 message).

import { Navigate, Outlet, useLocation } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ForbiddenPage } from '../pages/ForbiddenPage.tsx';
import { mayManage, type Permission } from '../api/auth.ts';
import { loginUrl, useAuth } from './context.ts';

function Checking() {
  const { t } = useTranslation();
  return (
    <p className="muted" role="status" data-testid="auth-checking">
      {t('common.loading')}
    </p>
  );
}

/** Renders the child routes for a logged-in user; sends anybody else to the login page. */
export function RequireAuth() {
  const { status } = useAuth();
  const location = useLocation();
  if (status === 'loading') return <Checking />;
  if (status === 'anonymous') return <Navigate to={loginUrl(`${location.pathname}${location.search}`)} replace />;
  return <Outlet />;
}

/** Renders the child routes for an admin or a user with the permission; others see "403". */
export function RequirePermission({ what }: { what: Permission }) {
  const { user } = useAuth();
  if (!mayManage(user, what)) return <ForbiddenPage />;
  return <Outlet />;
}

/** Renders the child routes for an admin; others see "403". Put inside RequireAuth. */
export function RequireAdmin() {
  const { user } = useAuth();
  if (user?.role !== 'admin') return <ForbiddenPage />;
  return <Outlet />;
}
