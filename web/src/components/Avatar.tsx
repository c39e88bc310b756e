// A user's picture, or their initials on a coloured disc when they have none.

import type { User } from '../api/auth.ts';

/** Up to two initials from the display name or username. */
export function initialsOf(user: Pick<User, 'display_name' | 'username'>): string {
  const name = (user.display_name?.trim() || user.username).trim();
  const words = name.split(/[\s._-]+/u).filter(Boolean);
  const letters = (words.length > 1 ? [words[0], words[1]] : [name]).map((word) => Array.from(word ?? '')[0] ?? '');
  return letters.join('').toUpperCase() || '?';
}

/** Shown name of a user: display name, else username. */
export function nameOf(user: Pick<User, 'display_name' | 'username'>): string {
  return user.display_name?.trim() || user.username;
}

export function Avatar({
  user,
  size = 32,
  alt = '',
}: {
  user: Pick<User, 'display_name' | 'username' | 'avatar_url'>;
  size?: number;
  /** Empty when the name is written next to it. */
  alt?: string;
}) {
  const style = { width: size, height: size, fontSize: Math.round(size * 0.4) };
  if (user.avatar_url) {
    return <img className="avatar" src={user.avatar_url} alt={alt} width={size} height={size} style={style} data-testid="avatar-image" />;
  }
  return (
    <span className="avatar avatar-initials" style={style} role={alt ? 'img' : undefined} aria-label={alt || undefined} aria-hidden={alt ? undefined : true} data-testid="avatar-initials">
      {initialsOf(user)}
    </span>
  );
}
