//! What a user who is not an admin may be allowed to manage, stored comma-separated in
//! `users.permissions`: `models` (the hubs, downloads and the local registry) and `deployments` (deployments and the resource monitor). Admins
//! may manage everything.

use super::store::User;
use crate::error::ApiError;

/// One permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Permission {
    /// Hub search, downloads, the local model registry.
    Models,
    /// Deployments (deploy, start, stop, logs) and the resource monitor.
    Deployments,
}

/// Every permission, in the order they are shown and stored.
pub const ALL: &[Permission] = &[Permission::Models, Permission::Deployments];

impl Permission {
    /// Its name in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Models => "models",
            Self::Deployments => "deployments",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        ALL.iter().copied().find(|p| p.as_str() == name)
    }
}

/// The permissions of a user row (unknown names are ignored).
pub fn of(user: &User) -> impl Iterator<Item = Permission> + '_ {
    user.permissions
        .split(',')
        .filter_map(|p| Permission::parse(p.trim()))
}

/// Checks a list from the API and gives its stored form (known names only, each once).
pub fn stored_form(names: &[String]) -> Result<String, ApiError> {
    let mut kept: Vec<Permission> = Vec::new();
    for name in names {
        let p = Permission::parse(name.trim()).ok_or_else(|| {
            ApiError::field(
                "permissions",
                format!("`{name}` is not a permission; known: models, deployments"),
            )
        })?;
        if !kept.contains(&p) {
            kept.push(p);
        }
    }
    kept.sort_by_key(|p| ALL.iter().position(|q| q == p));
    Ok(kept
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_checked_deduplicated_and_stored_in_order() {
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            stored_form(&names(&[" models", "models"])).unwrap(),
            "models"
        );
        assert_eq!(
            stored_form(&names(&["deployments", "models"])).unwrap(),
            "models,deployments"
        );
        assert_eq!(stored_form(&[]).unwrap(), "");
        let err = stored_form(&names(&["root"])).unwrap_err();
        assert!(
            err.to_string().contains("`root` is not a permission"),
            "{err}"
        );
    }
}
