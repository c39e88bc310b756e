import { describe, expect, it } from 'vitest';
import { normalizeProvider, type Provider } from '../../api/providers.ts';
import {
  NEW_PROVIDER_VALUES,
  createBody,
  formatAliases,
  parseAliases,
  parseModelList,
  patchBody,
  valuesFromProvider,
} from './providerFields.ts';

const AZURE = normalizeProvider({
  id: 'p-az',
  name: 'Azure',
  kind: 'azure_openai',
  base_url: 'https://me.openai.azure.com',
  api_version: '2024-10-21',
  owner: 'shared',
  keys: [],
  models: ['gpt-4o'],
  model_aliases: { gpt4: 'my-deployment' },
  default_params: { temperature: null, max_tokens: 512, top_p: null },
  timeout_secs: 30,
  priority: 1,
  weight: 1,
  enabled: true,
  created_at: '2026-11-21T10:00:00Z',
  updated_at: '2026-11-21T10:00:00Z',
} as Provider);

describe('provider form values', () => {
  it('splits model lists on commas and line breaks, without blanks or repeats', () => {
    expect(parseModelList(' a, b\n\nc ,a,\n')).toEqual(['a', 'b', 'c']);
    expect(parseModelList('')).toEqual([]);
  });

  it('reads and writes alias lines', () => {
    expect(parseAliases('gpt4 = gpt-4o\n\n fast=gpt-4o-mini ')).toEqual({ aliases: { gpt4: 'gpt-4o', fast: 'gpt-4o-mini' } });
    expect(parseAliases('gpt4=gpt-4o\nbroken')).toEqual({ badLine: 'broken' });
    expect(parseAliases('=x')).toEqual({ badLine: '=x' });
    expect(formatAliases({ a: 'b', c: 'd' })).toBe('a=b\nc=d');
  });

  it('leaves empty optional fields out of a create and checks numbers', () => {
    expect(createBody({ ...NEW_PROVIDER_VALUES, name: 'x', api_key: 'sk-1' })).toEqual({
      body: {
        name: 'x',
        kind: 'openai',
        api_key: 'sk-1',
        models: [],
        model_aliases: {},
        default_params: { temperature: null, max_tokens: null, top_p: null },
        timeout_secs: 60,
        priority: 0,
        weight: 1,
        enabled: true,
      },
    });
    expect(createBody({ ...NEW_PROVIDER_VALUES, name: 'x', api_key: 'k', temperature: 'hot', max_tokens: '1.5', weight: '' })).toEqual({
      problems: { 'default_params.temperature': 'number', 'default_params.max_tokens': 'integer' },
    });
  });

  it('sends only changed fields in a PATCH, null for a cleared one', () => {
    const values = valuesFromProvider(AZURE);
    expect(patchBody(AZURE, values)).toEqual({ body: {} });
    expect(patchBody(AZURE, { ...values, max_tokens: '', model_aliases: 'gpt4=other' })).toEqual({
      body: { model_aliases: { gpt4: 'other' }, default_params: { temperature: null, max_tokens: null, top_p: null } },
    });
    // Leaving Azure drops the API version.
    expect(patchBody(AZURE, { ...values, kind: 'openai', base_url: '' })).toEqual({
      body: { kind: 'openai', base_url: null, api_version: null },
    });
    expect(patchBody(AZURE, { ...values, api_version: ' ' })).toEqual({ problems: { api_version: 'required' } });
  });
});
