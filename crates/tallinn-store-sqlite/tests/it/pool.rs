//! What the SQLite backend's pool must keep whatever its callers do: a
//! transaction dropped, abandoned mid-statement or left without commit gives
//! its connection back, rolled back, and never holds the write lock.

use std::time::Duration;

use tallinn_ledger::sql::{Backend, Value};
use tallinn_store_sqlite::SqliteBackend;

async fn backend() -> (SqliteBackend, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = SqliteBackend::connect(&format!("sqlite://{}", dir.path().join("pool.db").display())).await.expect("open");
    backend.migrate().await.expect("migrate");
    let mut tx = backend.begin_write().await.unwrap();
    tx.execute("CREATE TABLE probe (n INTEGER NOT NULL)", vec![]).await.unwrap();
    tx.commit().await.unwrap();
    (backend, dir)
}

async fn count(backend: &SqliteBackend) -> i64 {
    let mut tx = backend.begin_read().await.unwrap();
    let n = tx.fetch("SELECT COUNT(*) FROM probe", vec![]).await.unwrap()[0].int(0).unwrap();
    tx.rollback().await.unwrap();
    n
}

/// Far more transactions than the pool has connections: if any of them kept
/// its connection (or its permit), the loop would wait forever.
#[tokio::test]
async fn dropped_transactions_give_their_connections_back() {
    let (backend, _dir) = backend().await;
    let run = async {
        for n in 0..40_i64 {
            let mut read = backend.begin_read().await.unwrap();
            read.fetch("SELECT COUNT(*) FROM probe", vec![]).await.unwrap();
            drop(read);
            let mut write = backend.begin_write().await.unwrap();
            write.execute("INSERT INTO probe (n) VALUES ($1)", vec![Value::Int(n)]).await.unwrap();
            // Dropped without commit: rolled back, and the write lock freed
            // for the next iteration's writer.
            drop(write);
        }
    };
    tokio::time::timeout(Duration::from_secs(20), run).await.expect("no connection or lock was kept");
    assert_eq!(count(&backend).await, 0, "dropped writes were rolled back");
}

#[tokio::test]
async fn a_statement_abandoned_midway_leaves_the_pool_whole() {
    let (backend, _dir) = backend().await;
    let mut abandoned = 0;
    for _ in 0..20 {
        let mut write = backend.begin_write().await.unwrap();
        // A long statement whose caller stops waiting (a client that went away).
        let slow =
            write.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) INSERT INTO probe (n) SELECT x FROM c", vec![]);
        abandoned += usize::from(tokio::time::timeout(Duration::from_micros(50), slow).await.is_err());
        drop(write);
    }
    assert!(abandoned > 0, "the statements finished before their callers stopped waiting: the test tested nothing");
    // Every connection can be taken at once, and a writer gets the lock.
    let mut readers = Vec::new();
    for _ in 0..8 {
        let mut read = backend.begin_read().await.unwrap();
        read.fetch("SELECT 1", vec![]).await.unwrap();
        readers.push(read);
    }
    drop(readers);
    let mut write = tokio::time::timeout(Duration::from_secs(20), backend.begin_write()).await.expect("the write lock is free").unwrap();
    write.execute("INSERT INTO probe (n) VALUES (1)", vec![]).await.unwrap();
    write.commit().await.unwrap();
    assert_eq!(count(&backend).await, 1, "nothing of the abandoned statements was committed");
}

#[tokio::test]
async fn a_closed_store_refuses_new_transactions() {
    let (backend, _dir) = backend().await;
    backend.close().await;
    let Err(refused) = backend.begin_read().await else { panic!("a closed store began a transaction") };
    assert!(refused.to_string().contains("the store is closed"), "{refused}");
}

#[tokio::test]
async fn is_current_reads_the_migration_history() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = SqliteBackend::connect(&format!("sqlite://{}", dir.path().join("fresh.db").display())).await.expect("open");
    assert!(!backend.is_current().await.unwrap(), "a new file has no migrations");
    backend.migrate().await.unwrap();
    assert!(backend.is_current().await.unwrap());
}
