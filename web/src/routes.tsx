// The route table, shared by the browser router (main.tsx) and the tests' memory routers.
// `/docs` is deliberately not a route: it is a separate page served by the server.

import { Navigate, type RouteObject } from 'react-router';
import { AuthProvider } from './auth/AuthProvider.tsx';
import { RequireAdmin, RequireAuth, RequirePermission } from './auth/guards.tsx';
import { Layout } from './components/Layout.tsx';
import { AdminGuestChatPage } from './pages/admin/AdminGuestChatPage.tsx';
import { AdminLayout } from './pages/admin/AdminLayout.tsx';
import { AdminMessagesPage } from './pages/admin/AdminMessagesPage.tsx';
import { AdminModelsPage } from './pages/admin/AdminModelsPage.tsx';
import { AdminDeploymentsPage } from './pages/admin/AdminDeploymentsPage.tsx';
import { AdminSystemPage } from './pages/admin/AdminSystemPage.tsx';
import { AdminProvidersPage } from './pages/admin/AdminProvidersPage.tsx';
import { AdminUsagePage } from './pages/admin/AdminUsagePage.tsx';
import { AdminUsersPage } from './pages/admin/AdminUsersPage.tsx';
import { AuditLogPage } from './pages/admin/AuditLogPage.tsx';
import { ChatPage } from './pages/chat/ChatPage.tsx';
import { GuestChatPage } from './pages/chat/GuestChatPage.tsx';
import { PersonasPage } from './pages/chat/PersonasPage.tsx';
import { StatisticsPage } from './pages/chat/StatisticsPage.tsx';
import { RegistrationPage } from './pages/admin/RegistrationPage.tsx';
import { ForgotPasswordPage } from './pages/auth/ForgotPasswordPage.tsx';
import { LoginPage } from './pages/auth/LoginPage.tsx';
import { RegisterPage } from './pages/auth/RegisterPage.tsx';
import { ResetPasswordPage } from './pages/auth/ResetPasswordPage.tsx';
import { SetupPage } from './pages/auth/SetupPage.tsx';
import { VerifyEmailPage } from './pages/auth/VerifyEmailPage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { RouteErrorPage } from './pages/RouteErrorPage.tsx';
import { ApiKeysSettings } from './pages/settings/ApiKeysSettings.tsx';
import { ProfileSettings } from './pages/settings/ProfileSettings.tsx';
import { ProviderSettings } from './pages/settings/ProviderSettings.tsx';
import { SecuritySettings } from './pages/settings/SecuritySettings.tsx';
import { SessionsSettings } from './pages/settings/SessionsSettings.tsx';
import { SettingsLayout } from './pages/settings/SettingsLayout.tsx';
import { SharedPage } from './pages/share/SharedPage.tsx';
import { StatusPage } from './pages/StatusPage.tsx';

export const routes: RouteObject[] = [
  {
    path: '/',
    element: (
      <AuthProvider>
        <Layout />
      </AuthProvider>
    ),
    errorElement: <RouteErrorPage />,
    children: [
      // Everybody starts at the system status (other suites rely on it); signed-in users have
      // Chat in the header.
      { index: true, element: <Navigate to="/status" replace /> },
      { path: 'status', element: <StatusPage /> },
      { path: 'login', element: <LoginPage /> },
      { path: 'register', element: <RegisterPage /> },
      { path: 'forgot-password', element: <ForgotPasswordPage /> },
      { path: 'reset-password', element: <ResetPasswordPage /> },
      { path: 'verify-email', element: <VerifyEmailPage /> },
      { path: 'setup', element: <SetupPage /> },
      // A shared conversation: public, read only.
      { path: 's/:token', element: <SharedPage /> },
      // Chat without an account, when an admin allows it; nothing is saved.
      { path: 'guest', element: <GuestChatPage /> },
      {
        element: <RequireAuth />,
        children: [
          { path: 'chat/personas', element: <PersonasPage /> },
          { path: 'chat/statistics', element: <StatisticsPage /> },
          {
            // One page for a new chat and an open one, so that the URL can change from `/chat`
            // to `/chat/{id}` while the first reply streams in (the children only match the URL).
            path: 'chat',
            element: <ChatPage />,
            children: [
              { index: true, element: null },
              { path: ':sessionId', element: null },
            ],
          },
          {
            path: 'settings',
            element: <SettingsLayout />,
            children: [
              { index: true, element: <Navigate to="profile" replace /> },
              { path: 'profile', element: <ProfileSettings /> },
              { path: 'security', element: <SecuritySettings /> },
              { path: 'sessions', element: <SessionsSettings /> },
              { path: 'providers', element: <ProviderSettings /> },
              { path: 'api-keys', element: <ApiKeysSettings /> },
            ],
          },
          {
            // Admins, and users an admin gave the `models` permission.
            path: 'admin/models',
            element: <RequirePermission what="models" />,
            children: [{ element: <AdminLayout />, children: [{ index: true, element: <AdminModelsPage /> }] }],
          },
          {
            // Admins, and users an admin gave the `deployments` permission: deployments and the
            // resource monitor.
            element: <RequirePermission what="deployments" />,
            children: [
              {
                element: <AdminLayout />,
                children: [
                  { path: 'admin/deployments', element: <AdminDeploymentsPage /> },
                  { path: 'admin/system', element: <AdminSystemPage /> },
                ],
              },
            ],
          },
          {
            path: 'admin',
            element: <RequireAdmin />,
            children: [
              {
                element: <AdminLayout />,
                children: [
                  { index: true, element: <Navigate to="users" replace /> },
                  { path: 'users', element: <AdminUsersPage /> },
                  { path: 'providers', element: <AdminProvidersPage /> },
                  { path: 'audit-log', element: <AuditLogPage /> },
                  { path: 'registration', element: <RegistrationPage /> },
                  { path: 'guest-chat', element: <AdminGuestChatPage /> },
                  { path: 'messages', element: <AdminMessagesPage /> },
                  { path: 'usage', element: <AdminUsagePage /> },
                ],
              },
            ],
          },
        ],
      },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
