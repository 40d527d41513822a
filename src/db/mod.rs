//! All SQL, for SQLite (embedded default) and PostgreSQL (production), through one code base.
//!
//! Owns: connecting, migrations (`migrations/`, embedded in the binary), and every query. Queries
//! use `$1`-style placeholders, which both databases accept, and portable types (text, bigint).
//! Returns plain rows; turning them into domain values is the caller's job.
//!
//! Never reaches: HTTP, the object store, signatures.

mod accounts;
mod archive;
mod catalogue;
mod dossiers;
mod fixity;
mod ledger;
mod oidc;
mod originals;
mod outbox;
mod parts;
mod reports;
mod results;
mod tokens;
mod units;
mod workflow;

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor as _};

pub use accounts::{AccountRow, ReadRow, SecurityEventRow, SessionRow, ThrottleRow};
pub use archive::{DisposalRow, ImportRow};
pub use catalogue::CatalogueRow;
pub use dossiers::{
    DocumentRow, DossierFilter, DossierRow, NewDocument, NewDossier, SignatureReportRow,
};
pub use fixity::{FixityAuditRow, FixityFindingRow};
pub use ledger::{CheckpointRow, DocumentAudit, EntryRow, HeadRow, ObjectAudit};
pub use oidc::OidcFlowRow;
pub use originals::{LegalHoldRow, OriginalsCheckRow};
pub use outbox::OutboxRow;
pub use parts::PartRow;
pub use reports::{BucketCount, ClosedCount, OpenCount, ReceivedCount};
pub use results::{ResultRow, RevocationRow};
pub use tokens::TokenRow;
pub use units::UnitRow;
pub use workflow::TransitionRow;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, in WAL mode with full synchronisation.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// What can go wrong in the database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The URL names a database we do not speak.
    #[error("unsupported database URL (use sqlite:// or postgres://): {0}")]
    UnsupportedUrl(String),
    /// The driver or the server failed.
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// Applying migrations failed.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl DbError {
    /// Whether a unique constraint refused the write (another writer got there first): the
    /// callers that retry with the next number need to know, without knowing the driver.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, Self::Sqlx(sqlx::Error::Database(d)) if d.is_unique_violation())
    }
}

/// The embedded migrations.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A pool of connections to one database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

impl Db {
    /// Connects. `sqlite://PATH?mode=rwc` creates the file; `postgres://...` needs the database
    /// to exist.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(DbError::UnsupportedUrl(redact_url(url)));
        };
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; FULL makes every commit
                        // durable before it returns; the busy timeout queues writers instead of
                        // failing them.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Self { pool, backend })
    }

    /// Applies the embedded migrations that are not yet applied.
    pub async fn migrate(&self) -> Result<(), DbError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A round trip to the database (for `/readyz`).
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Starts a transaction.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        let tx = if self.backend == Backend::Sqlite {
            // Take the write lock at once: a deferred transaction that reads first and writes
            // later can fail with SQLITE_BUSY instead of waiting.
            self.pool.begin_with("BEGIN IMMEDIATE").await?
        } else {
            self.pool.begin().await?
        };
        Ok(Tx {
            inner: tx,
            backend: self.backend,
        })
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// A database transaction; dropped without [`Tx::commit`], it rolls back.
pub struct Tx {
    inner: sqlx::Transaction<'static, Any>,
    backend: Backend,
}

impl Tx {
    /// Commits.
    pub async fn commit(self) -> Result<(), DbError> {
        self.inner.commit().await?;
        Ok(())
    }
}

/// The URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://u:secret@db:5432/x"),
            "postgres://u:***@db:5432/x"
        );
        assert_eq!(redact_url("postgres://u@db/x"), "postgres://u@db/x");
        assert_eq!(redact_url("sqlite://data/m.db"), "sqlite://data/m.db");
    }
}
