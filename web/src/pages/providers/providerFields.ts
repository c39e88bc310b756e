// The provider form's values and their checks: text fields in, the JSON of a create or the
// changed fields of a PATCH out. Problems are codes (translated by the form) keyed by the
// server's field names, so a client check and a 422 land on the same field.

import {
  isProviderKind,
  needsApiKey,
  needsApiVersion,
  needsBaseUrl,
  type DefaultParams,
  type Provider,
  type ProviderInput,
  type ProviderKind,
  type ProviderPatch,
} from '../../api/providers.ts';

/** What the form holds: every field as typed. */
export interface ProviderFormValues {
  name: string;
  kind: ProviderKind;
  base_url: string;
  api_version: string;
  /** Only when creating; keys of an existing provider go through the keys endpoints. */
  api_key: string;
  /** Comma or newline separated. */
  models: string;
  /** One `alias=model` a line. */
  model_aliases: string;
  temperature: string;
  max_tokens: string;
  top_p: string;
  timeout_secs: string;
  priority: string;
  weight: string;
  enabled: boolean;
}

/** A client-side problem with a field. */
export type FieldProblem = 'required' | 'number' | 'integer' | 'aliasLine';

/** The server's defaults, shown in a new form. */
export const NEW_PROVIDER_VALUES: ProviderFormValues = {
  name: '',
  kind: 'openai',
  base_url: '',
  api_version: '',
  api_key: '',
  models: '',
  model_aliases: '',
  temperature: '',
  max_tokens: '',
  top_p: '',
  timeout_secs: '60',
  priority: '0',
  weight: '1',
  enabled: true,
};

/** Model names from text separated by commas or line breaks: trimmed, without blanks or repeats. */
export function parseModelList(text: string): string[] {
  const names = text
    .split(/[,\n]/)
    .map((name) => name.trim())
    .filter(Boolean);
  return [...new Set(names)];
}

/** `alias=model` lines of an alias map. */
export function formatAliases(aliases: Record<string, string>): string {
  return Object.entries(aliases)
    .map(([alias, model]) => `${alias}=${model}`)
    .join('\n');
}

/** The alias map of `alias=model` lines, or the first line that is not one. */
export function parseAliases(text: string): { aliases: Record<string, string> } | { badLine: string } {
  const aliases: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    const alias = eq < 0 ? '' : line.slice(0, eq).trim();
    const model = eq < 0 ? '' : line.slice(eq + 1).trim();
    if (!alias || !model) return { badLine: line };
    aliases[alias] = model;
  }
  return { aliases };
}

function numberText(value: number | null | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

/** The form's values for an existing provider. */
export function valuesFromProvider(provider: Provider): ProviderFormValues {
  return {
    name: provider.name,
    // A kind this UI does not know yet is shown as the closest: an OpenAI-compatible server.
    kind: isProviderKind(provider.kind) ? provider.kind : 'openai_compatible',
    base_url: provider.base_url ?? '',
    api_version: provider.api_version ?? '',
    api_key: '',
    models: provider.models.join('\n'),
    model_aliases: formatAliases(provider.model_aliases),
    temperature: numberText(provider.default_params.temperature),
    max_tokens: numberText(provider.default_params.max_tokens),
    top_p: numberText(provider.default_params.top_p),
    timeout_secs: numberText(provider.timeout_secs),
    priority: numberText(provider.priority),
    weight: numberText(provider.weight),
    enabled: provider.enabled,
  };
}

type Parsed = { value: number | null } | { problem: FieldProblem };

function parseNumber(text: string, integer: boolean): Parsed {
  const trimmed = text.trim();
  if (trimmed === '') return { value: null };
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return { problem: 'number' };
  if (integer && !Number.isInteger(value)) return { problem: 'integer' };
  return { value };
}

/** Every field of a provider body as the form says it (`null`: left empty). */
interface Body {
  name: string;
  kind: ProviderKind;
  base_url: string | null;
  api_version: string | null;
  api_key: string;
  models: string[];
  model_aliases: Record<string, string>;
  default_params: DefaultParams;
  timeout_secs: number | null;
  priority: number | null;
  weight: number | null;
  enabled: boolean;
}

type NumberField = 'temperature' | 'max_tokens' | 'top_p' | 'timeout_secs' | 'priority' | 'weight';

/** Number fields: the server's name for each (problems are keyed by it) and whether it is whole. */
const NUMBER_FIELDS: readonly [NumberField, string, boolean][] = [
  ['temperature', 'default_params.temperature', false],
  ['max_tokens', 'default_params.max_tokens', true],
  ['top_p', 'default_params.top_p', false],
  ['timeout_secs', 'timeout_secs', true],
  ['priority', 'priority', true],
  ['weight', 'weight', true],
];

function check(values: ProviderFormValues, creating: boolean): { body: Body; problems: Record<string, FieldProblem> } {
  const problems: Record<string, FieldProblem> = {};
  const numbers: Record<NumberField, number | null> = {
    temperature: null,
    max_tokens: null,
    top_p: null,
    timeout_secs: null,
    priority: null,
    weight: null,
  };
  for (const [name, field, integer] of NUMBER_FIELDS) {
    const parsed = parseNumber(values[name], integer);
    if ('problem' in parsed) problems[field] = parsed.problem;
    else numbers[name] = parsed.value;
  }

  const name = values.name.trim();
  if (!name) problems.name = 'required';
  const baseUrl = values.base_url.trim();
  if (!baseUrl && needsBaseUrl(values.kind)) problems.base_url = 'required';
  const apiVersion = needsApiVersion(values.kind) ? values.api_version.trim() : '';
  if (!apiVersion && needsApiVersion(values.kind)) problems.api_version = 'required';
  const apiKey = values.api_key.trim();
  if (creating && !apiKey && needsApiKey(values.kind)) problems.api_key = 'required';
  const aliases = parseAliases(values.model_aliases);
  if ('badLine' in aliases) problems.model_aliases = 'aliasLine';

  return {
    body: {
      name,
      kind: values.kind,
      base_url: baseUrl || null,
      api_version: apiVersion || null,
      api_key: apiKey,
      models: parseModelList(values.models),
      model_aliases: 'aliases' in aliases ? aliases.aliases : {},
      default_params: { temperature: numbers.temperature, max_tokens: numbers.max_tokens, top_p: numbers.top_p },
      timeout_secs: numbers.timeout_secs,
      priority: numbers.priority,
      weight: numbers.weight,
      enabled: values.enabled,
    },
    problems,
  };
}

/** The body of `POST` for a new provider, or the problems of the form. */
export function createBody(values: ProviderFormValues): { body: ProviderInput } | { problems: Record<string, FieldProblem> } {
  const { body, problems } = check(values, true);
  if (Object.keys(problems).length > 0) return { problems };
  const { api_key, base_url, api_version, timeout_secs, priority, weight, ...rest } = body;
  const input: ProviderInput = { ...rest };
  // Left out, the server uses the kind's default base URL and its own numbers.
  if (base_url) input.base_url = base_url;
  if (api_version) input.api_version = api_version;
  if (api_key) input.api_key = api_key;
  if (timeout_secs !== null) input.timeout_secs = timeout_secs;
  if (priority !== null) input.priority = priority;
  if (weight !== null) input.weight = weight;
  return { body: input };
}

/**
 * The fields of a PATCH: those whose value differs from `provider`'s (an emptied optional field
 * is sent as null, which clears it), or the problems of the form.
 */
export function patchBody(provider: Provider, values: ProviderFormValues): { body: ProviderPatch } | { problems: Record<string, FieldProblem> } {
  const { body, problems } = check(values, false);
  if (Object.keys(problems).length > 0) return { problems };
  const before = check(valuesFromProvider(provider), false).body;
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body) as [keyof Body, unknown][]) {
    if (key === 'api_key') continue;
    // Required numbers emptied: keep what the server has.
    if (value === null && (key === 'timeout_secs' || key === 'priority' || key === 'weight')) continue;
    if (JSON.stringify(value) !== JSON.stringify(before[key])) patch[key] = value;
  }
  return { body: patch as ProviderPatch };
}
