/*
 * Theme boot script: loaded as a blocking classic <script src> at the top of <head> (see
 * plugins/themeBootScript.ts) so that <html data-theme> is right before the first paint.
 * Keep it tiny, dependency-free and in sync with src/theme/theme.ts (storage key and values);
 * src/theme/theme.test.ts runs this file to check that.
 */
(function () {
  var preference = null;
  try {
    preference = window.localStorage.getItem('llm-manager.theme');
  } catch (e) {
    // Storage can be unavailable (privacy mode); fall back to the system preference.
  }
  var theme = preference;
  if (theme !== 'light' && theme !== 'dark') {
    var prefersDark =
      typeof window.matchMedia === 'function' &&
      window.matchMedia('(prefers-color-scheme: dark)').matches;
    theme = prefersDark ? 'dark' : 'light';
  }
  document.documentElement.setAttribute('data-theme', theme);
})();
