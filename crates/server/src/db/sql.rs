//! SQL expressions that differ between SQLite and PostgreSQL, written once.

use sea_orm::DatabaseBackend;
use sea_orm::sea_query::{Expr, SimpleExpr};

/// The UTC day (`YYYY-MM-DD`) of a timestamp column.
pub fn utc_day(backend: DatabaseBackend, column: &str) -> SimpleExpr {
    match backend {
        // SQLite stores the UTC time as text that starts with the date.
        DatabaseBackend::Sqlite => Expr::cust(format!("substr({column}, 1, 10)")),
        _ => Expr::cust(format!(
            "to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        )),
    }
}
