//! Keeping the query planner's statistics current on tables that grow in
//! bulk.
//!
//! PostgreSQL plans from statistics it gathers apart from the data, by
//! autovacuum or `ANALYZE`. Where autovacuum is off, or has not yet come
//! round after a large upload, a table that grew from nothing is planned as
//! if it were still nearly empty: the first TAXII page of a 20,000-object
//! collection sorted every object (17 ms, 129 requests/s) instead of reading
//! 100 from the `(collection, date_added)` index (0.1 ms). So the ledger
//! asks the backend to refresh a table's statistics once it has grown by a
//! tenth (and at least `MIN_GROWTH` rows) since the last time, and the
//! PostgreSQL backend analyses never-analysed tables when it starts.

use std::collections::HashMap;
use std::sync::Mutex;

/// Rows a table grows by before its statistics are refreshed, at least.
const MIN_GROWTH: u64 = 1_000;

/// Rows added per table since its statistics were last refreshed.
#[derive(Default)]
pub(crate) struct Growth {
    tables: Mutex<HashMap<&'static str, (u64, u64)>>,
}

impl Growth {
    /// Records `rows` added to `table`; true when its statistics are due.
    pub(crate) fn grew(&self, table: &'static str, rows: u64) -> bool {
        // A poisoned lock only means another thread panicked mid-count.
        let mut tables = self.tables.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (since, at_last) = tables.entry(table).or_default();
        *since += rows;
        if *since >= MIN_GROWTH.max(*at_last / 10) {
            *at_last += *since;
            *since = 0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_after_a_thousand_rows_then_after_each_tenth() {
        let growth = Growth::default();
        assert!(!growth.grew("t", 999));
        assert!(growth.grew("t", 1));
        // 1,000 known: due again at 1,000 more; at 100,000 known, at 10,000.
        assert!(!growth.grew("t", 999));
        assert!(growth.grew("t", 1));
        assert!(growth.grew("t", 98_000));
        assert!(!growth.grew("t", 9_999));
        assert!(growth.grew("t", 1));
        assert!(growth.grew("u", 1_000), "tables are counted apart");
    }
}
