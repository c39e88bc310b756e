// Entry of the API docs page (served at /docs): Swagger UI from the bundled swagger-ui-dist
// package, reading the server's OpenAPI document. Everything it needs is in our own assets, so
// the page works with no internet access.

import 'swagger-ui-dist/swagger-ui.css';
import './docs.css';

import SwaggerUIBundle from 'swagger-ui-dist/swagger-ui-bundle.js';
import { detectInitialLanguage } from '../i18n/language.ts';
import en from '../i18n/locales/en.json';
import zhCN from '../i18n/locales/zh-CN.json';

const language = detectInitialLanguage();
const strings = language === 'zh-CN' ? zhCN : en;
document.documentElement.lang = language;
document.title = strings.app.pageTitle.replace('{{page}}', strings.docs.title);

const back = document.getElementById('docs-back');
if (back) back.textContent = strings.docs.backToApp;

SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  layout: 'BaseLayout',
  presets: [SwaggerUIBundle.presets.apis],
  // The default validator badge would call an external service.
  validatorUrl: null,
});
