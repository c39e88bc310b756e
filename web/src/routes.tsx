// The route table, shared by the browser router (main.tsx) and the tests' memory routers.
// `/docs` is deliberately not a route: it is a separate page served by the server.

import { Navigate, type RouteObject } from 'react-router';
import { Layout } from './components/Layout.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { RouteErrorPage } from './pages/RouteErrorPage.tsx';
import { StatusPage } from './pages/StatusPage.tsx';

export const routes: RouteObject[] = [
  {
    path: '/',
    element: <Layout />,
    errorElement: <RouteErrorPage />,
    children: [
      { index: true, element: <Navigate to="/status" replace /> },
      { path: 'status', element: <StatusPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
