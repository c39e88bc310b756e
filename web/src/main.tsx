// Entry of the single-page app. The theme and i18n modules come first so that the first render
// already has the right theme and language.
import './theme/init.ts';
import './i18n/index.ts';
import './styles.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider, createBrowserRouter } from 'react-router';
import { routes } from './routes.tsx';

const container = document.getElementById('root');
if (container === null) throw new Error('index.html has no #root element');

const router = createBrowserRouter(routes);

createRoot(container).render(
  <StrictMode>
    <RouterProvider router={router} />
  </StrictMode>,
);
