// The auth state shared by the whole SPA: who is logged in and the actions that change it.
// Provided by AuthProvider (inside the router); read with `useAuth()`.

import { createContext, useContext } from 'react';
import type { TwoFactorChallenge, User } from '../api/auth.ts';

export type AuthStatus = 'loading' | 'authenticated' | 'anonymous';

/** What `login` led to: logged in, or a second step (TOTP / recovery code) is needed. */
export type LoginResult = { kind: 'done'; user: User } | { kind: 'two_factor'; challenge: TwoFactorChallenge };

export interface AuthContextValue {
  status: AuthStatus;
  /** The logged-in user, or null. */
  user: User | null;
  /** The last session ended under the user (a 401 while logged in); cleared by the next login. */
  sessionEnded: boolean;
  /** Logs in with a cookie session. Rejects with the ApiError of a failed attempt. */
  login(username: string, password: string): Promise<LoginResult>;
  /** Second login step with a TOTP or recovery code. */
  completeTwoFactor(challengeToken: string, code: string): Promise<User>;
  /** Ends the session on the server (best effort) and forgets the user. */
  logout(): Promise<void>;
  /** Reloads the user from `GET /api/auth/profile`; null when no longer logged in. */
  refresh(): Promise<User | null>;
  /** Replaces the user with a newer copy the server answered (profile save, avatar upload). */
  setUser(user: User): void;
}

export const AuthContext = createContext<AuthContextValue | null>(null);

/** The auth state; only inside AuthProvider. */
export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (value === null) throw new Error('useAuth() is used outside AuthProvider');
  return value;
}

/** Where to go after login: `next` when it is a path of this app, else `/`. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  // Browsers drop tabs and newlines from URLs: `/\t/evil.example` would become `//evil.example`.
  if (!/^[\x21-\x7e]+$/.test(next)) return '/';
  if (/^\/(login|register|setup)(\/|\?|$)/.test(next)) return '/';
  return next;
}

/** The login URL that comes back to `path` afterwards. */
export function loginUrl(path: string): string {
  return path === '/' || path === '' ? '/login' : `/login?next=${encodeURIComponent(path)}`;
}
