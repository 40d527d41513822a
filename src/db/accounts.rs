//! Accounts, their second factor and recovery codes, sessions, sign-in throttling, security
//! events, and the record of staff reads of dossiers.

use super::{Db, DbError};

/// A stored account (the password's hash, never the password).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    /// Id (UUID).
    pub id: String,
    /// Username, lower-case.
    pub username: String,
    /// Display name.
    pub name: Option<String>,
    /// Role name.
    pub role: String,
    /// Staff: the unit.
    pub unit_code: Option<String>,
    /// Staff: the agency.
    pub agency: Option<String>,
    /// Business: tax code.
    pub tax_code: Option<String>,
    /// Citizen: identification number.
    pub id_number: Option<String>,
    /// Business: also its branches (1) or not (0).
    pub branches: i64,
    /// Argon2id PHC string; none for identity-provider-only accounts.
    pub password_hash: Option<String>,
    /// The identity provider's `iss sub`.
    pub oidc_subject: Option<String>,
    /// The enrolled TOTP key (base32).
    pub totp_secret: Option<String>,
    /// A TOTP key awaiting confirmation.
    pub totp_pending: Option<String>,
    /// The last TOTP step accepted.
    pub totp_last_step: Option<i64>,
    /// Address of the last successful sign-in.
    pub last_sign_in_address: Option<String>,
    /// Instant of the last successful sign-in.
    pub last_sign_in_at: Option<String>,
    /// When it was disabled.
    pub disabled_at: Option<String>,
    /// Who created it.
    pub created_by: String,
    /// Instant.
    pub created_at: String,
    /// Instant of the last change.
    pub updated_at: String,
}

/// The columns of an [`AccountRow`], in its order.
macro_rules! account_columns {
    () => {
        "id, username, name, role, unit_code, agency, tax_code, id_number, branches, \
         password_hash, oidc_subject, totp_secret, totp_pending, totp_last_step, \
         last_sign_in_address, last_sign_in_at, disabled_at, created_by, created_at, updated_at"
    };
}

/// A stored session (the hash of its secret, never the secret).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    /// SHA-256 of the cookie's secret (hex).
    pub id_hash: String,
    /// Its account.
    pub account_id: String,
    /// The token state-changing requests must echo.
    pub csrf_token: String,
    /// 1 while the account must still enrol a second factor.
    pub enrol_only: i64,
    /// Client address at sign-in.
    pub address: Option<String>,
    /// Instant.
    pub created_at: String,
    /// Instant of the last request (updated at most once a minute).
    pub last_seen_at: String,
    /// The absolute end.
    pub expires_at: String,
    /// When it was signed out.
    pub ended_at: Option<String>,
}

/// One throttling key's count.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ThrottleRow {
    /// Failures in a row.
    pub failures: i64,
    /// The last one.
    pub last_failure_at: String,
    /// Refused until then.
    pub locked_until: Option<String>,
}

/// A security event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SecurityEventRow {
    /// Id (UUID).
    pub id: String,
    /// Instant.
    pub at: String,
    /// What happened (`sign_in`, `sign_in_failed`, `locked`, ...).
    pub kind: String,
    /// The username concerned (as typed, for failures).
    pub username: Option<String>,
    /// The account concerned, when there is one.
    pub account_id: Option<String>,
    /// Who did it, for changes made by someone else (`account:<id>`, a token id, `cli`).
    pub actor: Option<String>,
    /// Client address.
    pub address: Option<String>,
    /// A short note (never a secret).
    pub detail: Option<String>,
}

/// A staff member's read of a dossier.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReadRow {
    /// Id (UUID).
    pub id: String,
    /// The dossier read.
    pub dossier_id: String,
    /// Instant.
    pub at: String,
    /// Who (`account:<id>` or a token id).
    pub reader: String,
    /// Their display name.
    pub reader_name: Option<String>,
    /// Their role.
    pub role: String,
    /// Their unit.
    pub unit_code: Option<String>,
    /// Their agency.
    pub agency: Option<String>,
    /// What was read: `dossier` or `document:<id>`.
    pub what: String,
}

impl Db {
    /// Stores a new account, and its row among the actors the records name (`api_tokens`:
    /// `submitted_by`, `actor_token`, `issued_by`... refer to it) with the same rights; a
    /// unique violation means the username is taken.
    ///
    /// That row's id and `token_hash` are both `account:<id>`: no SHA-256 in hex equals it, so
    /// no bearer token ever matches it, and token listings and revocation leave it alone.
    pub async fn insert_account(&self, a: &AccountRow) -> Result<(), DbError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(concat!(
            "INSERT INTO accounts (",
            account_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
        ))
        .bind(&a.id)
        .bind(&a.username)
        .bind(a.name.as_deref())
        .bind(&a.role)
        .bind(a.unit_code.as_deref())
        .bind(a.agency.as_deref())
        .bind(a.tax_code.as_deref())
        .bind(a.id_number.as_deref())
        .bind(a.branches)
        .bind(a.password_hash.as_deref())
        .bind(a.oidc_subject.as_deref())
        .bind(a.totp_secret.as_deref())
        .bind(a.totp_pending.as_deref())
        .bind(a.totp_last_step)
        .bind(a.last_sign_in_address.as_deref())
        .bind(a.last_sign_in_at.as_deref())
        .bind(a.disabled_at.as_deref())
        .bind(&a.created_by)
        .bind(&a.created_at)
        .bind(&a.updated_at)
        .execute(&mut *tx)
        .await?;
        let actor = format!("account:{}", a.id);
        sqlx::query(
            "INSERT INTO api_tokens (id, token_hash, role, tax_code, id_number, agency, name, \
             created_at, branches, unit_code) VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&actor)
        .bind(&a.role)
        .bind(a.tax_code.as_deref())
        .bind(a.id_number.as_deref())
        .bind(a.agency.as_deref())
        .bind(a.name.as_deref())
        .bind(&a.created_at)
        .bind(a.branches)
        .bind(a.unit_code.as_deref())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The account with this (lower-case) username.
    pub async fn account_by_username(&self, username: &str) -> Result<Option<AccountRow>, DbError> {
        Ok(sqlx::query_as::<_, AccountRow>(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The account with this id.
    pub async fn account(&self, id: &str) -> Result<Option<AccountRow>, DbError> {
        Ok(sqlx::query_as::<_, AccountRow>(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The account bound to this identity-provider subject.
    pub async fn account_by_oidc_subject(
        &self,
        subject: &str,
    ) -> Result<Option<AccountRow>, DbError> {
        Ok(sqlx::query_as::<_, AccountRow>(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE oidc_subject = $1"
        ))
        .bind(subject)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The applicant account with this tax code (`business`) or identification number
    /// (`citizen`), if exactly one has it.
    pub async fn applicant_accounts(
        &self,
        role: &str,
        number: &str,
    ) -> Result<Vec<AccountRow>, DbError> {
        let column = if role == "business" {
            "tax_code"
        } else {
            "id_number"
        };
        Ok(sqlx::query_as::<_, AccountRow>(sqlx::AssertSqlSafe(format!(
            concat!(
                "SELECT ",
                account_columns!(),
                " FROM accounts WHERE role = $1 AND {} = $2 LIMIT 2"
            ),
            column
        )))
        .bind(role)
        .bind(number)
        .fetch_all(self.pool())
        .await?)
    }

    /// Accounts by username; only those of `units` when given (staff of those units).
    pub async fn list_accounts(
        &self,
        units: Option<&[String]>,
    ) -> Result<Vec<AccountRow>, DbError> {
        let mut sql = concat!("SELECT ", account_columns!(), " FROM accounts").to_owned();
        if let Some(units) = units {
            if units.is_empty() {
                return Ok(Vec::new());
            }
            let placeholders: Vec<String> = (1..=units.len()).map(|i| format!("${i}")).collect();
            sql.push_str(&format!(
                " WHERE unit_code IN ({})",
                placeholders.join(", ")
            ));
        }
        sql.push_str(" ORDER BY username");
        let mut query = sqlx::query_as::<_, AccountRow>(sqlx::AssertSqlSafe(sql));
        for u in units.unwrap_or_default() {
            query = query.bind(u);
        }
        Ok(query.fetch_all(self.pool()).await?)
    }

    /// Disables (`Some(at)`) or enables (`None`) an account; false when there is none.
    pub async fn set_account_disabled(
        &self,
        id: &str,
        disabled_at: Option<&str>,
        now: &str,
    ) -> Result<bool, DbError> {
        let done =
            sqlx::query("UPDATE accounts SET disabled_at = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(disabled_at)
                .bind(now)
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets a new password hash; with `clear_second_factor`, also removes the TOTP key and
    /// recovery codes (an administrator's reset for someone who lost their phone).
    pub async fn set_password(
        &self,
        id: &str,
        hash: &str,
        clear_second_factor: bool,
        now: &str,
    ) -> Result<(), DbError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE accounts SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if clear_second_factor {
            sqlx::query(
                "UPDATE accounts SET totp_secret = NULL, totp_pending = NULL, \
                 totp_last_step = NULL WHERE id = $1",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Keeps a TOTP key awaiting confirmation.
    pub async fn set_totp_pending(&self, id: &str, key: &str, now: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE accounts SET totp_pending = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(key)
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Makes the pending key the account's second factor, the confirming code's step used, and
    /// `code_hashes` its recovery codes (replacing any). False when the pending key changed
    /// meanwhile.
    pub async fn confirm_totp(
        &self,
        id: &str,
        key: &str,
        step: i64,
        code_hashes: &[String],
        now: &str,
    ) -> Result<bool, DbError> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE accounts SET totp_secret = totp_pending, totp_pending = NULL, \
             totp_last_step = $3, updated_at = $4 WHERE id = $1 AND totp_pending = $2",
        )
        .bind(id)
        .bind(key)
        .bind(step)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for hash in code_hashes {
            sqlx::query("INSERT INTO recovery_codes (account_id, code_hash) VALUES ($1, $2)")
                .bind(id)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Marks a TOTP step used, only if later than the last one: true when this call won (two
    /// nodes given the same code at once accept it once).
    pub async fn use_totp_step(&self, id: &str, step: i64) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE accounts SET totp_last_step = $2 WHERE id = $1 \
             AND (totp_last_step IS NULL OR totp_last_step < $2)",
        )
        .bind(id)
        .bind(step)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Uses a recovery code: true when it was unused (and is now used).
    pub async fn use_recovery_code(
        &self,
        id: &str,
        hash: &str,
        now: &str,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at = $3 WHERE account_id = $1 AND code_hash = $2 \
             AND used_at IS NULL",
        )
        .bind(id)
        .bind(hash)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// How many unused recovery codes an account has left.
    pub async fn recovery_codes_left(&self, id: &str) -> Result<i64, DbError> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(n)
    }

    /// Records a successful sign-in's address and time.
    pub async fn record_sign_in(
        &self,
        id: &str,
        address: Option<&str>,
        now: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE accounts SET last_sign_in_address = $2, last_sign_in_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(address)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Binds an account to an identity-provider subject.
    pub async fn set_oidc_subject(
        &self,
        id: &str,
        subject: &str,
        now: &str,
    ) -> Result<(), DbError> {
        sqlx::query("UPDATE accounts SET oidc_subject = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(subject)
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Stores a new session.
    pub async fn insert_session(&self, s: &SessionRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, account_id, csrf_token, enrol_only, address, \
             created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&s.id_hash)
        .bind(&s.account_id)
        .bind(&s.csrf_token)
        .bind(s.enrol_only)
        .bind(s.address.as_deref())
        .bind(&s.created_at)
        .bind(&s.last_seen_at)
        .bind(&s.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The session with this hash, if not ended.
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>, DbError> {
        Ok(sqlx::query_as::<_, SessionRow>(
            "SELECT id_hash, account_id, csrf_token, enrol_only, address, created_at, \
             last_seen_at, expires_at, ended_at FROM sessions WHERE id_hash = $1 \
             AND ended_at IS NULL",
        )
        .bind(id_hash)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Notes a session's activity.
    pub async fn touch_session(&self, id_hash: &str, now: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Lifts a session's enrol-only restriction (the second factor is now enrolled).
    pub async fn complete_session(&self, id_hash: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE sessions SET enrol_only = 0 WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Ends one session.
    pub async fn end_session(&self, id_hash: &str, now: &str) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE sessions SET ended_at = $2 WHERE id_hash = $1 AND ended_at IS NULL",
        )
        .bind(id_hash)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends every session of an account but `keep`; how many were live.
    pub async fn end_sessions_of(
        &self,
        account_id: &str,
        keep: Option<&str>,
        now: &str,
    ) -> Result<u64, DbError> {
        let done = sqlx::query(
            "UPDATE sessions SET ended_at = $2 WHERE account_id = $1 AND ended_at IS NULL \
             AND id_hash <> $3",
        )
        .bind(account_id)
        .bind(now)
        .bind(keep.unwrap_or(""))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// A throttling key's count.
    pub async fn throttle(&self, key: &str) -> Result<Option<ThrottleRow>, DbError> {
        Ok(sqlx::query_as::<_, ThrottleRow>(
            "SELECT failures, last_failure_at, locked_until FROM sign_in_throttle WHERE key = $1",
        )
        .bind(key)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Counts one more failure of a key (from one, when its last was before `forget_before`)
    /// and returns the new count. Atomic: two nodes counting at once count two.
    pub async fn count_failure(
        &self,
        key: &str,
        now: &str,
        forget_before: &str,
    ) -> Result<i64, DbError> {
        let (n,): (i64,) = sqlx::query_as(
            "INSERT INTO sign_in_throttle (key, failures, last_failure_at) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET failures = CASE \
             WHEN sign_in_throttle.last_failure_at < $3 THEN 1 \
             ELSE sign_in_throttle.failures + 1 END, last_failure_at = $2 RETURNING failures",
        )
        .bind(key)
        .bind(now)
        .bind(forget_before)
        .fetch_one(self.pool())
        .await?;
        Ok(n)
    }

    /// Sets until when a key is refused.
    pub async fn lock_key(&self, key: &str, until: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE sign_in_throttle SET locked_until = $2 WHERE key = $1")
            .bind(key)
            .bind(until)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forgets a key's failures (after a success).
    pub async fn clear_throttle(&self, key: &str) -> Result<(), DbError> {
        sqlx::query("DELETE FROM sign_in_throttle WHERE key = $1")
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Records a security event (once per id: an event already recorded under it stays).
    pub async fn insert_security_event(&self, e: &SecurityEventRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO security_events (id, at, kind, username, account_id, actor, address, \
             detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&e.id)
        .bind(&e.at)
        .bind(&e.kind)
        .bind(e.username.as_deref())
        .bind(e.account_id.as_deref())
        .bind(e.actor.as_deref())
        .bind(e.address.as_deref())
        .bind(e.detail.as_deref())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// An account's security events, newest first (at most `limit`).
    pub async fn security_events_of(
        &self,
        account_id: &str,
        username: &str,
        limit: i64,
    ) -> Result<Vec<SecurityEventRow>, DbError> {
        Ok(sqlx::query_as::<_, SecurityEventRow>(
            "SELECT id, at, kind, username, account_id, actor, address, detail \
             FROM security_events WHERE account_id = $1 OR username = $2 \
             ORDER BY at DESC, id DESC LIMIT $3",
        )
        .bind(account_id)
        .bind(username)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Records a staff read of a dossier, once per id (a read already recorded under the same
    /// id is left as it is).
    pub async fn insert_read(&self, r: &ReadRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO dossier_reads (id, dossier_id, at, reader, reader_name, role, \
             unit_code, agency, what) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&r.id)
        .bind(&r.dossier_id)
        .bind(&r.at)
        .bind(&r.reader)
        .bind(r.reader_name.as_deref())
        .bind(&r.role)
        .bind(r.unit_code.as_deref())
        .bind(r.agency.as_deref())
        .bind(&r.what)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The staff reads of a dossier, oldest first.
    pub async fn reads_of(&self, dossier_id: &str) -> Result<Vec<ReadRow>, DbError> {
        Ok(sqlx::query_as::<_, ReadRow>(
            "SELECT id, dossier_id, at, reader, reader_name, role, unit_code, agency, what \
             FROM dossier_reads WHERE dossier_id = $1 ORDER BY at, id",
        )
        .bind(dossier_id)
        .fetch_all(self.pool())
        .await?)
    }
}
