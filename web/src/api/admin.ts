// Admin endpoints under `/api/admin`: user management, the audit log, registration, guest chat
// and the messages of every user.

import { normalizeUser, type RegistrationMode, type Role, type User } from './auth.ts';
import { normalizeMessage, type ChatMessage } from './chat.ts';
import { apiGet, apiSend } from './client.ts';

/** A page of a list. */
export interface Page<T> {
  items: T[];
  /** Items matching in all. */
  total: number;
  /** This page, from 1. */
  page: number;
  per_page: number;
}

export interface UserQuery {
  /** Searches username, email and display name. */
  q?: string;
  role?: Role | '';
  /** true: enabled only; false: disabled only. */
  active?: boolean | null;
  page?: number;
  per_page?: number;
}

/** `?a=1&b=2` from the values that are set (empty strings and null are left out). */
export function queryString(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** `GET /api/admin/users`. */
export async function listUsers(query: UserQuery, signal?: AbortSignal): Promise<Page<User>> {
  const page = await apiGet<Page<User>>(
    `/api/admin/users${queryString({
      q: query.q?.trim(),
      role: query.role,
      active: query.active,
      page: query.page,
      per_page: query.per_page,
    })}`,
    { signal },
  );
  return { ...page, items: page.items.map(normalizeUser) };
}

/** What an admin can change on a user, one thing at a time. */
export type UserPatch = { role: Role } | { is_active: boolean } | { permissions: string[] };

/** `PATCH /api/admin/users/{id}`; 409 when it would leave no active admin. */
export async function updateUser(id: string, patch: UserPatch): Promise<User> {
  return normalizeUser(await apiSend<User>('PATCH', `/api/admin/users/${encodeURIComponent(id)}`, patch));
}

/** `DELETE /api/admin/users/{id}` → 204 (with all the user's data). */
export function deleteUser(id: string): Promise<void> {
  return apiSend<void>('DELETE', `/api/admin/users/${encodeURIComponent(id)}`);
}

/** `POST /api/admin/users/{id}/reset-password` → 202: mails the user a reset link. */
export function resetUserPassword(id: string): Promise<void> {
  return apiSend<void>('POST', `/api/admin/users/${encodeURIComponent(id)}/reset-password`);
}

/** Download URL of all users (the session cookie authenticates the GET). */
export function usersExportUrl(format: 'csv' | 'json'): string {
  return `/api/admin/users/export?format=${format}`;
}

/** One audit event. */
export interface AuditEvent {
  id: string;
  actor_id: string | null;
  /** Dotted name, e.g. `auth.login_failed`. */
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  /** Extra facts; arbitrary JSON. */
  details: unknown;
  created_at: string;
}

export interface AuditQuery {
  /** An exact action or a prefix ending in `.`. */
  action?: string;
  page?: number;
  per_page?: number;
}

/** `GET /api/admin/audit-log`, newest first. */
export function listAuditLog(query: AuditQuery, signal?: AbortSignal): Promise<Page<AuditEvent>> {
  return apiGet<Page<AuditEvent>>(
    `/api/admin/audit-log${queryString({ action: query.action?.trim(), page: query.page, per_page: query.per_page })}`,
    { signal },
  );
}

/** An invitation; `code` is present only in the answer that created it. */
export interface Invite {
  id: string;
  code: string | null;
  email: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  used_by: string | null;
}

/** `GET /api/admin/settings/registration`. */
export async function getRegistrationSettings(signal?: AbortSignal): Promise<RegistrationMode> {
  const settings = await apiGet<{ registration_mode: RegistrationMode }>('/api/admin/settings/registration', { signal });
  return settings.registration_mode;
}

/** `PUT /api/admin/settings/registration`. */
export async function putRegistrationSettings(mode: RegistrationMode): Promise<RegistrationMode> {
  const settings = await apiSend<{ registration_mode: RegistrationMode }>('PUT', '/api/admin/settings/registration', {
    registration_mode: mode,
  });
  return settings.registration_mode;
}

/** `GET /api/admin/invites`. */
export function listInvites(signal?: AbortSignal): Promise<Invite[]> {
  return apiGet<Invite[]>('/api/admin/invites', { signal });
}

/** `POST /api/admin/invites`. */
export function createInvite(email: string | null, expiresInDays: number): Promise<Invite> {
  return apiSend<Invite>('POST', '/api/admin/invites', { email, expires_in_days: expiresInDays });
}

/** `DELETE /api/admin/invites/{id}`. */
export function deleteInvite(id: string): Promise<void> {
  return apiSend<void>('DELETE', `/api/admin/invites/${encodeURIComponent(id)}`);
}

/** Guest chat: visitors without an account chat with one model, within limits. */
export interface GuestChatSettings {
  enabled: boolean;
  /** Required to enable it; served by a shared provider. */
  model: string | null;
  /** Replies per client IP per hour (1–10000). */
  requests_per_hour: number;
  /** Longest guest message in characters (1–20000). */
  max_message_chars: number;
}

/** `GET /api/admin/guest-chat`. */
export function getGuestChatSettings(signal?: AbortSignal): Promise<GuestChatSettings> {
  return apiGet<GuestChatSettings>('/api/admin/guest-chat', { signal });
}

/** `PUT /api/admin/guest-chat`; 422 with `details.fields` for a bad value. */
export function putGuestChatSettings(settings: GuestChatSettings): Promise<GuestChatSettings> {
  return apiSend<GuestChatSettings>('PUT', '/api/admin/guest-chat', settings);
}

/** Filters of the admin message list; empty ones are left out. */
export interface AdminMessageQuery {
  user_id?: string;
  session_id?: string;
  role?: string;
  status?: string;
  /** Text in the content. */
  q?: string;
  page?: number;
  per_page?: number;
}

/** `GET /api/admin/messages`: the messages of every user, newest first. */
export async function listAdminMessages(query: AdminMessageQuery, signal?: AbortSignal): Promise<Page<ChatMessage>> {
  const page = await apiGet<Page<ChatMessage>>(
    `/api/admin/messages${queryString({
      user_id: query.user_id?.trim(),
      session_id: query.session_id?.trim(),
      role: query.role,
      status: query.status,
      q: query.q?.trim(),
      page: query.page,
      per_page: query.per_page,
    })}`,
    { signal },
  );
  return { ...page, items: page.items.map(normalizeMessage) };
}
