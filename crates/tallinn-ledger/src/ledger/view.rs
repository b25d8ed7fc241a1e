//! What a reader is shown, and the access log written by the reads that
//! show it.
//!
//! A [`View`] is one reader served through one interface
//! (`ledger.view(&who, Via::Web)`). Its reads are the ones whose records
//! reach a person: a need's page, a list page, a report's named gaps, a
//! TAXII page, the sightings and indicators the exchange lists. Each writes
//! its AMBER and RED records to the access log before it returns them,
//! so no interface can show a confidential record and forget to log it,
//! and none logs a record it did not show: searching, sorting and paging
//! happen here, before the log, not in the caller.
//!
//! The [`Ledger`]'s own reads (`Ledger::need`, `Ledger::needs`, …) serve
//! decisions — a permission, a count, a form's choices — and are not
//! logged.

use tallinn_allocate::dedup::DuplicatePair;
use tallinn_allocate::gaps::{GapBy, GapRow};
use tallinn_core::need::{Need, NeedRelation, NeedTransition};
use tallinn_core::pledge::{Pledge, PledgeStatus};
use tallinn_core::policy::{Principal, Tlp};
use tallinn_core::review::Review;
use tallinn_core::{NeedId, PledgeId};
use tallinn_report::Facts;

use super::Ledger;
use super::access::{AccessRead, Via};
use super::deconfliction::Duplicates;
use super::needs::{NeedDetails, NeedFilter};
use super::taxii::{Collection, ObjectCount, ObjectQuery, Page, StoredObject};
use crate::StoreError;
use crate::error::Result;

/// One page of a keyset-paged list: the items after the one keyed `after`,
/// by key, newest (highest key) first unless `oldest_first`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyset {
    pub after: Option<i64>,
    pub limit: usize,
    pub oldest_first: bool,
}

/// The page of `items` that `page` asks for, and the key to continue from
/// when more follow. Keys are unique; `items` may come in any order.
pub fn keyset_page<T>(mut items: Vec<T>, key: impl Fn(&T) -> i64, page: &Keyset) -> (Vec<T>, Option<i64>) {
    if page.oldest_first {
        items.sort_by_key(|t| key(t));
    } else {
        items.sort_by_key(|t| std::cmp::Reverse(key(t)));
    }
    let mut rest: Vec<T> = items
        .into_iter()
        .filter(|t| match page.after {
            None => true,
            Some(a) if page.oldest_first => key(t) > a,
            Some(a) => key(t) < a,
        })
        .collect();
    let limit = page.limit.max(1);
    let next = (rest.len() > limit).then(|| key(&rest[limit - 1]));
    rest.truncate(limit);
    (rest, next)
}

/// The orders the need catalogue offers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NeedOrder {
    /// Newest first (by id).
    #[default]
    Newest,
    Oldest,
    /// Most urgent first.
    Urgency,
    /// Nearest deadline first; needs without one last.
    Deadline,
    /// Most expensive first.
    Cost,
    /// Largest unfunded remainder first.
    Remainder,
}

impl NeedOrder {
    /// Every order, by the name the web's query string uses.
    pub const ALL: &[(&str, NeedOrder)] = &[
        ("newest", NeedOrder::Newest),
        ("oldest", NeedOrder::Oldest),
        ("urgency", NeedOrder::Urgency),
        ("deadline", NeedOrder::Deadline),
        ("cost", NeedOrder::Cost),
        ("remainder", NeedOrder::Remainder),
    ];

    pub fn named(name: &str) -> Option<NeedOrder> {
        NeedOrder::ALL.iter().find(|(n, _)| *n == name).map(|(_, o)| *o)
    }

    /// Sorts `needs`; ties (and the id order itself) newest first.
    fn sort(self, needs: &mut [Need]) {
        use std::cmp::Reverse;
        let key = |n: &Need| n.id.key();
        match self {
            NeedOrder::Newest => needs.sort_by_key(|n| Reverse(key(n))),
            NeedOrder::Oldest => needs.sort_by_key(key),
            NeedOrder::Urgency => needs.sort_by_key(|n| (Reverse(n.urgency.default_weight()), Reverse(key(n)))),
            NeedOrder::Deadline => needs.sort_by_key(|n| (n.deadline.is_none(), n.deadline, Reverse(key(n)))),
            NeedOrder::Cost => needs.sort_by_key(|n| (Reverse(n.cost_eur_minor), Reverse(key(n)))),
            NeedOrder::Remainder => needs.sort_by_key(|n| (Reverse(n.remainder_eur_minor()), Reverse(key(n)))),
        }
    }
}

/// A search of the need catalogue, shown a numbered page at a time.
#[derive(Debug, Clone, Default)]
pub struct NeedSearch {
    /// Words to find: the need's id, a tag, or text in its title or
    /// description (case-insensitive). Blank finds everything.
    pub text: String,
    pub order: NeedOrder,
    /// From 1.
    pub page: usize,
    pub page_size: usize,
}

/// One numbered page of a list, and how many items the whole list holds.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub total: usize,
}

/// Whether a need answers a catalogue search.
fn found(need: &Need, text: &str) -> bool {
    need.id.to_string().to_lowercase() == text
        || need.title.to_lowercase().contains(text)
        || need.description.to_lowercase().contains(text)
        || need.tags.iter().any(|t| t.to_lowercase() == text)
}

/// One reader served through one interface; see the module's documentation.
#[derive(Clone, Copy)]
pub struct View<'a> {
    ledger: &'a Ledger,
    reader: &'a Principal,
    via: Via,
}

impl Ledger {
    /// What `reader` is shown through `via`: reads that write their AMBER and
    /// RED records to the access log.
    pub fn view<'a>(&'a self, reader: &'a Principal, via: Via) -> View<'a> {
        View { ledger: self, reader, via }
    }
}

impl View<'_> {
    pub fn reader(&self) -> &Principal {
        self.reader
    }

    /// Writes the shown records of logged levels to the access log. TAXII
    /// reads may be buffered (`AccessLogger::buffered`); every other waits for
    /// its commit. On a store opened read-only the command line goes on and
    /// counts what it could not log (`Ledger::unlogged_reads`); every other
    /// interface refuses the read (ADR 0020).
    async fn shown(&self, entity: &str, records: impl IntoIterator<Item = (String, Tlp)>) -> Result<()> {
        let reads: Vec<AccessRead> = records
            .into_iter()
            .filter(|(_, tlp)| tlp.is_logged_on_read())
            .map(|(id, tlp)| AccessRead { actor: self.reader.actor(), via: self.via, entity: entity.to_string(), id, tlp })
            .collect();
        if reads.is_empty() {
            return Ok(());
        }
        let count = reads.len();
        match self.ledger.access_log.log(self.ledger, reads, self.via == Via::Taxii).await {
            Err(StoreError::Unavailable(reason)) if self.via == Via::Cli && self.ledger.backend().is_read_only() && reason.contains("read-only") => {
                self.ledger.unlogged_reads.fetch_add(count, std::sync::atomic::Ordering::Relaxed);
                Ok(())
            }
            other => other,
        }
    }

    async fn shown_needs<'n>(&self, needs: impl IntoIterator<Item = &'n Need>) -> Result<()> {
        self.shown("need", needs.into_iter().map(|n| (n.id.to_string(), n.tlp))).await
    }

    async fn shown_pledges<'p>(&self, pledges: impl IntoIterator<Item = &'p Pledge>) -> Result<()> {
        self.shown("pledge", pledges.into_iter().map(|p| (p.id.to_string(), p.tlp))).await
    }

    async fn shown_objects<'o>(&self, objects: impl IntoIterator<Item = &'o StoredObject>) -> Result<()> {
        self.shown("stix", objects.into_iter().map(|o| (o.id.clone(), o.tlp))).await
    }

    pub async fn need(&self, id: NeedId) -> Result<Need> {
        let need = self.ledger.need(self.reader, id).await?;
        self.shown_needs([&need]).await?;
        Ok(need)
    }

    /// A need with its history, reviews and relations, read at one moment.
    pub async fn need_details(&self, id: NeedId) -> Result<NeedDetails> {
        let details = self.ledger.need_details(self.reader, id).await?;
        self.shown_needs([&details.need]).await?;
        Ok(details)
    }

    /// The stamped lifecycle of a need, oldest first.
    pub async fn need_history(&self, id: NeedId) -> Result<Vec<NeedTransition>> {
        Ok(self.need_details(id).await?.history)
    }

    pub async fn need_reviews(&self, id: NeedId) -> Result<Vec<Review>> {
        Ok(self.need_details(id).await?.reviews)
    }

    pub async fn need_relations(&self, id: NeedId) -> Result<Vec<NeedRelation>> {
        Ok(self.need_details(id).await?.relations)
    }

    /// Every need of `filter` the reader may see, newest first.
    pub async fn needs(&self, filter: &NeedFilter) -> Result<Vec<Need>> {
        let needs = self.ledger.needs(self.reader, filter).await?;
        self.shown_needs(&needs).await?;
        Ok(needs)
    }

    /// A keyset page of the needs of `filter` (served from the snapshot), and
    /// the key to continue from.
    pub async fn needs_page(&self, filter: &NeedFilter, page: &Keyset) -> Result<(Vec<Need>, Option<i64>)> {
        let (needs, next) = self.ledger.needs_page(self.reader, filter, page.after, page.limit, page.oldest_first).await?;
        self.shown_needs(&needs).await?;
        Ok((needs, next))
    }

    /// One numbered page of the needs of `filter` that answer `search`, in
    /// its order; only that page is shown (and logged).
    pub async fn needs_search(&self, filter: &NeedFilter, search: &NeedSearch) -> Result<Listed<Need>> {
        let mut needs = self.ledger.needs(self.reader, filter).await?;
        let text = search.text.trim().to_lowercase();
        if !text.is_empty() {
            needs.retain(|n| found(n, &text));
        }
        search.order.sort(&mut needs);
        let total = needs.len();
        let size = search.page_size.max(1);
        let items: Vec<Need> = needs.into_iter().skip(search.page.saturating_sub(1).saturating_mul(size)).take(size).collect();
        self.shown_needs(&items).await?;
        Ok(Listed { items, total })
    }

    pub async fn pledge(&self, id: PledgeId) -> Result<Pledge> {
        let pledge = self.ledger.pledge(self.reader, id).await?;
        self.shown_pledges([&pledge]).await?;
        Ok(pledge)
    }

    /// Every pledge the reader may see (of `donor`, in `status`), newest
    /// first.
    pub async fn pledges(&self, donor: Option<&str>, status: Option<PledgeStatus>) -> Result<Vec<Pledge>> {
        let pledges = self.ledger.pledges(self.reader, donor, status).await?;
        self.shown_pledges(&pledges).await?;
        Ok(pledges)
    }

    /// A keyset page of those pledges, and the key to continue from.
    pub async fn pledges_page(&self, donor: Option<&str>, status: Option<PledgeStatus>, page: &Keyset) -> Result<(Vec<Pledge>, Option<i64>)> {
        let pledges = self.ledger.pledges(self.reader, donor, status).await?;
        let (pledges, next) = keyset_page(pledges, |p| p.id.key(), page);
        self.shown_pledges(&pledges).await?;
        Ok((pledges, next))
    }

    /// The reader's report facts. A report names needs only in its list of
    /// largest gaps (`tallinn_report::overview::TOP_GAPS` of them): those are
    /// logged. (Tables of totals name no record: `Ledger::report_facts`.)
    pub async fn report_facts(&self) -> Result<Facts> {
        let facts = self.ledger.report_facts(self.reader).await?;
        let gaps = tallinn_report::coverage::gaps(&facts, tallinn_report::overview::TOP_GAPS);
        let named = facts.logged_reads(gaps.top.iter().map(|g| g.id.as_str()));
        self.shown("need", named.into_iter().map(|(_, id, tlp)| (id.to_string(), tlp))).await?;
        Ok(facts)
    }

    /// The unfunded gap ranked `by` need or group. Each row names needs (the
    /// need itself, or the group's most urgent one): those are shown.
    pub async fn gaps(&self, by: GapBy) -> Result<Vec<GapRow>> {
        let (rows, levels) = self.ledger.gaps(self.reader, by).await?;
        let named = rows.iter().flat_map(|r| [r.top_need.as_str(), r.group.as_str()]).filter_map(|id| levels.get(id).map(|tlp| (id.to_string(), *tlp)));
        self.shown("need", named.collect::<std::collections::BTreeMap<_, _>>()).await?;
        Ok(rows)
    }

    /// Likely duplicate needs and overlapping pledges: each pair shows both
    /// records (their ids, and evidence drawn from their text).
    pub async fn duplicates(&self, threshold: f64) -> Result<Duplicates> {
        let (found, levels) = self.ledger.duplicates(self.reader, threshold).await?;
        let named = |pairs: &[DuplicatePair]| -> std::collections::BTreeMap<String, Tlp> {
            pairs.iter().flat_map(|p| [&p.a, &p.b]).filter_map(|id| levels.get(id).map(|tlp| (id.clone(), *tlp))).collect()
        };
        self.shown("need", named(&found.needs)).await?;
        self.shown("pledge", named(&found.pledges)).await?;
        Ok(found)
    }

    /// A page of a collection's objects (TAXII's objects, object, versions and
    /// manifest endpoints): every object on it is logged, with or without
    /// its body.
    pub async fn stix_objects(&self, collection: &str, q: &ObjectQuery, object: Option<&str>, with_body: bool) -> Result<(Collection, Page)> {
        let (collection, page) = self.ledger.stix_objects(self.reader, collection, q, object, with_body).await?;
        self.shown_objects(&page.items).await?;
        Ok((collection, page))
    }

    /// What a collection holds (counted by type and TLP: no object named) and
    /// its `recent` newest objects of `recent_type`, which are shown.
    pub async fn stix_overview(&self, collection: &str, recent_type: &str, recent: usize) -> Result<(Collection, Vec<ObjectCount>, Vec<StoredObject>)> {
        let (collection, counts, objects) = self.ledger.stix_overview(self.reader, collection, recent_type, recent).await?;
        self.shown_objects(&objects).await?;
        Ok((collection, counts, objects))
    }

    /// At most `max` indicators of a collection whose name or pattern
    /// contains `text` (case-insensitive), newest added last, read through
    /// the same pages as TAXII so the policy decides every row; only those
    /// found are shown.
    pub async fn find_indicators(&self, collection: &str, text: &str, max: usize) -> Result<Vec<StoredObject>> {
        let needle = text.to_lowercase();
        let mut query = ObjectQuery { types: vec!["indicator".into()], limit: 1_000, ..Default::default() };
        let mut found = Vec::new();
        loop {
            let (_, page) = self.ledger.stix_objects(self.reader, collection, &query, None, true).await?;
            let more = page.more;
            let last = page.items.last().map(|o| o.date_added);
            for o in page.items {
                let body: serde_json::Value = o.body.as_deref().and_then(|b| serde_json::from_str(b).ok()).unwrap_or_default();
                let hit = ["name", "pattern"].iter().any(|f| body[f].as_str().is_some_and(|v| v.to_lowercase().contains(&needle)));
                if hit && found.len() < max {
                    found.push(o);
                }
            }
            match last {
                Some(last) if more && found.len() < max => query.after = Some(last),
                _ => break,
            }
        }
        self.shown_objects(&found).await?;
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyset_pages_walk_every_item_once_in_both_orders() {
        let items: Vec<i64> = vec![5, 1, 9, 3, 7];
        for oldest_first in [false, true] {
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let (page, next) = keyset_page(items.clone(), |k| *k, &Keyset { after, limit: 2, oldest_first });
                seen.extend(page);
                match next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
            let mut expected = items.clone();
            expected.sort();
            if !oldest_first {
                expected.reverse();
            }
            assert_eq!(seen, expected);
        }
    }

    #[test]
    fn every_order_has_its_name() {
        for (name, order) in NeedOrder::ALL {
            assert_eq!(NeedOrder::named(name), Some(*order));
        }
        assert_eq!(NeedOrder::named("random"), None);
    }
}
