//! The SQLite backend: the embedded default store.
//!
//! WAL journal with `synchronous=FULL` (an acknowledged write survives a
//! power cut), a busy timeout, foreign keys on, and write transactions opened
//! with `BEGIN IMMEDIATE` so that they take the single write lock up front:
//! two writers queue instead of failing with SQLITE_BUSY halfway through.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Column, Row as _, Sqlite, SqlitePool, Transaction, TypeInfo, ValueRef};
use tallinn_store::sql::{Backend, Connection, Dialect, Row, Value};
use tallinn_store::{Result, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// SQLite allows 32,766 parameters per statement since 3.32.
const MAX_PARAMS: usize = 32_000;

pub struct SqliteBackend {
    pool: SqlitePool,
}

impl SqliteBackend {
    /// Opens (creating if needed) the database at a `sqlite://PATH` URL.
    pub async fn connect(url: &str) -> Result<SqliteBackend> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Database(format!("bad SQLite URL '{url}': {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        // A file on the local disk: no connection to test before each use
        // (the test is a round trip to the connection's worker thread).
        let pool = SqlitePoolOptions::new().max_connections(8).test_before_acquire(false).connect_with(options).await.map_err(map_error)?;
        Ok(SqliteBackend { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// Maps constraint violations by kind (never by constraint name).
fn map_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if !matches!(db.kind(), sqlx::error::ErrorKind::Other) => StoreError::Constraint(db.message().to_string()),
        _ => StoreError::Database(e.to_string()),
    }
}

fn bind<'q>(
    mut query: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    args: Vec<Value>,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    for v in args {
        query = match v {
            Value::NullInt => query.bind(None::<i64>),
            Value::NullText => query.bind(None::<String>),
            Value::Int(i) => query.bind(i),
            Value::Text(s) => query.bind(s),
            Value::Bool(b) => query.bind(b),
        };
    }
    query
}

/// Decodes by each value's storage class.
fn decode(row: &SqliteRow) -> Result<Row> {
    let mut values = Vec::with_capacity(row.columns().len());
    for (i, column) in row.columns().iter().enumerate() {
        let raw = row.try_get_raw(i).map_err(map_error)?;
        let value = if raw.is_null() {
            Value::NullText
        } else {
            match raw.type_info().name() {
                "INTEGER" | "BOOLEAN" => Value::Int(row.try_get(i).map_err(map_error)?),
                "TEXT" => Value::Text(row.try_get(i).map_err(map_error)?),
                other => {
                    return Err(StoreError::Corrupt(format!("column {}: unexpected SQLite type {other}", column.name())));
                }
            }
        };
        values.push(value);
    }
    Ok(Row(values))
}

/// Rewrites the shared SQL's `$n` parameters for SQLite. SQLite keeps
/// named and numbered parameters (`$n`, `?n`) in a list that both the
/// parser and `sqlite3_bind_parameter_name` (called by sqlx for every
/// parameter) search linearly, so a multi-row insert with thousands of
/// parameters costs quadratic time. Anonymous `?` parameters are not in that
/// list: when a statement uses `$1, $2, ... $k` once each in order (every
/// bulk insert does), they become `?`; otherwise `?n`. Text inside
/// single-quoted literals is left alone.
fn sqlite_parameters(sql: &str) -> std::borrow::Cow<'_, str> {
    if !sql.contains('$') {
        return std::borrow::Cow::Borrowed(sql);
    }
    // (byte range of "$n", n) for every parameter outside literals.
    let mut params = Vec::new();
    let mut in_literal = false;
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => in_literal = !in_literal,
            b'$' if !in_literal && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let end = (i + 1..bytes.len()).find(|&j| !bytes[j].is_ascii_digit()).unwrap_or(bytes.len());
                params.push((i, end, sql[i + 1..end].parse::<usize>().unwrap_or(0)));
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let sequential = params.iter().enumerate().all(|(k, (_, _, n))| *n == k + 1);
    let mut out = String::with_capacity(sql.len());
    let mut last = 0;
    for (start, end, n) in params {
        out.push_str(&sql[last..start]);
        if sequential {
            out.push('?');
        } else {
            out.push_str(&format!("?{n}"));
        }
        last = end;
    }
    out.push_str(&sql[last..]);
    std::borrow::Cow::Owned(out)
}

struct SqliteTx(Transaction<'static, Sqlite>);

#[async_trait]
impl Connection for SqliteTx {
    async fn execute(&mut self, sql: &str, args: Vec<Value>) -> Result<u64> {
        let sql = sqlite_parameters(sql);
        let done = bind(sqlx::query(&sql), args).execute(&mut *self.0).await.map_err(map_error)?;
        Ok(done.rows_affected())
    }

    async fn fetch(&mut self, sql: &str, args: Vec<Value>) -> Result<Vec<Row>> {
        let sql = sqlite_parameters(sql);
        let rows = bind(sqlx::query(&sql), args).fetch_all(&mut *self.0).await.map_err(map_error)?;
        rows.iter().map(decode).collect()
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        self.0.commit().await.map_err(map_error)
    }

    async fn rollback(self: Box<Self>) -> Result<()> {
        self.0.rollback().await.map_err(map_error)
    }
}

#[async_trait]
impl Backend for SqliteBackend {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn dialect(&self) -> Dialect {
        Dialect { lock_rows: "", max_params: MAX_PARAMS }
    }

    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await.map_err(|e| StoreError::Database(format!("migration failed: {e}")))
    }

    async fn is_current(&self) -> Result<bool> {
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1").fetch_all(&self.pool).await.unwrap_or_default();
        Ok(MIGRATOR.iter().all(|m| applied.contains(&m.version)))
    }

    async fn begin_write(&self) -> Result<Box<dyn Connection>> {
        Ok(Box::new(SqliteTx(self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_error)?)))
    }

    async fn begin_read(&self) -> Result<Box<dyn Connection>> {
        Ok(Box::new(SqliteTx(self.pool.begin().await.map_err(map_error)?)))
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::sqlite_parameters;

    #[test]
    fn rewrites_parameters_outside_literals() {
        assert_eq!(sqlite_parameters("SELECT 1"), "SELECT 1");
        assert_eq!(sqlite_parameters("INSERT INTO t VALUES ($1, $2), ($3, '$9 stays')"), "INSERT INTO t VALUES (?, ?), (?, '$9 stays')");
        assert_eq!(sqlite_parameters("SELECT * FROM t WHERE ($1 = '' OR a = $1) AND b = $2"), "SELECT * FROM t WHERE (?1 = '' OR a = ?1) AND b = ?2");
        assert_eq!(sqlite_parameters("SELECT '$' || $1 || $10"), "SELECT '$' || ?1 || ?10");
    }
}
