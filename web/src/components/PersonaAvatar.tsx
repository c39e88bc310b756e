// A persona's avatar: its emoji, a same-origin picture, or a stand-in (the built-ins' animals,
// else the first letter of the name). Pictures elsewhere are never loaded.

import type { Persona } from '../api/chat.ts';

const BUILT_IN: Record<string, string> = { fox: '🦊', dog: '🐶', snake: '🐍', emotion: '🎭' };

/** Whether `avatar` is a path on this server (not `//host`, which would leave it). */
function isLocalPicture(avatar: string): boolean {
  return /^\/[^/\\]/.test(avatar);
}

/** The text avatar of a persona: its emoji, a built-in's animal, else its initial. */
export function avatarText(persona: Pick<Persona, 'id' | 'name' | 'avatar'>): string {
  const avatar = persona.avatar?.trim() ?? '';
  if (avatar && !isLocalPicture(avatar) && !/^[a-z][a-z0-9+.-]*:/i.test(avatar) && Array.from(avatar).length <= 8) return avatar;
  return BUILT_IN[persona.id] ?? (Array.from(persona.name.trim())[0] ?? '?').toUpperCase();
}

export function PersonaAvatar({
  persona,
  size = 28,
}: {
  persona: Pick<Persona, 'id' | 'name' | 'avatar'>;
  size?: number;
}) {
  const style = { width: size, height: size, fontSize: Math.round(size * 0.6) };
  const avatar = persona.avatar?.trim() ?? '';
  if (avatar && isLocalPicture(avatar)) {
    return <img className="avatar persona-avatar" src={avatar} alt="" width={size} height={size} style={style} />;
  }
  return (
    <span className="avatar persona-avatar" style={style} aria-hidden="true" data-testid="persona-avatar">
      {avatarText(persona)}
    </span>
  );
}
