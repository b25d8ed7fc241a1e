//! The narrow seam between the ledger's operations and a database driver.
//!
//! The operations speak a small common SQL (numbered `$n` parameters,
//! `RETURNING`, integer keys) over four value types — integers, text,
//! booleans, NULL — because that is all the ledger stores: money as integer
//! minor units, instants as integer microseconds, dates as ISO text, lists as
//! JSON text. Each backend binds these natively and confines its dialect to
//! its migrations and to `Dialect` (see docs/adr/0003-storage.md).

use async_trait::async_trait;

use crate::error::StoreError;

/// A value bound to, or read from, a statement. NULLs are typed because
/// PostgreSQL types every parameter: an integer NULL cannot fill a text column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    NullInt,
    NullText,
    Int(i64),
    Text(String),
    Bool(bool),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::NullInt | Value::NullText)
    }
}

/// The backstop of the text rule (`tallinn_core::text`), which every
/// interface applies with the field's name before calling the store: each
/// backend refuses a statement binding a text it must not store, so that
/// SQLite and PostgreSQL answer alike (PostgreSQL cannot store NUL at all)
/// even for an entry point that forgot. A refused statement is an invalid
/// input, never a database error.
pub fn storable(args: &[Value]) -> Result<(), StoreError> {
    for arg in args {
        if let Value::Text(text) = arg
            && let Some(c) = tallinn_core::text::forbidden_char(text)
        {
            return Err(StoreError::Domain(tallinn_core::DomainError::invalid("text", tallinn_core::text::message(c))));
        }
    }
    Ok(())
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Value::NullInt, Value::Int)
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        v.map_or(Value::NullText, Value::Text)
    }
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        v.map_or(Value::NullText, |s| Value::Text(s.to_string()))
    }
}

/// A typed id is bound as its key (`tallinn_core::id`).
macro_rules! id_values {
    ($($id:ty),*) => {$(
        impl From<$id> for Value {
            fn from(v: $id) -> Self {
                Value::Int(v.key())
            }
        }

        impl From<Option<$id>> for Value {
            fn from(v: Option<$id>) -> Self {
                v.map_or(Value::NullInt, |id| Value::Int(id.key()))
            }
        }
    )*};
}

use tallinn_core::id::*;
id_values!(NeedId, PledgeId, AllocationId, TransactionId, ProjectId, MilestoneId, AgreementId, AnnouncementId, ProposalId);

/// Builds an argument list: `args![id, title, Some(1)]`.
#[macro_export]
macro_rules! args {
    ($($v:expr),* $(,)?) => { vec![$($crate::sql::Value::from($v)),*] };
}

/// One result row: its values and the names of its columns (shared by the
/// rows of one result). Read by name — `row.int("cost_eur_minor")` — so
/// that a column added to a query shifts nothing; by position (`row.int(0)`)
/// only where a result has one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    names: std::sync::Arc<[Box<str>]>,
    values: Vec<Value>,
}

/// How a column is named when a row is read: its name, or (for a
/// one-column result) its position.
pub trait Column: Copy + std::fmt::Display {
    fn position(self, names: &[Box<str>]) -> Option<usize>;
}

impl Column for &str {
    fn position(self, names: &[Box<str>]) -> Option<usize> {
        names.iter().position(|n| **n == *self)
    }
}

impl Column for usize {
    fn position(self, names: &[Box<str>]) -> Option<usize> {
        (self < names.len()).then_some(self)
    }
}

impl Row {
    /// A row of a result whose columns are `names` (as many as `values`).
    pub fn new(names: std::sync::Arc<[Box<str>]>, values: Vec<Value>) -> Row {
        debug_assert_eq!(names.len(), values.len());
        Row { names, values }
    }

    /// The values, in the order of the query's columns.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    pub fn names(&self) -> &[Box<str>] {
        &self.names
    }

    /// The columns `range` of the row, as a row of their own (one table's
    /// columns out of a join).
    pub fn slice(&self, range: std::ops::Range<usize>) -> Row {
        Row { names: self.names[range.clone()].into(), values: self.values[range].to_vec() }
    }

    fn value(&self, column: impl Column) -> Result<&Value, StoreError> {
        column.position(&self.names).and_then(|i| self.values.get(i)).ok_or_else(|| StoreError::Corrupt(format!("the result has no column {column}")))
    }

    pub fn int(&self, column: impl Column) -> Result<i64, StoreError> {
        match self.value(column)? {
            Value::Int(v) => Ok(*v),
            other => Err(StoreError::Corrupt(format!("column {column}: expected an integer, found {other:?}"))),
        }
    }

    pub fn opt_int(&self, column: impl Column) -> Result<Option<i64>, StoreError> {
        if self.value(column)?.is_null() { Ok(None) } else { self.int(column).map(Some) }
    }

    pub fn text(&self, column: impl Column) -> Result<String, StoreError> {
        match self.value(column)? {
            Value::Text(v) => Ok(v.clone()),
            other => Err(StoreError::Corrupt(format!("column {column}: expected text, found {other:?}"))),
        }
    }

    pub fn opt_text(&self, column: impl Column) -> Result<Option<String>, StoreError> {
        if self.value(column)?.is_null() { Ok(None) } else { self.text(column).map(Some) }
    }

    /// A key column as the typed id of its records.
    pub fn id<T: TypedId>(&self, column: impl Column) -> Result<T, StoreError> {
        self.int(column).map(T::from_key)
    }

    pub fn opt_id<T: TypedId>(&self, column: impl Column) -> Result<Option<T>, StoreError> {
        Ok(self.opt_int(column)?.map(T::from_key))
    }

    /// SQLite has no boolean type and answers 0/1.
    pub fn bool(&self, column: impl Column) -> Result<bool, StoreError> {
        match self.value(column)? {
            Value::Bool(v) => Ok(*v),
            Value::Int(v) => Ok(*v != 0),
            other => Err(StoreError::Corrupt(format!("column {column}: expected a boolean, found {other:?}"))),
        }
    }

    /// Parses a text column with `FromStr` (vocabulary words, dates, decimals).
    pub fn parse<T>(&self, column: impl Column) -> Result<T, StoreError>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        let text = self.text(column)?;
        text.parse().map_err(|e| StoreError::Corrupt(format!("column {column}: '{text}': {e}")))
    }

    pub fn opt_parse<T>(&self, column: impl Column) -> Result<Option<T>, StoreError>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        if self.value(column)?.is_null() { Ok(None) } else { self.parse(column).map(Some) }
    }

    /// Decodes a JSON text column.
    pub fn json<T: serde::de::DeserializeOwned>(&self, column: impl Column) -> Result<T, StoreError> {
        let text = self.text(column)?;
        serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("column {column}: bad JSON: {e}")))
    }
}

/// What differs between the SQL of the two databases at run time.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    /// Appended to a `SELECT` that reads rows the transaction will update:
    /// ` FOR UPDATE` on PostgreSQL; empty on SQLite, whose write transactions
    /// (`BEGIN IMMEDIATE`) already hold the database's single write lock.
    pub lock_rows: &'static str,
    /// The most parameters one statement may carry (multi-row inserts).
    pub max_params: usize,
    /// Lists the columns of table `$1`, in order: `name` and (declared) `type`.
    pub columns_of: &'static str,
    /// Lists the store's tables.
    pub tables: &'static str,
    /// Moves the generator of table `$1`'s column `$2` past `$3`, after rows
    /// were inserted with their own keys (an export read back); `None`
    /// where the next key already follows the largest (SQLite's rowid).
    pub set_identity: Option<&'static str>,
    /// How many write transactions are worth running at once: 1 on SQLite,
    /// whose writers take turns at its one write lock (more only contend
    /// for it); several on PostgreSQL, which commits them in parallel.
    pub parallel_writes: usize,
}

/// An open transaction. Dropping it without `commit` rolls it back.
#[async_trait]
pub trait Connection: Send {
    async fn execute(&mut self, sql: &str, args: Vec<Value>) -> Result<u64, StoreError>;
    async fn fetch(&mut self, sql: &str, args: Vec<Value>) -> Result<Vec<Row>, StoreError>;
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
    async fn rollback(self: Box<Self>) -> Result<(), StoreError>;
}

/// A database the ledger can run on.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn name(&self) -> &'static str;
    fn dialect(&self) -> Dialect;
    /// Applies pending migrations (safe to run from several processes at once).
    async fn migrate(&self) -> Result<(), StoreError>;
    /// Are all migrations applied?
    async fn is_current(&self) -> Result<bool, StoreError>;
    /// Whether the store was opened read-only on purpose (a backup, a
    /// snapshot, `serve --read-only`): its refused writes are expected.
    fn is_read_only(&self) -> bool {
        false
    }
    /// Starts a write transaction.
    async fn begin_write(&self) -> Result<Box<dyn Connection>, StoreError>;
    /// Starts a read-only transaction that sees one consistent snapshot.
    async fn begin_read(&self) -> Result<Box<dyn Connection>, StoreError>;
    /// Runs one read statement on its own, outside any explicit transaction
    /// (it sees what is committed when it runs). A single statement needs no
    /// BEGIN and ROLLBACK around it: on PostgreSQL that is two round trips
    /// of the three, on every authenticated request.
    async fn fetch_alone(&self, sql: &str, args: Vec<Value>) -> Result<Vec<Row>, StoreError> {
        let mut conn = self.begin_read().await?;
        let rows = conn.fetch(sql, args).await;
        let _ = conn.rollback().await;
        rows
    }
    /// Runs one write statement on its own: atomic, and durable when it
    /// returns, like a transaction of one statement.
    async fn execute_alone(&self, sql: &str, args: Vec<Value>) -> Result<u64, StoreError> {
        let mut conn = self.begin_write().await?;
        match conn.execute(sql, args).await {
            Ok(n) => conn.commit().await.map(|()| n),
            Err(e) => {
                let _ = conn.rollback().await;
                Err(e)
            }
        }
    }
    /// Writes a consistent copy of the whole store to `target`, an empty
    /// file, while it is in use (SQLite: `VACUUM INTO`, itself a store).
    async fn backup_to(&self, _target: &std::path::Path) -> Result<(), StoreError> {
        Err(StoreError::Domain(tallinn_core::DomainError::invalid(
            "database",
            format!("the {} store is backed up as an export archive (tallinn export; see docs/operations.md)", self.name()),
        )))
    }
    /// Brings the query planner's statistics of `table` up to date, where
    /// the database keeps them apart from the data (PostgreSQL; a no-op
    /// elsewhere). See `tallinn_ledger::statistics`.
    async fn refresh_statistics(&self, _table: &str) -> Result<(), StoreError> {
        Ok(())
    }
    async fn close(&self);
}

/// Reads one row, or `None`.
pub async fn fetch_optional(conn: &mut dyn Connection, sql: &str, args: Vec<Value>) -> Result<Option<Row>, StoreError> {
    Ok(conn.fetch(sql, args).await?.into_iter().next())
}

/// Reads exactly one row.
pub async fn fetch_one(conn: &mut dyn Connection, sql: &str, args: Vec<Value>) -> Result<Row, StoreError> {
    fetch_optional(conn, sql, args).await?.ok_or_else(|| StoreError::Corrupt(format!("no row for: {sql}")))
}

/// Inserts `rows` into `table` with as few statements as the dialect's
/// parameter limit allows. All rows must have `columns.len()` values.
pub async fn insert_many(
    conn: &mut dyn Connection,
    dialect: Dialect,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    progress: impl FnMut(u64),
) -> Result<(), StoreError> {
    insert_batches(conn, dialect, table, columns, rows, None, progress).await.map(drop)
}

/// [`insert_many`], answering `returning` (a list of SQL expressions over the
/// new rows) for every inserted row, in no particular order.
pub async fn insert_many_returning(
    conn: &mut dyn Connection,
    dialect: Dialect,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    returning: &str,
    progress: impl FnMut(u64),
) -> Result<Vec<Row>, StoreError> {
    insert_batches(conn, dialect, table, columns, rows, Some(returning), progress).await
}

/// How many rows one INSERT of `columns` carries.
pub fn rows_per_insert(dialect: Dialect, columns: &[&str]) -> usize {
    (dialect.max_params / columns.len()).clamp(1, 1000)
}

/// One multi-row INSERT of `rows` (at most [`rows_per_insert`]).
pub fn insert_statement(table: &str, columns: &[&str], rows: Vec<Vec<Value>>) -> (String, Vec<Value>) {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut args = Vec::with_capacity(rows.len() * columns.len());
    for (r, row) in rows.into_iter().enumerate() {
        debug_assert_eq!(row.len(), columns.len());
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..row.len() {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", args.len() + c + 1));
        }
        sql.push(')');
        args.extend(row);
    }
    (sql, args)
}

async fn insert_batches(
    conn: &mut dyn Connection,
    dialect: Dialect,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    returning: Option<&str>,
    mut progress: impl FnMut(u64),
) -> Result<Vec<Row>, StoreError> {
    let per_statement = rows_per_insert(dialect, columns);
    let mut returned = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
        let (sql, args) = insert_statement(table, columns, chunk);
        let count = (args.len() / columns.len()) as u64;
        match returning {
            Some(expressions) => returned.extend(conn.fetch(&format!("{sql} RETURNING {expressions}"), args).await?),
            None => drop(conn.execute(&sql, args).await?),
        }
        progress(count);
    }
    Ok(returned)
}
