// Keeps the newest text of a conversation in view: as a reply grows (or markdown that loads
// changes the height) the page scrolls to the end mark — unless the reader has scrolled up.
// Sending (`following`) or opening another conversation (`resetKey`) follows again.

import { useCallback, useEffect, useLayoutEffect, useRef } from 'react';

/** How close to the bottom (px) still counts as "reading the newest text". */
const STICK_DISTANCE = 160;

function nearBottom(): boolean {
  return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - STICK_DISTANCE;
}

export function useFollow(messages: unknown, resetKey: unknown) {
  const main = useRef<HTMLElement>(null);
  const end = useRef<HTMLDivElement>(null);
  /** The reader is at the newest text: keep it in view as the reply grows. */
  const stick = useRef(true);

  // The end mark is below the composer, so nothing hides under it.
  const follow = useCallback(() => {
    if (stick.current) end.current?.scrollIntoView?.({ block: 'end' });
  }, []);
  useEffect(() => {
    const onScroll = () => {
      stick.current = nearBottom();
    };
    window.addEventListener('scroll', onScroll, { passive: true });
    return () => window.removeEventListener('scroll', onScroll);
  }, []);
  useEffect(() => {
    stick.current = true;
  }, [resetKey]);
  useLayoutEffect(follow, [messages, follow]);
  useEffect(() => {
    // Markdown that loads or a code block that highlights changes the height after the render.
    if (!main.current || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(follow);
    observer.observe(main.current);
    return () => observer.disconnect();
  }, [follow]);
  const following = useCallback(<T,>(action: () => T): T => {
    stick.current = true;
    return action();
  }, []);

  return { main, end, following };
}
