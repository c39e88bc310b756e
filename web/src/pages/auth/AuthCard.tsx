// The frame of the account pages (login, register, reset…): a centred card with a heading.

import type { ReactNode } from 'react';

export function AuthCard({
  title,
  intro,
  children,
  footer,
  testId,
}: {
  title: string;
  intro?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
  testId?: string;
}) {
  return (
    <div className="auth-page" data-testid={testId}>
      <section className="card auth-card" aria-labelledby="auth-card-title">
        <h1 id="auth-card-title">{title}</h1>
        {intro ? <p className="muted auth-intro">{intro}</p> : null}
        {children}
      </section>
      {footer ? <div className="auth-footer">{footer}</div> : null}
    </div>
  );
}
