//! Running one statement of the shared SQL on a SQLite connection: the
//! parameter rewrite, binding the seam's values, decoding rows, and mapping
//! errors.

use std::borrow::Cow;

use rusqlite::ffi;
use rusqlite::types::{Null, ValueRef};
use tallinn_store::sql::{Row, Value};
use tallinn_store::{Result, StoreError};

/// Runs a statement that changes rows; returns how many it changed. Any
/// rows the statement yields are stepped through and dropped, so the
/// statement runs to completion whatever its kind.
pub(crate) fn execute(conn: &rusqlite::Connection, sql: &str, args: &[Value]) -> Result<u64> {
    let mut statement = prepare(conn, sql, args)?;
    let mut rows = statement.raw_query();
    while rows.next().map_err(map_error)?.is_some() {}
    Ok(conn.changes())
}

/// Runs a query and reads every row it yields.
pub(crate) fn fetch(conn: &rusqlite::Connection, sql: &str, args: &[Value]) -> Result<Vec<Row>> {
    let mut statement = prepare(conn, sql, args)?;
    let columns = statement.column_count();
    let names: std::sync::Arc<[Box<str>]> = statement.column_names().into_iter().map(Box::from).collect();
    let mut rows = statement.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(map_error)? {
        let mut values = Vec::with_capacity(columns);
        for (i, name) in names.iter().enumerate() {
            values.push(decode(row.get_ref(i).map_err(map_error)?, name)?);
        }
        out.push(Row::new(names.clone(), values));
    }
    Ok(out)
}

/// Prepares (through the connection's statement cache) and binds.
fn prepare<'c>(conn: &'c rusqlite::Connection, sql: &str, args: &[Value]) -> Result<rusqlite::CachedStatement<'c>> {
    let sql = sqlite_parameters(sql);
    let mut statement = conn.prepare_cached(&sql).map_err(map_error)?;
    if statement.parameter_count() != args.len() {
        return Err(StoreError::Database(format!("the statement takes {} parameters, {} given: {sql}", statement.parameter_count(), args.len())));
    }
    for (i, value) in args.iter().enumerate() {
        // `?` parameters count from 1 in order; `?n` is parameter n: either
        // way the seam's `$n` is index n.
        let index = i + 1;
        let bound = match value {
            Value::NullInt | Value::NullText => statement.raw_bind_parameter(index, Null),
            Value::Int(v) => statement.raw_bind_parameter(index, v),
            Value::Text(v) => statement.raw_bind_parameter(index, v.as_str()),
            Value::Bool(v) => statement.raw_bind_parameter(index, i64::from(*v)),
        };
        bound.map_err(map_error)?;
    }
    Ok(statement)
}

/// Decodes by the value's storage class (booleans are stored as 0/1).
fn decode(value: ValueRef<'_>, column: &str) -> Result<Value> {
    match value {
        ValueRef::Null => Ok(Value::NullText),
        ValueRef::Integer(v) => Ok(Value::Int(v)),
        ValueRef::Text(bytes) => {
            String::from_utf8(bytes.to_vec()).map(Value::Text).map_err(|_| StoreError::Corrupt(format!("column {column}: text that is not UTF-8")))
        }
        ValueRef::Real(_) => Err(StoreError::Corrupt(format!("column {column}: unexpected SQLite type REAL"))),
        ValueRef::Blob(_) => Err(StoreError::Corrupt(format!("column {column}: unexpected SQLite type BLOB"))),
    }
}

/// Constraint violations by kind (never by constraint name); a full disk, a
/// read-only file or one that cannot be opened makes the store unavailable;
/// every other failure — a trigger's `RAISE(ABORT, ...)` included — is a
/// database error.
pub(crate) fn map_error(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, message) = &e {
        let constraint = matches!(
            failure.extended_code,
            ffi::SQLITE_CONSTRAINT_UNIQUE
                | ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                | ffi::SQLITE_CONSTRAINT_FOREIGNKEY
                | ffi::SQLITE_CONSTRAINT_NOTNULL
                | ffi::SQLITE_CONSTRAINT_CHECK
        );
        if constraint {
            return StoreError::Constraint(message.clone().unwrap_or_else(|| e.to_string()));
        }
        // The words "out of space" and "read-only" tell the availability
        // guard that writes, not reads, are refused.
        match failure.code {
            rusqlite::ErrorCode::DiskFull => return StoreError::Unavailable(format!("out of space: {e}")),
            rusqlite::ErrorCode::ReadOnly => return StoreError::Unavailable(format!("the database is read-only: {e}")),
            rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::SystemIoFailure => {
                return StoreError::Unavailable(format!("cannot reach the database file: {e}"));
            }
            _ => {}
        }
    }
    StoreError::Database(e.to_string())
}

/// Rewrites the shared SQL's `$n` parameters for SQLite. SQLite keeps
/// named and numbered parameters (`$n`, `?n`) in a list that its parser
/// searches linearly, so a multi-row insert with thousands of parameters
/// costs quadratic time. Anonymous `?` parameters are not in that list: when
/// a statement uses `$1, $2, ... $k` once each in order (every bulk insert
/// does), they become `?`; otherwise `?n`. Text inside single-quoted
/// literals is left alone.
pub(crate) fn sqlite_parameters(sql: &str) -> Cow<'_, str> {
    if !sql.contains('$') {
        return Cow::Borrowed(sql);
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
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_parameters_outside_literals() {
        assert_eq!(sqlite_parameters("SELECT 1"), "SELECT 1");
        assert_eq!(sqlite_parameters("INSERT INTO t VALUES ($1, $2), ($3, '$9 stays')"), "INSERT INTO t VALUES (?, ?), (?, '$9 stays')");
        assert_eq!(sqlite_parameters("SELECT * FROM t WHERE ($1 = '' OR a = $1) AND b = $2"), "SELECT * FROM t WHERE (?1 = '' OR a = ?1) AND b = ?2");
        assert_eq!(sqlite_parameters("SELECT '$' || $1 || $10"), "SELECT '$' || ?1 || ?10");
    }

    fn memory() -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, flag BOOLEAN, note TEXT, x REAL)").unwrap();
        conn
    }

    #[test]
    fn binds_and_decodes_the_four_value_types() {
        let conn = memory();
        let args = vec![Value::Int(7), Value::Text("é".into()), Value::Bool(true), Value::NullText];
        assert_eq!(execute(&conn, "INSERT INTO t (id, name, flag, note) VALUES ($1, $2, $3, $4)", &args).unwrap(), 1);
        let rows = fetch(&conn, "SELECT id, name, flag, note FROM t WHERE id = $1 AND name = $2", &[Value::Int(7), "é".into()]).unwrap();
        assert_eq!(rows[0].values(), [Value::Int(7), Value::Text("é".into()), Value::Int(1), Value::NullText]);
        assert!(rows[0].bool("flag").unwrap());
        assert_eq!((rows[0].text("name").unwrap(), rows[0].opt_text("note").unwrap()), ("é".to_string(), None));
        // A column the query does not have is named in the error.
        assert!(rows[0].int("missing").unwrap_err().to_string().contains("the result has no column missing"));
        // A repeated parameter binds once.
        let rows = fetch(&conn, "SELECT COUNT(*) FROM t WHERE ($1 = 0 OR id = $1) AND name = $2", &[Value::Int(7), "é".into()]).unwrap();
        assert_eq!(rows[0].int(0).unwrap(), 1);
    }

    #[test]
    fn refuses_what_the_seam_does_not_carry() {
        let conn = memory();
        execute(&conn, "INSERT INTO t (id, name, x) VALUES (1, 'a', 1.5)", &[]).unwrap();
        let refused = fetch(&conn, "SELECT x FROM t", &[]).unwrap_err();
        assert!(matches!(refused, StoreError::Corrupt(ref m) if m.contains("column x") && m.contains("REAL")), "{refused}");
        let refused = fetch(&conn, "SELECT id FROM t WHERE id = $1", &[]).unwrap_err();
        assert!(refused.to_string().contains("takes 1 parameters, 0 given"), "{refused}");
    }

    #[test]
    fn maps_constraints_by_kind_and_triggers_as_database_errors() {
        let conn = memory();
        execute(&conn, "INSERT INTO t (id, name) VALUES (1, 'a')", &[]).unwrap();
        let unique = execute(&conn, "INSERT INTO t (id, name) VALUES (2, 'a')", &[]).unwrap_err();
        assert!(matches!(unique, StoreError::Constraint(ref m) if m.contains("UNIQUE constraint failed: t.name")), "{unique}");
        let not_null = execute(&conn, "INSERT INTO t (id, name) VALUES (3, NULL)", &[]).unwrap_err();
        assert!(matches!(not_null, StoreError::Constraint(_)), "{not_null}");
        conn.execute_batch("CREATE TRIGGER keep BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 'append-only'); END").unwrap();
        let raised = execute(&conn, "DELETE FROM t", &[]).unwrap_err();
        assert!(matches!(raised, StoreError::Database(ref m) if m.contains("append-only")), "{raised}");
    }

    #[test]
    fn execute_runs_a_statement_that_yields_rows() {
        let conn = memory();
        assert_eq!(execute(&conn, "INSERT INTO t (id, name) VALUES (1, 'a') RETURNING id", &[]).unwrap(), 1);
        assert_eq!(fetch(&conn, "SELECT COUNT(*) FROM t", &[]).unwrap()[0].int(0).unwrap(), 1);
    }
}
