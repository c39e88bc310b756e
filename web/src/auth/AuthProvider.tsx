// Holds the auth state. On start it asks `GET /api/auth/profile` whether the browser has a live
// cookie session — unless there is no CSRF cookie, which the server sets and clears together
// with the HttpOnly session cookie: then nobody is logged in and the 401 (a console error in
// every browser) is spared. A 401 there, or any unexpected 401 while logged in, means the
// session was ended elsewhere: logged out, with a notice on the login page, and (for the
// latter) a trip to /login?next=<where they were>.

import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useLocation, useNavigate } from 'react-router';
import * as authApi from '../api/auth.ts';
import type { User } from '../api/auth.ts';
import { ApiError, clearSessionHint, hasSessionHint, onUnauthorized } from '../api/client.ts';
import { changeLanguage, currentLanguage } from '../i18n/index.ts';
import { isLanguage } from '../i18n/language.ts';
import { AuthContext, loginUrl, type AuthContextValue, type AuthStatus, type LoginResult } from './context.ts';

interface State {
  status: AuthStatus;
  user: User | null;
  sessionEnded: boolean;
}

/** Switches the UI to the language saved in the user's profile. */
function applyProfileLanguage(user: User): void {
  if (isLanguage(user.language) && user.language !== currentLanguage()) void changeLanguage(user.language);
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<State>(() =>
    hasSessionHint()
      ? { status: 'loading', user: null, sessionEnded: false }
      : { status: 'anonymous', user: null, sessionEnded: false },
  );
  const navigate = useNavigate();
  const location = useLocation();
  const here = useRef('/');
  here.current = `${location.pathname}${location.search}`;
  const loggedIn = useRef(false);
  loggedIn.current = state.user !== null;

  const refresh = useCallback(async (signal?: AbortSignal): Promise<User | null> => {
    try {
      const user = await authApi.getProfile(signal);
      setState((previous) => ({ status: 'authenticated', user, sessionEnded: previous.sessionEnded }));
      return user;
    } catch (error) {
      if (signal?.aborted) throw error;
      if (error instanceof ApiError && error.status === 401) {
        clearSessionHint();
        // The browser had a session (its CSRF cookie is there) that the server no longer knows:
        // it was ended elsewhere (logout on another tab, password change, an admin).
        setState({ status: 'anonymous', user: null, sessionEnded: true });
        return null;
      }
      // The server could not say (network, 5xx): keep what we know, settle a first load as
      // logged out so that the public pages still work.
      setState((previous) => (previous.status === 'loading' ? { ...previous, status: 'anonymous' } : previous));
      throw error;
    }
  }, []);

  useEffect(() => {
    if (!hasSessionHint()) return;
    const controller = new AbortController();
    refresh(controller.signal).catch(() => {});
    return () => controller.abort();
  }, [refresh]);

  useEffect(
    () =>
      onUnauthorized(() => {
        if (!loggedIn.current) return;
        loggedIn.current = false;
        clearSessionHint();
        setState({ status: 'anonymous', user: null, sessionEnded: true });
        const path = here.current;
        if (!path.startsWith('/login')) void navigate(loginUrl(path), { replace: true });
      }),
    [navigate],
  );

  const finishLogin = useCallback((user: User): User => {
    const normalized = authApi.normalizeUser(user);
    applyProfileLanguage(normalized);
    setState({ status: 'authenticated', user: normalized, sessionEnded: false });
    return normalized;
  }, []);

  const login = useCallback(
    async (username: string, password: string): Promise<LoginResult> => {
      const answer = await authApi.login(username, password);
      if (authApi.isTwoFactorChallenge(answer)) return { kind: 'two_factor', challenge: answer };
      return { kind: 'done', user: finishLogin(answer.user) };
    },
    [finishLogin],
  );

  const completeTwoFactor = useCallback(
    async (challengeToken: string, code: string): Promise<User> => {
      const answer = await authApi.loginTwoFactor(challengeToken, code);
      if (authApi.isTwoFactorChallenge(answer)) {
        throw new ApiError({ status: 0, code: 'invalid_response', message: 'A second challenge was returned' });
      }
      return finishLogin(answer.user);
    },
    [finishLogin],
  );

  const logout = useCallback(async () => {
    try {
      await authApi.logout();
    } catch {
      // Logged out here either way; a session the server still knows ends with its cookie.
    }
    loggedIn.current = false;
    clearSessionHint();
    setState({ status: 'anonymous', user: null, sessionEnded: false });
  }, []);

  const setUser = useCallback((user: User) => {
    setState((previous) => ({ ...previous, status: 'authenticated', user: authApi.normalizeUser(user) }));
  }, []);

  const value = useMemo<AuthContextValue>(
    () => ({ ...state, login, completeTwoFactor, logout, refresh: () => refresh(), setUser }),
    [state, login, completeTwoFactor, logout, refresh, setUser],
  );

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
