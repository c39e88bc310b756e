// Whole seconds left until `until` (a Date.now() timestamp), re-rendering once a second until
// it reaches 0. Computed while rendering, so the first render after `until` is set is right.

import { useEffect, useState } from 'react';

function left(until: number | null): number {
  return until === null ? 0 : Math.max(0, Math.ceil((until - Date.now()) / 1000));
}

export function useCountdown(until: number | null): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (until === null) return;
    const timer = window.setInterval(() => {
      setTick((tick) => tick + 1);
      if (left(until) === 0) window.clearInterval(timer);
    }, 1000);
    return () => window.clearInterval(timer);
  }, [until]);
  return left(until);
}
