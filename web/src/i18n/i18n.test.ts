import { afterEach, describe, expect, it, vi } from 'vitest';
import en from './locales/en.json';
import zhCN from './locales/zh-CN.json';
import i18n, { changeLanguage } from './index.ts';
import { LANGUAGE_STORAGE_KEY, detectInitialLanguage, languageFromTag } from './language.ts';

type Tree = { [key: string]: string | Tree };

/** Flattens nested resources to `a.b.c` → text. */
function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

describe('locale files', () => {
  const enKeys = flatten(en as Tree);
  const zhKeys = flatten(zhCN as Tree);

  it('have exactly the same keys', () => {
    expect([...zhKeys.keys()].sort()).toEqual([...enKeys.keys()].sort());
    expect(enKeys.size).toBeGreaterThan(30);
  });

  it('have no empty strings', () => {
    for (const [lang, keys] of [['en', enKeys], ['zh-CN', zhKeys]] as const) {
      const empty = [...keys].filter(([, text]) => text.trim() === '').map(([key]) => `${lang}:${key}`);
      expect(empty).toEqual([]);
    }
  });

  it('use the same interpolation variables in both languages', () => {
    for (const [key, text] of enKeys) {
      expect(placeholders(zhKeys.get(key) ?? ''), key).toEqual(placeholders(text));
    }
  });

  it('really translate the UI into Chinese', () => {
    expect(zhKeys.get('status.title')).toBe('系统状态');
    const identical = [...enKeys].filter(([key, text]) => zhKeys.get(key) === text).map(([key]) => key);
    // Only names (of the product, of databases, of upstream providers and serving engines) and
    // language endonyms may stay the same.
    expect(
      identical.every((key) => /^(app\.(name|pageTitle)|language\.|status\.(backend|checks\.redis|fields\.redis)|providers\.kinds\.|deployments\.(vllm|sglang|ollama)$)/.test(key)),
      identical.join(),
    ).toBe(true);
  });
});

describe('language detection', () => {
  afterEach(() => window.localStorage.clear());

  it('maps any Chinese browser language to zh-CN and the rest to en', () => {
    expect(languageFromTag('zh')).toBe('zh-CN');
    expect(languageFromTag('zh-TW')).toBe('zh-CN');
    expect(languageFromTag('zh-Hans-CN')).toBe('zh-CN');
    expect(languageFromTag('en-US')).toBe('en');
    expect(languageFromTag('fr')).toBe('en');
    expect(languageFromTag('zu')).toBe('en');
    expect(languageFromTag(undefined)).toBe('en');
  });

  it('prefers the stored choice over the browser language', () => {
    vi.spyOn(navigator, 'language', 'get').mockReturnValue('en-US');
    window.localStorage.setItem(LANGUAGE_STORAGE_KEY, 'zh-CN');
    expect(detectInitialLanguage()).toBe('zh-CN');
  });

  it('falls back to the browser language when nothing valid is stored', () => {
    vi.spyOn(navigator, 'language', 'get').mockReturnValue('zh-CN');
    window.localStorage.setItem(LANGUAGE_STORAGE_KEY, 'klingon');
    expect(detectInitialLanguage()).toBe('zh-CN');
  });
});

describe('changeLanguage', () => {
  afterEach(async () => {
    await i18n.changeLanguage('en');
  });

  it('translates, stores the choice and sets <html lang>', async () => {
    await changeLanguage('zh-CN');
    expect(i18n.t('nav.status')).toBe('状态');
    expect(document.documentElement.lang).toBe('zh-CN');
    expect(window.localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe('zh-CN');

    await changeLanguage('en');
    expect(i18n.t('nav.status')).toBe('Status');
    expect(document.documentElement.lang).toBe('en');
    expect(window.localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe('en');
  });
});
