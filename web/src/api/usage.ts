// Usage endpoints under `/api/admin`: the price table and everyone's usage grouped by day,
// model, user, provider or key (also as a CSV download).

import { queryString } from './admin.ts';
import { apiGet, apiSend } from './client.ts';

/** One model's price per million tokens, as decimal strings. */
export interface Price {
  model: string;
  input_per_mtok: string;
  output_per_mtok: string;
  /** null: the input rate. */
  cached_input_per_mtok: string | null;
  currency: string;
  max_output_tokens: number | null;
  updated_at: string;
}

export interface PriceInput {
  input_per_mtok: string;
  output_per_mtok: string;
  cached_input_per_mtok?: string | null;
}

/** `GET /api/admin/prices`. */
export function listPrices(signal?: AbortSignal): Promise<Price[]> {
  return apiGet<Price[]>('/api/admin/prices', { signal });
}

/** `PUT /api/admin/prices/{model}`. */
export function putPrice(model: string, price: PriceInput): Promise<Price> {
  return apiSend<Price>('PUT', `/api/admin/prices/${encodeURIComponent(model)}`, price);
}

/** `DELETE /api/admin/prices/{model}`. */
export function deletePrice(model: string): Promise<void> {
  return apiSend<void>('DELETE', `/api/admin/prices/${encodeURIComponent(model)}`);
}

export type GroupBy = 'day' | 'model' | 'user' | 'provider' | 'key';

/** One group's figures; `cost` is a decimal string. */
export interface UsageRow {
  key: string;
  label: string | null;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  cost: string;
  avg_latency_ms: number;
}

export interface UsageStatistics {
  group_by: GroupBy;
  from: string;
  to: string;
  rows: UsageRow[];
}

/** `GET /api/admin/statistics`. */
export function getUsageStatistics(groupBy: GroupBy, signal?: AbortSignal): Promise<UsageStatistics> {
  return apiGet<UsageStatistics>(`/api/admin/statistics${queryString({ group_by: groupBy })}`, { signal });
}

/** The CSV download of the same figures. */
export function usageCsvUrl(groupBy: GroupBy): string {
  return `/api/admin/statistics${queryString({ group_by: groupBy, format: 'csv' })}`;
}

/** Limits of a role, a user or an API key; a null field sets no limit of that kind. */
export interface Limits {
  period: 'day' | 'month' | 'total';
  /** Budget as a decimal string in the price table's currency. */
  max_cost: string | null;
  max_tokens: number | null;
  rpm: number | null;
  tpm: number | null;
}

/** Where limits are read and saved. */
export type LimitTarget = { kind: 'user'; id: string } | { kind: 'role'; role: 'user' | 'admin' } | { kind: 'key'; id: string };

function limitsPath(target: LimitTarget): string {
  switch (target.kind) {
    case 'user':
      return `/api/admin/users/${encodeURIComponent(target.id)}/quota`;
    case 'role':
      return `/api/admin/quotas/roles/${target.role}`;
    case 'key':
      return `/api/keys/${encodeURIComponent(target.id)}/quota`;
  }
}

/** The limits set on `target` (null: none). */
export function getLimits(target: LimitTarget, signal?: AbortSignal): Promise<Limits | null> {
  return apiGet<Limits | null>(limitsPath(target), { signal });
}

/** Sets the limits of `target`. */
export function putLimits(target: LimitTarget, limits: Limits): Promise<Limits> {
  return apiSend<Limits>('PUT', limitsPath(target), limits);
}

/** A model's requests and tokens per minute, shared by all its callers. */
export interface ModelLimits {
  scope: 'model';
  subject: string;
  rpm: number | null;
  tpm: number | null;
}

/** `GET /api/admin/quotas/models`. */
export function listModelLimits(signal?: AbortSignal): Promise<ModelLimits[]> {
  return apiGet<ModelLimits[]>('/api/admin/quotas/models', { signal });
}

/** `PUT /api/admin/quotas/models/{model}`. */
export function putModelLimits(model: string, limits: { rpm: number | null; tpm: number | null }): Promise<ModelLimits> {
  return apiSend<ModelLimits>('PUT', `/api/admin/quotas/models/${encodeURIComponent(model)}`, limits);
}

/** `DELETE /api/admin/quotas/models/{model}`. */
export function deleteModelLimits(model: string): Promise<void> {
  return apiSend<void>('DELETE', `/api/admin/quotas/models/${encodeURIComponent(model)}`);
}
