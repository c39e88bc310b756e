// Markdown of model replies (and shared transcripts), rendered inert: raw HTML in the text stays
// text (react-markdown without rehype-raw never makes elements from it), links keep only
// absolute http, https and mailto URLs and open in a new tab without an opener or referrer,
// images are not loaded (they become links: no tracking pixels, no requests elsewhere), and
// code blocks are highlighted (highlight.js classes, coloured by styles.css) with a Copy button.
// Loaded on demand through Markdown.tsx: the parser and the grammars are most of the chat's weight.

import { memo, useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import ReactMarkdown, { type Components } from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';
import remarkGfm from 'remark-gfm';
import { copyText } from '../lib/clipboard.ts';
import { CopyIcon } from './icons.tsx';

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** The URL when it is absolute http, https or mailto (normalised as a browser reads it), else undefined. */
export function safeUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return undefined;
  }
  return SAFE_PROTOCOLS.has(parsed.protocol) ? parsed.href : undefined;
}

function SafeLink({ href, children }: { href?: string; children?: ReactNode }) {
  if (!href) return <span className="md-link-dead">{children}</span>;
  return (
    <a href={href} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  );
}

/** The text of a code element's children (highlighted spans included). */
function textOf(node: ReactNode): string {
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (Array.isArray(node)) return node.map(textOf).join('');
  if (node && typeof node === 'object' && 'props' in node) {
    return textOf((node.props as { children?: ReactNode }).children);
  }
  return '';
}

function CodeBlock({ children }: { children?: ReactNode }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const code = Array.isArray(children) ? children[0] : children;
  const className =
    code && typeof code === 'object' && 'props' in code ? String((code.props as { className?: string }).className ?? '') : '';
  const language = /(?:^|\s)language-([\w+#.-]+)/.exec(className)?.[1] ?? null;

  useEffect(() => {
    if (copied === null) return;
    const timer = window.setTimeout(() => setCopied(null), 2000);
    return () => window.clearTimeout(timer);
  }, [copied]);

  const copy = async () => {
    setCopied((await copyText(textOf(children).replace(/\n$/, ''))) ? 'yes' : 'no');
  };

  return (
    <div className="code-block" data-testid="code-block">
      <div className="code-block-bar">
        <span className="code-block-lang">{language ?? t('chat.code')}</span>
        <button type="button" className="code-copy" onClick={() => void copy()} data-testid="code-copy">
          <CopyIcon />
          <span aria-live="polite">{copied === 'yes' ? t('chat.copied') : copied === 'no' ? t('chat.copyFailed') : t('chat.copyCode')}</span>
        </button>
      </div>
      <pre>{children}</pre>
    </div>
  );
}

const components: Components = {
  a: ({ href, children }) => <SafeLink href={href}>{children}</SafeLink>,
  // Not loaded: shown as a link to the picture, when its address is allowed.
  img: ({ src, alt }) => <SafeLink href={typeof src === 'string' ? src : undefined}>{alt || (typeof src === 'string' ? src : '')}</SafeLink>,
  pre: ({ children }) => <CodeBlock>{children}</CodeBlock>,
  table: ({ children }) => (
    <div className="md-table">
      <table>{children}</table>
    </div>
  ),
};

const remarkPlugins = [remarkGfm];
const rehypePlugins = [[rehypeHighlight, { detect: false }] as [typeof rehypeHighlight, { detect: boolean }]];

function transformUrl(url: string): string | undefined {
  return safeUrl(url);
}

/** `content` as sanitised markdown. */
const MarkdownRenderer = memo(function MarkdownRenderer({ content }: { content: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown
        remarkPlugins={remarkPlugins}
        rehypePlugins={rehypePlugins}
        components={components}
        urlTransform={transformUrl}
        skipHtml={false}
      >
        {content}
      </ReactMarkdown>
    </div>
  );
});

export default MarkdownRenderer;
