//! The one-stop reports' counts (`report` turns them into figures): aggregates over the
//! dossiers' `received_on`, `closed_on`, `due_on` and `channel`, and over the moves, per unit,
//! procedure and month or bucket. Each query reads one index of `20261202100000_reports.sql`,
//! ordered as it groups, so SQLite (which aggregates by sorting) streams the groups out of the
//! index instead of sorting a year of rows; PostgreSQL hashes them. Days are `YYYY-MM-DD` text
//! (Vietnam), instants fixed-width UTC text: both compare as text.

use super::{Backend, Db, DbError};

/// Dossiers received in a month, per unit, procedure and channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedCount {
    /// The receiving unit.
    pub unit_code: String,
    /// The procedure.
    pub procedure_code: String,
    /// `YYYY-MM` (Vietnam).
    pub month: String,
    /// `online`, `counter` (none: not recorded).
    pub channel: Option<String>,
    /// How many.
    pub count: i64,
}

/// Dossiers whose handling ended in a month, per unit and procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedCount {
    /// The receiving unit.
    pub unit_code: String,
    /// The procedure.
    pub procedure_code: String,
    /// `YYYY-MM` (Vietnam).
    pub month: String,
    /// Every one that ended.
    pub closed: i64,
    /// Those refused (status `refused`).
    pub refused: i64,
    /// Those settled (not refused) after their due day.
    pub settled_late: i64,
    /// Those, settled or refused, that ended after their due day.
    pub late: i64,
}

/// Dossiers open at a day's end, per unit and procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCount {
    /// The receiving unit.
    pub unit_code: String,
    /// The procedure.
    pub procedure_code: String,
    /// Received by then and not ended by then.
    pub open: i64,
    /// Of those, due before the day they are judged on.
    pub overdue: i64,
}

/// A count per unit, procedure and bucket (an index into the bounds the query was given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketCount {
    /// The receiving unit.
    pub unit_code: String,
    /// The procedure.
    pub procedure_code: String,
    /// `i` for a value in `[bounds[i], bounds[i + 1])`.
    pub bucket: usize,
    /// How many.
    pub count: i64,
}

/// `$first, $first+1, ...` for `n` values, and the next free number.
fn placeholders(first: usize, n: usize) -> (String, usize) {
    let list: Vec<String> = (first..first + n).map(|i| format!("${i}")).collect();
    (list.join(", "), first + n)
}

/// `CASE WHEN column < $b1 THEN 0 WHEN column < $b2 THEN 1 ... END` over `bounds[1..]` bound
/// from `$first` on: the bucket of a value already known to lie in `[bounds[0], bounds[last])`.
fn bucket_case(column: &str, first: usize, bounds: usize) -> (String, usize) {
    if bounds <= 2 {
        return ("CAST(0 AS BIGINT)".to_owned(), first);
    }
    let mut case = String::from("CAST(CASE");
    let mut next = first;
    for i in 0..bounds.saturating_sub(2) {
        case.push_str(&format!(" WHEN {column} < ${next} THEN {i}"));
        next += 1;
    }
    case.push_str(&format!(
        " ELSE {} END AS BIGINT)",
        bounds.saturating_sub(2)
    ));
    (case, next)
}

impl Db {
    /// Dossiers of `units` received from day `from` to day `to` (inclusive), per unit,
    /// procedure, month and channel.
    pub async fn received_by_month(
        &self,
        units: &[String],
        from: &str,
        to: &str,
    ) -> Result<Vec<ReceivedCount>, DbError> {
        if units.is_empty() {
            return Ok(Vec::new());
        }
        let (list, _) = placeholders(3, units.len());
        let hint = self.index_hint("dossiers_received_by_month");
        let sql = format!(
            "SELECT unit_code, procedure_code, substr(received_on, 1, 7), channel, COUNT(*) \
             FROM dossiers {hint} WHERE unit_code IN ({list}) AND received_on >= $1 \
             AND received_on <= $2 \
             GROUP BY unit_code, procedure_code, substr(received_on, 1, 7), channel"
        );
        let mut query = sqlx::query_as::<_, (String, String, String, Option<String>, i64)>(
            sqlx::AssertSqlSafe(sql),
        )
        .bind(from)
        .bind(to);
        for u in units {
            query = query.bind(u);
        }
        Ok(query
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(
                |(unit_code, procedure_code, month, channel, count)| ReceivedCount {
                    unit_code,
                    procedure_code,
                    month,
                    channel,
                    count,
                },
            )
            .collect())
    }

    /// Dossiers of `units` whose handling ended from day `from` to day `to` (inclusive), per
    /// unit, procedure and month; `refused` is the status of a refused one.
    pub async fn closed_by_month(
        &self,
        units: &[String],
        from: &str,
        to: &str,
        refused: &str,
    ) -> Result<Vec<ClosedCount>, DbError> {
        if units.is_empty() {
            return Ok(Vec::new());
        }
        let (list, _) = placeholders(4, units.len());
        let hint = self.index_hint("dossiers_closed_by_month");
        // A dossier with no due date (its procedure had no processing time) is never late.
        let sql = format!(
            "SELECT unit_code, procedure_code, substr(closed_on, 1, 7), COUNT(*), \
             SUM(CASE WHEN status = $3 THEN 1 ELSE 0 END), \
             SUM(CASE WHEN closed_on > due_on AND status <> $3 THEN 1 ELSE 0 END), \
             SUM(CASE WHEN closed_on > due_on THEN 1 ELSE 0 END) \
             FROM dossiers {hint} WHERE unit_code IN ({list}) AND closed_on >= $1 \
             AND closed_on <= $2 \
             GROUP BY unit_code, procedure_code, substr(closed_on, 1, 7)"
        );
        let mut query = sqlx::query_as::<_, (String, String, String, i64, i64, i64, i64)>(
            sqlx::AssertSqlSafe(sql),
        )
        .bind(from)
        .bind(to)
        .bind(refused);
        for u in units {
            query = query.bind(u);
        }
        Ok(query
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(
                |(unit_code, procedure_code, month, closed, refused, settled_late, late)| {
                    ClosedCount {
                        unit_code,
                        procedure_code,
                        month,
                        closed,
                        refused,
                        settled_late,
                        late,
                    }
                },
            )
            .collect())
    }

    /// Dossiers of `units` open at the end of day `day` (received by then, not ended by then),
    /// per unit and procedure, with those due before `judged_on` among them.
    pub async fn open_at(
        &self,
        units: &[String],
        day: &str,
        judged_on: &str,
    ) -> Result<Vec<OpenCount>, DbError> {
        if units.is_empty() {
            return Ok(Vec::new());
        }
        let (list, _) = placeholders(3, units.len());
        let hint = self.index_hint("dossiers_open_by_unit");
        // Two ranges of one index: still open, and ended after the day.
        let sql = format!(
            "SELECT unit_code, procedure_code, COUNT(*), \
             SUM(CASE WHEN due_on < $2 THEN 1 ELSE 0 END) FROM ( \
             SELECT unit_code, procedure_code, due_on FROM dossiers {hint} \
             WHERE unit_code IN ({list}) AND closed_on IS NULL AND received_on <= $1 \
             UNION ALL \
             SELECT unit_code, procedure_code, due_on FROM dossiers {hint} \
             WHERE unit_code IN ({list}) AND closed_on > $1 AND received_on <= $1) o \
             GROUP BY unit_code, procedure_code"
        );
        let mut query = sqlx::query_as::<_, (String, String, i64, i64)>(sqlx::AssertSqlSafe(sql))
            .bind(day)
            .bind(judged_on);
        for u in units {
            query = query.bind(u);
        }
        Ok(query
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(|(unit_code, procedure_code, open, overdue)| OpenCount {
                unit_code,
                procedure_code,
                open,
                overdue,
            })
            .collect())
    }

    /// Dossiers of `units` that passed their due day while open (open still, or ended after
    /// it), by the bucket of `days` (ascending `YYYY-MM-DD`) their due day falls in.
    pub async fn late_by_due_day(
        &self,
        units: &[String],
        days: &[String],
    ) -> Result<Vec<BucketCount>, DbError> {
        if units.is_empty() || days.len() < 2 {
            return Ok(Vec::new());
        }
        let (list, next) = placeholders(3, units.len());
        let (case, _) = bucket_case("due_on", next, days.len());
        let hint = self.index_hint("dossiers_due_by_unit");
        let sql = format!(
            "SELECT unit_code, procedure_code, {case}, COUNT(*) FROM dossiers {hint} \
             WHERE unit_code IN ({list}) AND due_on >= $1 AND due_on < $2 \
             AND received_on IS NOT NULL AND (closed_on IS NULL OR closed_on > due_on) \
             GROUP BY 1, 2, 3"
        );
        let mut query = sqlx::query_as::<_, (String, String, i64, i64)>(sqlx::AssertSqlSafe(sql))
            .bind(&days[0])
            .bind(&days[days.len() - 1]);
        for u in units {
            query = query.bind(u);
        }
        for d in &days[1..days.len() - 1] {
            query = query.bind(d);
        }
        Ok(bucket_rows(query.fetch_all(self.pool()).await?))
    }

    /// Moves to `status` of dossiers of `units`, by the bucket of `instants` (ascending UTC
    /// text) their time falls in.
    pub async fn moves_by_bucket(
        &self,
        units: &[String],
        status: &str,
        instants: &[String],
    ) -> Result<Vec<BucketCount>, DbError> {
        if units.is_empty() || instants.len() < 2 {
            return Ok(Vec::new());
        }
        let (list, next) = placeholders(4, units.len());
        let (case, _) = bucket_case("t.at", next, instants.len());
        // Each move's dossier is looked up for its unit and procedure in an index that holds
        // both, not in the table's wide rows.
        let hint = self.index_hint("dossiers_id_unit");
        let sql = format!(
            "SELECT d.unit_code, d.procedure_code, {case}, COUNT(*) \
             FROM dossier_transitions t JOIN dossiers d {hint} ON d.id = t.dossier_id \
             WHERE t.to_status = $1 AND t.at >= $2 AND t.at < $3 AND d.unit_code IN ({list}) \
             GROUP BY 1, 2, 3"
        );
        let mut query = sqlx::query_as::<_, (String, String, i64, i64)>(sqlx::AssertSqlSafe(sql))
            .bind(status)
            .bind(&instants[0])
            .bind(&instants[instants.len() - 1]);
        for u in units {
            query = query.bind(u);
        }
        for i in &instants[1..instants.len() - 1] {
            query = query.bind(i);
        }
        Ok(bucket_rows(query.fetch_all(self.pool()).await?))
    }

    /// SQLite's planner, without statistics, may prefer a narrower index and sort what it
    /// read; the report's queries name the index they were written for. PostgreSQL plans by
    /// its statistics and needs no hint.
    fn index_hint(&self, index: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("INDEXED BY {index}"),
            Backend::Postgres => String::new(),
        }
    }
}

fn bucket_rows(rows: Vec<(String, String, i64, i64)>) -> Vec<BucketCount> {
    rows.into_iter()
        .map(|(unit_code, procedure_code, bucket, count)| BucketCount {
            unit_code,
            procedure_code,
            bucket: usize::try_from(bucket).unwrap_or(0),
            count,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_chosen_by_the_inner_bounds_only() {
        // Bounds a < b < c < d: three buckets, the outer bounds are the WHERE clause's.
        let (case, next) = bucket_case("x", 7, 4);
        assert_eq!(
            case,
            "CAST(CASE WHEN x < $7 THEN 0 WHEN x < $8 THEN 1 ELSE 2 END AS BIGINT)"
        );
        assert_eq!(next, 9);
        assert_eq!(bucket_case("x", 3, 2), ("CAST(0 AS BIGINT)".to_owned(), 3));
    }
}
