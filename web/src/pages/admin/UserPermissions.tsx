// Admin → Users: the permissions an admin may give a user who is not an admin, one checkbox
// each (`models`, `deployments`); a change sends the user's whole new list.

import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { PERMISSIONS, type Permission, type User } from '../../api/auth.ts';

const TEXT = {
  models: {
    label: 'adminUsers.permModels',
    of: 'adminUsers.permModelsOf',
    granted: 'adminUsers.permGranted',
    revoked: 'adminUsers.permRevoked',
  },
  deployments: {
    label: 'adminUsers.permDeployments',
    of: 'adminUsers.permDeploymentsOf',
    granted: 'adminUsers.permDeploymentsGranted',
    revoked: 'adminUsers.permDeploymentsRevoked',
  },
} as const satisfies Record<Permission, Record<string, string>>;

/** What to say once `permission` was given (or taken) and the server answered `updated`. */
export type Done = (updated: User) => string;

function doneText(permission: Permission, granted: boolean, t: TFunction): Done {
  const key = granted ? TEXT[permission].granted : TEXT[permission].revoked;
  return (updated) => t(key, { username: updated.username });
}

export function UserPermissions({ user, disabled, onChange }: { user: User; disabled: boolean; onChange: (permissions: string[], done: Done) => void }) {
  const { t } = useTranslation();
  return (
    <>
      {PERMISSIONS.map((permission) => (
        <label key={permission} className="checkbox small">
          <input
            type="checkbox"
            checked={user.permissions.includes(permission)}
            disabled={disabled}
            aria-label={t(TEXT[permission].of, { username: user.username })}
            onChange={(event) => {
              const granted = event.target.checked;
              const rest = user.permissions.filter((p) => p !== permission);
              onChange(granted ? [...rest, permission] : rest, doneText(permission, granted, t));
            }}
            data-testid={`user-perm-${permission}`}
          />
          {t(TEXT[permission].label)}
        </label>
      ))}
    </>
  );
}
