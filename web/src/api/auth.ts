// Accounts endpoints under `/api/auth`: login (cookie session, optional TOTP step), logout,
// registration, first-admin setup, profile and avatar, password change and reset, email
// verification, two-factor authentication and the caller's sessions.

import { apiGet, apiSend, apiUpload } from './client.ts';

/** Roles the server knows. */
export const ROLES = ['admin', 'user', 'guest'] as const;
export type Role = (typeof ROLES)[number];

/** A user as the server shows it to the user and to admins. */
export interface User {
  id: string;
  username: string;
  email: string;
  email_verified: boolean;
  role: Role | (string & {});
  is_active: boolean;
  display_name: string | null;
  bio: string | null;
  /** `en` or `zh-CN`. */
  language: string | null;
  /** IANA time zone. */
  timezone: string | null;
  /** RFC 3339. */
  created_at: string;
  last_login_at: string | null;
  /** Same-origin URL of the avatar image; null without one. */
  avatar_url: string | null;
  two_factor_enabled: boolean;
  /** What a user who is not an admin may manage: `models`, `deployments`. */
  permissions: string[];
}

/**
 * What an admin may let a user who is not an admin manage: `models` (hubs, downloads, the local
 * registry), `deployments` (deployments and the resource monitor).
 */
export const PERMISSIONS = ['models', 'deployments'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Whether `user` may manage `what` (admins may manage everything). */
export function mayManage(user: User | null | undefined, what: Permission): boolean {
  return user?.role === 'admin' || (user?.permissions ?? []).includes(what);
}

/** Fills the fields an older server does not send yet. */
export function normalizeUser(raw: User): User {
  return {
    ...raw,
    display_name: raw.display_name ?? null,
    bio: raw.bio ?? null,
    language: raw.language ?? null,
    timezone: raw.timezone ?? null,
    last_login_at: raw.last_login_at ?? null,
    avatar_url: raw.avatar_url ?? null,
    two_factor_enabled: raw.two_factor_enabled ?? false,
    permissions: raw.permissions ?? [],
  };
}

/** Answer of a cookie login: the session is in an HttpOnly cookie. */
export interface CookieLogin {
  csrf_token: string;
  user: User;
}

/** Answer of a login whose account has two-factor authentication: a second step is needed. */
export interface TwoFactorChallenge {
  two_factor_required: true;
  challenge_token: string;
  /** Seconds the challenge stays valid. */
  expires_in: number;
}

export type LoginAnswer = CookieLogin | TwoFactorChallenge;

export function isTwoFactorChallenge(answer: LoginAnswer): answer is TwoFactorChallenge {
  return (answer as Partial<TwoFactorChallenge>).two_factor_required === true;
}

/** `POST /api/auth/login` with a cookie session. A 401 is "wrong credentials". */
export function login(username: string, password: string): Promise<LoginAnswer> {
  return apiSend<LoginAnswer>('POST', '/api/auth/login', { username, password, use_cookie: true }, { expectUnauthorized: true });
}

/** `POST /api/auth/login/2fa`: the second step with a TOTP or recovery code. */
export function loginTwoFactor(challengeToken: string, code: string): Promise<LoginAnswer> {
  return apiSend<LoginAnswer>(
    'POST',
    '/api/auth/login/2fa',
    { challenge_token: challengeToken, code, use_cookie: true },
    { expectUnauthorized: true },
  );
}

/** `POST /api/auth/logout`: ends this session. */
export function logout(): Promise<void> {
  return apiSend<void>('POST', '/api/auth/logout', undefined, { expectUnauthorized: true });
}

/** `GET /api/auth/profile`. A 401 means "not logged in". */
export async function getProfile(signal?: AbortSignal): Promise<User> {
  return normalizeUser(await apiGet<User>('/api/auth/profile', { signal, expectUnauthorized: true }));
}

/** The fields a user may change on their profile (the server refuses any other). */
export interface ProfileUpdate {
  display_name: string;
  bio: string;
  language: string;
  timezone: string;
}

/** `PUT /api/auth/profile`. */
export async function updateProfile(update: ProfileUpdate): Promise<User> {
  const { display_name, bio, language, timezone } = update;
  return normalizeUser(await apiSend<User>('PUT', '/api/auth/profile', { display_name, bio, language, timezone }));
}

/** Largest avatar upload the UI sends. */
export const AVATAR_MAX_BYTES = 5 * 1024 * 1024;
/** Image types the server accepts for avatars. */
export const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;

/** `POST /api/auth/avatar` (multipart, field `file`): answers the updated user. */
export async function uploadAvatar(file: File): Promise<User> {
  const form = new FormData();
  form.append('file', file);
  return normalizeUser(await apiUpload<User>('/api/auth/avatar', form));
}

export interface RegisterRequest {
  username: string;
  email: string;
  password: string;
  /** Required when registration is invite-only. */
  invite_code?: string;
}

/** How accounts are made here. */
export type RegistrationMode = 'open' | 'invite_only' | 'closed';

/** `GET /api/auth/registration`. */
export async function getRegistrationMode(signal?: AbortSignal): Promise<RegistrationMode> {
  const info = await apiGet<{ mode: RegistrationMode }>('/api/auth/registration', { signal });
  return info.mode;
}

/** `POST /api/auth/register` → 201 with the new user. */
export async function register(request: RegisterRequest): Promise<User> {
  return normalizeUser(await apiSend<User>('POST', '/api/auth/register', request));
}

/** `POST /api/auth/setup`: the first admin, with the one-time token from the server log. */
export async function setupAdmin(request: RegisterRequest & { token: string }): Promise<User> {
  const { token, username, email, password } = request;
  return normalizeUser(await apiSend<User>('POST', '/api/auth/setup', { token, username, email, password }));
}

/** `POST /api/auth/password/change` → 204; the user's other sessions end. */
export function changePassword(oldPassword: string, newPassword: string): Promise<void> {
  return apiSend<void>('POST', '/api/auth/password/change', { old_password: oldPassword, new_password: newPassword });
}

/** `POST /api/auth/password/reset` → 202 whether or not the address has an account. */
export function requestPasswordReset(email: string): Promise<void> {
  return apiSend<void>('POST', '/api/auth/password/reset', { email });
}

/** `POST /api/auth/password/reset/confirm` → 204. */
export function confirmPasswordReset(token: string, newPassword: string): Promise<void> {
  return apiSend<void>('POST', '/api/auth/password/reset/confirm', { token, new_password: newPassword });
}

/** `POST /api/auth/verify-email` → 204. */
export function verifyEmail(token: string): Promise<void> {
  return apiSend<void>('POST', '/api/auth/verify-email', { token });
}

/** `POST /api/auth/send-verification` → 202: mails a new verification link. */
export function sendVerification(): Promise<void> {
  return apiSend<void>('POST', '/api/auth/send-verification');
}

/** Answer of `POST /api/auth/2fa/setup`. */
export interface TwoFactorSetup {
  /** Base32 secret, for typing into an authenticator by hand. */
  secret: string;
  otpauth_uri: string;
  /** The QR code of `otpauth_uri` as an SVG document. */
  qr_svg: string;
}

export function setupTwoFactor(): Promise<TwoFactorSetup> {
  return apiSend<TwoFactorSetup>('POST', '/api/auth/2fa/setup');
}

/** `POST /api/auth/2fa/enable`: confirms the first code; answers the one-time recovery codes. */
export function enableTwoFactor(code: string): Promise<{ recovery_codes: string[] }> {
  return apiSend<{ recovery_codes: string[] }>('POST', '/api/auth/2fa/enable', { code });
}

/** `POST /api/auth/2fa/disable` → 204. */
export function disableTwoFactor(password: string, code: string): Promise<void> {
  return apiSend<void>('POST', '/api/auth/2fa/disable', { password, code });
}

/** One login session of the caller. */
export interface Session {
  id: string;
  /** `cookie` (a browser) or `token` (an API client). */
  kind: 'cookie' | 'token' | (string & {});
  user_agent: string | null;
  ip: string | null;
  created_at: string;
  last_seen_at: string;
  /** The session making the request. */
  current: boolean;
}

export function listSessions(signal?: AbortSignal): Promise<Session[]> {
  return apiGet<Session[]>('/api/auth/sessions', { signal });
}

/** `DELETE /api/auth/sessions/{id}` → 204. */
export function endSession(id: string): Promise<void> {
  return apiSend<void>('DELETE', `/api/auth/sessions/${encodeURIComponent(id)}`);
}
