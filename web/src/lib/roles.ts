// Display names of user roles.

import type { TFunction } from 'i18next';

/** A role's name in the UI language (unknown roles as the server spells them). */
export function roleLabel(role: string, t: TFunction): string {
  return role === 'admin' || role === 'user' || role === 'guest' ? t(`roles.${role}`) : role;
}
