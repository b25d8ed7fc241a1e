//! The PostgreSQL backend: the scale-out store for several `tallinn serve`
//! processes. Migrations run under sqlx's advisory lock, so servers can start
//! together. Write transactions run at READ COMMITTED and lock the rows they
//! check with `SELECT ... FOR UPDATE`; reads use a REPEATABLE READ READ ONLY
//! snapshot.

use async_trait::async_trait;
use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::{Column, PgPool, Postgres, Row as _, Transaction, TypeInfo, ValueRef};
use tallinn_store::sql::{Backend, Connection, Dialect, Row, Value};
use tallinn_store::{Result, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The wire protocol allows 65,535 parameters per statement.
const MAX_PARAMS: usize = 60_000;

/// How long a request waits for a connection before the store is reported
/// unavailable (sqlx's default, 30 s, outlasted the request timeout: with
/// PostgreSQL stopped every request hung and then answered 408).
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// A pooled connection idle this long is pinged before it is handed out.
const PING_WHEN_IDLE: std::time::Duration = std::time::Duration::from_secs(1);

pub struct PostgresBackend {
    pool: PgPool,
    /// Sessions whose transactions are read-only by default (the URL's
    /// `options=-c default_transaction_read_only=on`).
    read_only: bool,
}

impl PostgresBackend {
    pub async fn connect(url: &str) -> Result<PostgresBackend> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // sqlx pings every connection it hands out: one more round trip
            // for each of the two or three acquires a request makes. Only a
            // connection that sat idle may have been cut (a restarted server,
            // a dropped route); one in steady use would have failed its last
            // query.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_WHEN_IDLE {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect(url)
            .await
            .map_err(|e| StoreError::Database(format!("cannot connect to PostgreSQL: {e}")))?;
        let read_only = url.contains("default_transaction_read_only%3Don") || url.contains("default_transaction_read_only=on");
        Ok(PostgresBackend { pool, read_only })
    }

    /// Creates database `name` on the server of `base_url` and returns the
    /// URL of the new database (used by tests and benchmarks for isolation).
    pub async fn create_database(base_url: &str, name: &str) -> Result<String> {
        if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(StoreError::Database(format!("'{name}' is not a plain database name")));
        }
        let admin =
            PgPoolOptions::new().max_connections(1).connect(base_url).await.map_err(|e| StoreError::Database(format!("cannot connect to PostgreSQL: {e}")))?;
        sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&admin).await.map_err(map_error)?;
        admin.close().await;
        Ok(with_database(base_url, name))
    }

    /// Drops a database made by `create_database`.
    pub async fn drop_database(base_url: &str, name: &str) -> Result<()> {
        let admin = PgPoolOptions::new().max_connections(1).connect(base_url).await.map_err(map_error)?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&admin).await.map_err(map_error)?;
        admin.close().await;
        Ok(())
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Maps constraint violations by kind (never by constraint name).
/// The store is unavailable when PostgreSQL cannot be reached (no
/// connection within `ACQUIRE_TIMEOUT`, a broken connection, the server
/// shutting down: SQLSTATE class 08, 57P01–57P03), is out of space (53100)
/// or read-only (25006, a standby). The words "out of space" and
/// "read-only" tell the availability guard that only writes are refused.
fn map_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if !matches!(db.kind(), sqlx::error::ErrorKind::Other) => StoreError::Constraint(db.message().to_string()),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("53100") => StoreError::Unavailable(format!("out of space: {}", db.message())),
            Some("25006") => StoreError::Unavailable(format!("the database is read-only: {}", db.message())),
            Some(code) if code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03") => {
                StoreError::Unavailable(format!("cannot reach PostgreSQL: {}", db.message()))
            }
            _ => StoreError::Database(e.to_string()),
        },
        sqlx::Error::PoolTimedOut => StoreError::Unavailable(format!("no connection to PostgreSQL within {} s", ACQUIRE_TIMEOUT.as_secs())),
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
            StoreError::Unavailable(format!("cannot reach PostgreSQL: {e}"))
        }
        _ => StoreError::Database(e.to_string()),
    }
}

fn bind<'q>(
    mut query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    args: Vec<Value>,
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
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

/// Decodes the rows of one result; they share their column names.
fn decode_all(rows: &[PgRow]) -> Result<Vec<Row>> {
    let Some(first) = rows.first() else { return Ok(Vec::new()) };
    let names: std::sync::Arc<[Box<str>]> = first.columns().iter().map(|c| Box::from(c.name())).collect();
    rows.iter().map(|row| decode(row, &names)).collect()
}

fn decode(row: &PgRow, names: &std::sync::Arc<[Box<str>]>) -> Result<Row> {
    let mut values = Vec::with_capacity(row.columns().len());
    for (i, column) in row.columns().iter().enumerate() {
        let raw = row.try_get_raw(i).map_err(map_error)?;
        let value = if raw.is_null() {
            Value::NullText
        } else {
            match column.type_info().name() {
                "INT8" => Value::Int(row.try_get(i).map_err(map_error)?),
                "INT4" => Value::Int(i64::from(row.try_get::<i32, _>(i).map_err(map_error)?)),
                "INT2" => Value::Int(i64::from(row.try_get::<i16, _>(i).map_err(map_error)?)),
                "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => Value::Text(row.try_get(i).map_err(map_error)?),
                "BOOL" => Value::Bool(row.try_get(i).map_err(map_error)?),
                other => {
                    return Err(StoreError::Corrupt(format!("column {}: unexpected PostgreSQL type {other}", column.name())));
                }
            }
        };
        values.push(value);
    }
    Ok(Row::new(names.clone(), values))
}

struct PgTx(Transaction<'static, Postgres>);

#[async_trait]
impl Connection for PgTx {
    async fn execute(&mut self, sql: &str, args: Vec<Value>) -> Result<u64> {
        tallinn_store::sql::storable(&args)?;
        let done = bind(sqlx::query(sql), args).execute(&mut *self.0).await.map_err(map_error)?;
        Ok(done.rows_affected())
    }

    async fn fetch(&mut self, sql: &str, args: Vec<Value>) -> Result<Vec<Row>> {
        tallinn_store::sql::storable(&args)?;
        let rows = bind(sqlx::query(sql), args).fetch_all(&mut *self.0).await.map_err(map_error)?;
        decode_all(&rows)
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        self.0.commit().await.map_err(map_error)
    }

    async fn rollback(self: Box<Self>) -> Result<()> {
        self.0.rollback().await.map_err(map_error)
    }
}

#[async_trait]
impl Backend for PostgresBackend {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn dialect(&self) -> Dialect {
        Dialect {
            lock_rows: " FOR UPDATE",
            max_params: MAX_PARAMS,
            columns_of: "SELECT column_name::text AS name, data_type::text AS type FROM information_schema.columns \
                         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            tables: "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            set_identity: Some("SELECT setval(pg_get_serial_sequence($1, $2), $3)"),
            parallel_writes: 4,
        }
    }

    fn is_read_only(&self) -> bool {
        self.read_only
    }

    async fn migrate(&self) -> Result<()> {
        if self.read_only {
            // Nothing may be written: a store of another version is refused.
            return match self.is_current().await? {
                true => Ok(()),
                false => Err(StoreError::Unavailable("the database is read-only and not migrated to this version of Tallinn".into())),
            };
        }
        MIGRATOR.run(&self.pool).await.map_err(|e| StoreError::Database(format!("migration failed: {e}")))?;
        // Tables that hold rows but were never analysed (autovacuum off, or
        // not yet come round) are planned as if nearly empty: a first page
        // of 20,000 objects sorted them all (17 ms) instead of reading 100
        // from an index (0.1 ms). Analyse them now.
        let never: Vec<String> = sqlx::query_scalar(
            "SELECT relname::text FROM pg_stat_user_tables \
             WHERE last_analyze IS NULL AND last_autoanalyze IS NULL AND n_live_tup + n_mod_since_analyze > 0",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_error)?;
        for table in never {
            self.refresh_statistics(&table).await?;
        }
        Ok(())
    }

    async fn is_current(&self) -> Result<bool> {
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(&self.pool).await.unwrap_or_default();
        Ok(MIGRATOR.iter().all(|m| applied.contains(&m.version)))
    }

    async fn begin_write(&self) -> Result<Box<dyn Connection>> {
        Ok(Box::new(PgTx(self.pool.begin().await.map_err(map_error)?)))
    }

    async fn begin_read(&self) -> Result<Box<dyn Connection>> {
        Ok(Box::new(PgTx(self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await.map_err(map_error)?)))
    }

    async fn fetch_alone(&self, sql: &str, args: Vec<Value>) -> Result<Vec<Row>> {
        tallinn_store::sql::storable(&args)?;
        let rows = bind(sqlx::query(sql), args).fetch_all(&self.pool).await.map_err(map_error)?;
        decode_all(&rows)
    }

    async fn execute_alone(&self, sql: &str, args: Vec<Value>) -> Result<u64> {
        tallinn_store::sql::storable(&args)?;
        Ok(bind(sqlx::query(sql), args).execute(&self.pool).await.map_err(map_error)?.rows_affected())
    }

    async fn refresh_statistics(&self, table: &str) -> Result<()> {
        if !table.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(StoreError::Database(format!("'{table}' is not a plain table name")));
        }
        sqlx::query(&format!("ANALYZE \"{table}\"")).execute(&self.pool).await.map_err(map_error)?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

/// `postgres://u@h:5432/old?x=1` with the database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_database() {
        assert_eq!(super::with_database("postgres://u@h:5432/old?sslmode=disable", "new"), "postgres://u@h:5432/new?sslmode=disable");
        assert_eq!(super::with_database("postgres://127.0.0.1:5432", "new"), "postgres://127.0.0.1:5432/new");
    }
}
