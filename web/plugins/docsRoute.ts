// Vite plugin that answers `/docs` with `docs.html` in the dev and preview servers, the way the
// Rust server does in production, so links to `/docs` work the same everywhere.

import type { Connect, Plugin } from 'vite';

function rewriteDocs(): Connect.NextHandleFunction {
  return (req, _res, next) => {
    const url = req.url ?? '';
    if (url === '/docs' || url === '/docs/' || url.startsWith('/docs?')) {
      req.url = '/docs.html' + url.slice(url.indexOf('?') >= 0 ? url.indexOf('?') : url.length);
    }
    next();
  };
}

/** Maps `/docs` to `/docs.html` in `vite` and `vite preview`. */
export function docsRoute(): Plugin {
  return {
    name: 'llm-manager:docs-route',
    configureServer(server) {
      server.middlewares.use(rewriteDocs());
    },
    configurePreviewServer(server) {
      server.middlewares.use(rewriteDocs());
    },
  };
}
