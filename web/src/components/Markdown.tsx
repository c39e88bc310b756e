// Sanitised markdown (see MarkdownRenderer.tsx), loaded on demand so that pages without it do
// not carry the parser and the highlighter. Until it has loaded, the text shows as it is.

import { Suspense, lazy, memo } from 'react';

const load = () => import('./MarkdownRenderer.tsx');
const Renderer = lazy(load);

/** Starts loading the renderer early (a page that will show markdown soon). */
export function preloadMarkdown(): void {
  void load().catch(() => {});
}

/** `content` as sanitised markdown. */
export const Markdown = memo(function Markdown({ content }: { content: string }) {
  return (
    <Suspense fallback={<p className="message-text">{content}</p>}>
      <Renderer content={content} />
    </Suspense>
  );
});
