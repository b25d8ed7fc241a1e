//! The optimisation of docs/product.md: allocation.
//!
//! 1. **Compression.** Needs that every pledge treats alike — same
//!    beneficiary, capability, sector, urgency and threat factor, divisible,
//!    open to every donor, and named by no preference — form one class with their remainders
//!    summed; pledges with the same earmarks and preferences (and the same donor,
//!    where a need restricts its donors) form one class
//!    with their balances summed. Within a class members are interchangeable,
//!    so the class problem has the same optimum.
//!    A pledge admits a need by its cell (beneficiary, capability, sector,
//!    donor restriction) alone, and where no preference applies it scores
//!    the need by its value (weight × threat) alone; so pledges reach need
//!    classes through hubs at no cost (hub → need class at −value). Hubs
//!    form a hierarchy over the cells open to every donor: a hub fixes some
//!    of capability, sector and beneficiary and feeds the hubs that fix one
//!    more, down to the cells, so an earmark such as "detect, energy or
//!    health, any beneficiary" is two arcs, not one per cell. A favoured need
//!    (preference > 1) gets a direct arc at its true score beside the hub
//!    route, which the optimum then never uses for it; a need the pledge is
//!    reluctant about (< 1) is kept off the pledge's hubs, its cell served by
//!    direct arcs. This is the same LP with a fraction of the arcs (ADR 0018).
//!    The direct arcs of a beneficiary's cells — one per need the pledge
//!    favours or is reluctant about, most of the graph once donors state
//!    preferences — are priced, not built: each pledge class's best-scoring
//!    first, then after each solve those whose reduced cost is negative,
//!    until none is (`price_in`, ADR 0027).
//! 2. **Exact LP.** The class problem is a transportation problem, solved as
//!    a min-cost flow (pledge classes supplying, need classes demanding, both
//!    free to stay unmet at no cost) by network simplex with integer costs
//!    (`-round(score × 10⁶)`) and integer cents: the optimum is exact for
//!    scores resolved to six decimals.
//! 3. **Expansion.** Class flows are split over members in input order
//!    (north-west corner rule), which keeps the number of (pledge, need)
//!    pairs small: a basic solution has fewer arcs than classes, and the
//!    split adds at most one pair per member.
//! 4. **All-or-nothing needs** are single-need classes. The LP with them
//!    relaxed is the upper bound. Needs the LP funds only in part are set
//!    aside (leaving them unfunded rewarded above any score) and the LP solved
//!    again from its last basis until none is partial; then each set-aside
//!    need, most urgent first, is funded whole from what compatible pledges
//!    have left, if they have enough. The gap to the bound is reported.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use crate::model::{AllocationOut, Instance, Need, Solution, Stats, Unfunded, eur};
use crate::simplex::{self, INF, Network};

/// Integer cost units per unit of score.
pub const SCORE_SCALE: f64 = 1_000_000.0;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SolveError {
    #[error("the solver failed: {0}")]
    Simplex(#[from] simplex::SimplexError),
    #[error("amounts too large: the total balance exceeds the representable range")]
    Overflow,
}

/// One arc of the compressed problem into a need class.
#[derive(Debug, Clone, Copy)]
struct Arc {
    /// A pledge class (direct arcs) or a hub (cell arcs).
    from: usize,
    need_class: usize,
    cost: i64,
}

/// The compressed problem. Hubs carry flow at no cost from pledge classes
/// to the need classes their earmarks admit: a hub is a cell (beneficiary,
/// capability, sector, donor restriction), or — for needs open to every
/// donor — a set of cells that agree on some of beneficiary, capability and
/// sector (an earmark that names capabilities and sectors but no
/// beneficiary reaches every beneficiary's cells through one hub per
/// (capability, sector), not fifty). Each such hub feeds the hubs that fix
/// one more of the three, down to the cells; what flows into a hub can
/// reach exactly the cells that agree with it.
struct Compressed {
    need_class: Vec<usize>,
    need_members: Vec<Vec<usize>>,
    pledge_members: Vec<Vec<usize>>,
    /// Pledge class → need class, where the pledge's preferences change the
    /// score of some need class.
    direct: Vec<Arc>,
    /// (pledge class, hub) everywhere else.
    hub: Vec<(usize, usize)>,
    /// Hub → hub, from the coarser to the finer (no cost).
    refine: Vec<(usize, usize)>,
    /// Cell → need class, at the need class's value.
    cell_arcs: Vec<Arc>,
    /// Hubs, coarsest first (every `refine` arc goes forward).
    hubs: usize,
    /// Cells whose beneficiary a pledge class favours or is reluctant
    /// about: their direct arcs are priced, not built (`price_in`).
    lazy: Vec<Lazy>,
    /// Each cell's need classes.
    cell_members: Vec<Vec<usize>>,
    /// Each need class's value (weight × threat): its score for a pledge
    /// without preference for it.
    value: Vec<f64>,
}

/// Arcs from a pledge class to every need class of a cell, at `value ×
/// factor` (the pledge's factor for the cell's beneficiary, or 1 where the
/// cell is reluctant only about a need it names) — except the need classes
/// it names, which have built direct arcs at their own factor. A hub scores
/// a need at its value alone, which understates a favoured need and
/// overstates one the pledge is reluctant about, so such needs are reached
/// by arcs of their own: most of the graph's arcs once donors state
/// preferences. `price_in` builds only those the optimum may use.
struct Lazy {
    pledge_class: usize,
    cell: usize,
    factor: f64,
    except: Vec<usize>,
}

/// At most this many priced-in arcs per pledge class and round, the most
/// improving, and as many of each pledge class's best-scoring to start
/// (ADR 0027: fewer take more rounds, each slower to resume from; more
/// make the first solve slower).
const PRICED_IN_PER_PLEDGE: usize = 128;

impl Compressed {
    fn arc_count(&self) -> usize {
        self.direct.len() + self.hub.len() + self.refine.len() + self.cell_arcs.len()
    }

    /// The largest |cost| any arc of the LP may have, built or priced.
    fn cost_bound(&self) -> i64 {
        let built = [&self.direct, &self.cell_arcs].into_iter().flatten().map(|a| a.cost.abs()).max().unwrap_or(0);
        let cell_max: Vec<f64> = self.cell_members.iter().map(|ncs| ncs.iter().map(|&nc| self.value[nc]).fold(0.0, f64::max)).collect();
        let lazy = self.lazy.iter().map(|g| cost_of(cell_max[g.cell] * g.factor).abs()).max().unwrap_or(0);
        built.max(lazy)
    }
}

#[derive(Hash, PartialEq, Eq)]
enum NeedKey<'a> {
    Single(usize),
    Group(&'a str, tallinn_core::need::Capability, tallinn_core::need::Sector, tallinn_core::need::Urgency, u64),
}

/// A hub open to every donor: the beneficiary, capability and sector its
/// cells agree on (`None`: any).
type HubKey<'a> = (Option<tallinn_core::need::Capability>, Option<tallinn_core::need::Sector>, Option<&'a str>);

fn specified(key: &HubKey<'_>) -> usize {
    usize::from(key.0.is_some()) + usize::from(key.1.is_some()) + usize::from(key.2.is_some())
}

/// The hub `key` feeds: the same with the first unspecified of capability,
/// sector, beneficiary fixed as in `cell`.
fn finer<'a>(key: HubKey<'a>, cell: HubKey<'a>) -> HubKey<'a> {
    match key {
        (None, s, b) => (cell.0, s, b),
        (c, None, b) => (c, cell.1, b),
        (c, s, _) => (c, s, cell.2),
    }
}

fn cost_of(score: f64) -> i64 {
    -(score * SCORE_SCALE).round() as i64
}

fn compress(inst: &Instance) -> Compressed {
    use tallinn_core::need::{Capability, Sector};
    let need_ids: HashSet<&str> = inst.needs.iter().map(|n| n.id.as_str()).collect();
    let named: HashSet<&str> = inst.pledges.iter().flat_map(|p| p.preferences.keys()).map(String::as_str).filter(|k| need_ids.contains(k)).collect();

    let mut need_index: HashMap<NeedKey, usize> = HashMap::new();
    let mut need_class = Vec::with_capacity(inst.needs.len());
    let mut need_members: Vec<Vec<usize>> = Vec::new();
    for (i, n) in inst.needs.iter().enumerate() {
        let key = if !n.divisible || named.contains(n.id.as_str()) || n.donors.is_some() {
            NeedKey::Single(i)
        } else {
            NeedKey::Group(&n.beneficiary, n.capability, n.sector, n.urgency, n.threat.to_bits())
        };
        let next = need_members.len();
        let c = *need_index.entry(key).or_insert(next);
        if c == next {
            need_members.push(Vec::new());
        }
        need_members[c].push(i);
        need_class.push(c);
    }
    // Cells: the part of a need that earmarks look at.
    type CellKey<'a> = (&'a str, Capability, Sector, Option<&'a [String]>);
    let mut cell_index: HashMap<CellKey, usize> = HashMap::new();
    let mut cell_members: Vec<Vec<usize>> = Vec::new();
    let mut cell_keys: Vec<CellKey> = Vec::new();
    for (nc, members) in need_members.iter().enumerate() {
        let n = &inst.needs[members[0]];
        let key = (n.beneficiary.as_str(), n.capability, n.sector, n.donors.as_deref());
        let next = cell_members.len();
        let c = *cell_index.entry(key).or_insert(next);
        if c == next {
            cell_members.push(Vec::new());
            cell_keys.push(key);
        }
        cell_members[c].push(nc);
    }
    // Hubs open to every donor: every partial (capability, sector,
    // beneficiary) some open cell agrees with, coarsest first; then the cells
    // restricted to some donors. Hub numbers: that order.
    let mut open: HashSet<HubKey> = HashSet::new();
    for key in cell_keys.iter().filter(|k| k.3.is_none()) {
        for mask in 0..8u8 {
            open.insert(((mask & 1 != 0).then_some(key.1), (mask & 2 != 0).then_some(key.2), (mask & 4 != 0).then_some(key.0)));
        }
    }
    let mut open: Vec<HubKey> = open.into_iter().collect();
    open.sort_by_key(|k| (specified(k), k.0, k.1, k.2));
    let hub_of: HashMap<HubKey, usize> = open.iter().enumerate().map(|(h, k)| (*k, h)).collect();
    // A cell's hub: the open hub that fixes all three, or its own (restricted).
    let mut restricted = open.len();
    let cell_hub: Vec<usize> = cell_keys
        .iter()
        .map(|k| match k.3 {
            None => hub_of[&(Some(k.1), Some(k.2), Some(k.0))],
            Some(_) => {
                restricted += 1;
                restricted - 1
            }
        })
        .collect();
    let mut refine: HashSet<(usize, usize)> = HashSet::new();
    for key in cell_keys.iter().filter(|k| k.3.is_none()) {
        let cell: HubKey = (Some(key.1), Some(key.2), Some(key.0));
        for mask in 0..7u8 {
            let coarse: HubKey = ((mask & 1 != 0).then_some(key.1), (mask & 2 != 0).then_some(key.2), (mask & 4 != 0).then_some(key.0));
            refine.insert((hub_of[&coarse], hub_of[&finer(coarse, cell)]));
        }
    }
    let mut refine: Vec<(usize, usize)> = refine.into_iter().collect();
    refine.sort_unstable();

    // Donors named by a need's restriction must not share a class with other
    // donors; every other donor is treated alike by every need.
    let named_donors: HashSet<&str> = inst.needs.iter().filter_map(|n| n.donors.as_deref()).flatten().map(String::as_str).collect();
    let mut pledge_index: HashMap<(String, Vec<(String, u64)>), usize> = HashMap::new();
    let mut pledge_members: Vec<Vec<usize>> = Vec::new();
    for (j, p) in inst.pledges.iter().enumerate() {
        let donor = if named_donors.contains(p.donor.as_str()) { p.donor.as_str() } else { "" };
        let earmarks = format!("{:?}|{:?}|{:?}|{donor}", p.capabilities, p.sectors, p.beneficiaries);
        let prefs = p.preferences.iter().map(|(k, v)| (k.clone(), v.to_bits())).collect();
        let next = pledge_members.len();
        let c = *pledge_index.entry((earmarks, prefs)).or_insert(next);
        if c == next {
            pledge_members.push(Vec::new());
        }
        pledge_members[c].push(j);
    }

    let value = |nc: usize| {
        let n = &inst.needs[need_members[nc][0]];
        inst.weights.of(n.urgency) * n.threat
    };
    // The open cells of each beneficiary.
    let mut open_cells: HashMap<&str, Vec<usize>> = HashMap::new();
    for (cell, key) in cell_keys.iter().enumerate().filter(|(_, k)| k.3.is_none()) {
        open_cells.entry(key.0).or_default().push(cell);
    }
    let mut beneficiaries: Vec<&str> = open_cells.keys().copied().collect();
    beneficiaries.sort_unstable();
    let need_pos: HashMap<&str, usize> = inst.needs.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    let mut cell_of_class = vec![0usize; need_members.len()];
    for (cell, ncs) in cell_members.iter().enumerate() {
        ncs.iter().for_each(|&nc| cell_of_class[nc] = cell);
    }

    // How each pledge class reaches the needs its earmarks admit. A hub
    // scores every need it reaches at the need's value, as if the pledge
    // had no preference for it; so a need the pledge favours (factor > 1)
    // also gets a direct arc at its true score, which the optimum always
    // takes instead (the hub's route then carries none of that pledge's
    // flow to it), while a need it is reluctant about (factor < 1) must not
    // be reachable through a hub at all: its cell is served by direct arcs.
    let restricted_cells: Vec<usize> = (0..cell_members.len()).filter(|&c| cell_keys[c].3.is_some()).collect();
    let (mut direct, mut hub, mut lazy) = (Vec::new(), Vec::new(), Vec::new());
    for (pc, pm) in pledge_members.iter().enumerate() {
        let pledge = &inst.pledges[pm[0]];
        let first = |cell: usize| &inst.needs[need_members[cell_members[cell][0]][0]];
        // The need classes the pledge names (each a need of its own), and its factor for a cell's beneficiary.
        let named_here: Vec<(usize, f64)> = pledge.preferences.iter().filter_map(|(k, f)| need_pos.get(k.as_str()).map(|&i| (need_class[i], *f))).collect();
        let (named_here, cell_of_class) = (&named_here, &cell_of_class);
        let named_in = move |cell: usize| named_here.iter().filter(move |(nc, _)| cell_of_class[*nc] == cell);
        let beneficiary_factor_of = |b: &str| pledge.preferences.get(b).copied().unwrap_or(1.0);
        let beneficiary_factor = |cell: usize| beneficiary_factor_of(cell_keys[cell].0);
        let reluctant = |cell: usize| beneficiary_factor(cell) < 1.0 || named_in(cell).any(|(_, f)| *f < 1.0);
        let arc = |nc: usize| Arc { from: pc, need_class: nc, cost: cost_of(inst.score(pledge, &inst.needs[need_members[nc][0]])) };
        // Direct arcs to the needs of `cell` the pledge favours: built
        // for the needs it names, priced (`Lazy`) for its beneficiary's.
        let favoured = |cell: usize, direct: &mut Vec<Arc>, lazy: &mut Vec<Lazy>| {
            if pledge.preferences.is_empty() {
                return;
            }
            direct.extend(named_in(cell).filter(|(_, f)| *f > 1.0).map(|(nc, _)| arc(*nc)));
            let factor = beneficiary_factor(cell);
            if factor > 1.0 {
                lazy.push(Lazy { pledge_class: pc, cell, factor, except: named_in(cell).map(|(nc, _)| *nc).collect() });
            }
        };
        // One cell on its own: through its hub, or wholly direct.
        let serve = |cell: usize, direct: &mut Vec<Arc>, hub: &mut Vec<(usize, usize)>, lazy: &mut Vec<Lazy>| {
            if reluctant(cell) {
                let except: Vec<usize> = named_in(cell).map(|(nc, _)| *nc).collect();
                direct.extend(except.iter().map(|&nc| arc(nc)));
                lazy.push(Lazy { pledge_class: pc, cell, factor: beneficiary_factor(cell), except });
            } else {
                hub.push((pc, cell_hub[cell]));
                favoured(cell, direct, lazy);
            }
        };
        // Cells restricted to some donors: each on its own.
        for &cell in restricted_cells.iter().filter(|&&c| pledge.admits(first(c))) {
            serve(cell, &mut direct, &mut hub, &mut lazy);
        }
        let caps: Vec<Option<Capability>> = if pledge.capabilities.is_empty() { vec![None] } else { pledge.capabilities.iter().copied().map(Some).collect() };
        let sectors: Vec<Option<Sector>> = if pledge.sectors.is_empty() { vec![None] } else { pledge.sectors.iter().copied().map(Some).collect() };
        let admitted_open = |b: &str| open_cells.get(b).into_iter().flatten().copied().filter(|&c| pledge.admits(first(c)));
        let favours_only = pledge.preferences.values().all(|f| *f >= 1.0);
        if favours_only {
            // The open hubs that cover exactly the cells the earmarks admit,
            // and direct arcs to the needs the pledge favours.
            let bens: Vec<Option<&str>> =
                if pledge.beneficiaries.is_empty() { vec![None] } else { pledge.beneficiaries.iter().map(|b| Some(b.as_str())).collect() };
            for &c in &caps {
                for &s in &sectors {
                    for &b in &bens {
                        if let Some(&h) = hub_of.get(&(c, s, b)) {
                            hub.push((pc, h));
                        }
                    }
                }
            }
            // The open cells its preferences name (a beneficiary's, a need's).
            let mut named_cells: Vec<usize> = Vec::new();
            for key in pledge.preferences.keys() {
                named_cells.extend(admitted_open(key));
                if let Some(&i) = need_pos.get(key.as_str()) {
                    let cell = cell_of_class[need_class[i]];
                    if cell_keys[cell].3.is_none() && pledge.admits(first(cell)) {
                        named_cells.push(cell);
                    }
                }
            }
            named_cells.sort_unstable();
            named_cells.dedup();
            named_cells.into_iter().for_each(|cell| favoured(cell, &mut direct, &mut lazy));
            continue;
        }
        // Some reluctance: beneficiary by beneficiary, so that its cells stay off the hubs.
        let bens: Vec<&str> = if pledge.beneficiaries.is_empty() { beneficiaries.clone() } else { pledge.beneficiaries.iter().map(String::as_str).collect() };
        for b in bens {
            let plain = beneficiary_factor_of(b) == 1.0 && !named_here.iter().any(|(nc, _)| cell_keys[cell_of_class[*nc]].0 == b);
            let hubs_of = |b: &str, hub: &mut Vec<(usize, usize)>| {
                for &c in &caps {
                    for &s in &sectors {
                        if let Some(&h) = hub_of.get(&(c, s, Some(b))) {
                            hub.push((pc, h));
                        }
                    }
                }
            };
            if plain {
                // No preference touches this beneficiary's cells: its hubs
                // alone, without looking at each cell (most beneficiaries
                // of most pledges; a tenth of a full-size solve otherwise).
                hubs_of(b, &mut hub);
                continue;
            }
            let cells: Vec<usize> = admitted_open(b).collect();
            if cells.iter().any(|&c| reluctant(c)) {
                cells.into_iter().for_each(|cell| serve(cell, &mut direct, &mut hub, &mut lazy));
                continue;
            }
            hubs_of(b, &mut hub);
            cells.into_iter().for_each(|cell| favoured(cell, &mut direct, &mut lazy));
        }
    }
    let cell_arcs = cell_members
        .iter()
        .enumerate()
        .flat_map(|(cell, ncs)| ncs.iter().map(move |&nc| (cell, nc)))
        .map(|(cell, nc)| Arc { from: cell_hub[cell], need_class: nc, cost: cost_of(value(nc)) })
        .collect();
    let value = (0..need_members.len()).map(value).collect();
    Compressed { need_class, need_members, pledge_members, direct, hub, refine, cell_arcs, hubs: restricted, lazy, cell_members, value }
}

/// Where each kind of arc starts in the class network, and the first need
/// class's node.
struct Layout {
    direct: usize,
    hub: usize,
    refine: usize,
    cell: usize,
    /// The first arc priced in (`price_in`): after the network's.
    added: usize,
    need_node: usize,
}

/// The class LP as a network, for the given per-need remainders and
/// per-pledge balances: pledge classes supply their balances, need classes
/// demand their remainders, and the solver's free disposal lets money stay
/// with its pledge and a need go unfunded at no cost (no sink node).
fn network(comp: &Compressed, first_priced: &[Arc], remainders: &[i64], balances: &[i64]) -> Result<(Network, Layout), SolveError> {
    let (pl, nl, hl) = (comp.pledge_members.len(), comp.need_members.len(), comp.hubs);
    let (need_node, hub_node) = (|nc: usize| pl + nc, |h: usize| pl + nl + h);
    let mut net = Network::with_nodes(pl + nl + hl);
    // Both totals must be representable: the solver sums the supplies.
    let mut supplied = 0i64;
    for (pc, members) in comp.pledge_members.iter().enumerate() {
        let supply = members.iter().try_fold(0i64, |a, j| a.checked_add(balances[*j])).ok_or(SolveError::Overflow)?;
        net.supply[pc] = supply;
        supplied = supplied.checked_add(supply).ok_or(SolveError::Overflow)?;
    }
    let mut demanded = 0i64;
    for (nc, members) in comp.need_members.iter().enumerate() {
        let demand = members.iter().try_fold(0i64, |a, i| a.checked_add(remainders[*i])).ok_or(SolveError::Overflow)?;
        net.supply[need_node(nc)] = -demand;
        demanded = demanded.checked_add(demand).ok_or(SolveError::Overflow)?;
    }
    let direct_start = net.source.len();
    for arc in &comp.direct {
        net.add_arc(arc.from, need_node(arc.need_class), INF, arc.cost);
    }
    let hub_start = net.source.len();
    for &(pc, h) in &comp.hub {
        net.add_arc(pc, hub_node(h), INF, 0);
    }
    let refine_start = net.source.len();
    for &(a, b) in &comp.refine {
        net.add_arc(hub_node(a), hub_node(b), INF, 0);
    }
    let cell_start = net.source.len();
    for arc in &comp.cell_arcs {
        net.add_arc(hub_node(arc.from), need_node(arc.need_class), INF, arc.cost);
    }
    let added = net.source.len();
    for arc in first_priced {
        net.add_arc(arc.from, need_node(arc.need_class), INF, arc.cost);
    }
    Ok((net, Layout { direct: direct_start, hub: hub_start, refine: refine_start, cell: cell_start, added, need_node: need_node(0) }))
}

/// The (pledge class, need class, cents) flows of a solved class network.
fn class_flows(comp: &Compressed, layout: &Layout, added: &[Arc], flow: &[i64]) -> Vec<(usize, usize, i64)> {
    let hl = comp.hubs;
    let (direct_start, hub_start, refine_start, cell_start) = (layout.direct, layout.hub, layout.refine, layout.cell);
    let direct = comp.direct.iter().zip(&flow[direct_start..hub_start]);
    let priced_in = added.iter().zip(&flow[layout.added..]);
    let mut out: Vec<(usize, usize, i64)> = direct.chain(priced_in).filter(|(_, f)| **f > 0).map(|(a, f)| (a.from, a.need_class, *f)).collect();
    // Trace each hub's throughput back to the pledge classes that fed it,
    // coarsest hubs first (north-west corner; hub arcs cost nothing, so any
    // split has the same value).
    let mut inflow: Vec<Vec<(usize, i64)>> = vec![Vec::new(); hl];
    for (&(pc, h), &f) in comp.hub.iter().zip(&flow[hub_start..refine_start]) {
        if f > 0 {
            inflow[h].push((pc, f));
        }
    }
    let mut cursor = vec![0usize; hl];
    let mut take_from = |h: usize, mut wanted: i64, inflow: &mut [Vec<(usize, i64)>], give: &mut dyn FnMut(usize, i64)| {
        while wanted > 0 {
            let Some((pc, available)) = inflow[h].get_mut(cursor[h]) else { break };
            let take = wanted.min(*available);
            *available -= take;
            wanted -= take;
            give(*pc, take);
            if *available == 0 {
                cursor[h] += 1;
            }
        }
    };
    for (&(a, b), &f) in comp.refine.iter().zip(&flow[refine_start..cell_start]) {
        if f > 0 {
            let mut passed = Vec::new();
            take_from(a, f, &mut inflow, &mut |pc, amount| passed.push((pc, amount)));
            inflow[b].extend(passed);
        }
    }
    for (arc, &f) in comp.cell_arcs.iter().zip(&flow[cell_start..cell_start + comp.cell_arcs.len()]) {
        if f > 0 {
            take_from(arc.from, f, &mut inflow, &mut |pc, amount| out.push((pc, arc.need_class, amount)));
        }
    }
    out.sort_unstable_by_key(|&(pc, nc, _)| (pc, nc));
    // Merge a pair that reached a need class by two routes.
    out.dedup_by(|b, a| {
        if a.0 == b.0 && a.1 == b.1 {
            a.2 += b.2;
            true
        } else {
            false
        }
    });
    out
}

/// Adds to the solved network the arcs of reluctant cells (`Lazy`) whose
/// reduced cost is negative — at most `PRICED_IN_PER_PLEDGE` per pledge
/// class, the most negative — and solves again from the last basis, until
/// none has: then no arc of the LP, built or not, could improve the
/// optimum, which is therefore the optimum over all of them. An arc already
/// built has a reduced cost of at least 0 at an optimum, so none is added
/// twice.
fn price_in(comp: &Compressed, layout: &Layout, solver: &mut simplex::Solver, added: &mut Vec<Arc>, per_pledge: usize) -> Result<(), SolveError> {
    loop {
        let pi = solver.potentials();
        let new = improving(comp, per_pledge, |pc, nc| pi[pc] - pi[layout.need_node + nc]);
        if new.is_empty() {
            return Ok(());
        }
        let arcs: Vec<(usize, usize, i64)> = new.iter().map(|a| (a.from, layout.need_node + a.need_class, a.cost)).collect();
        solver.add_arcs_and_resolve(&arcs)?;
        added.extend(new);
    }
}

/// The arcs of reluctant and favoured cells (`Lazy`) whose cost plus
/// `shift(pledge class, need class)` (the difference of their potentials)
/// is negative: at most `PRICED_IN_PER_PLEDGE` per pledge class, the most
/// negative.
fn improving(comp: &Compressed, per_pledge: usize, shift: impl Fn(usize, usize) -> i64) -> Vec<Arc> {
    let mut found: Vec<(i64, usize, i64)> = Vec::new();
    let mut new: Vec<Arc> = Vec::new();
    for group in comp.lazy.chunk_by(|a, b| a.pledge_class == b.pledge_class) {
        let pc = group[0].pledge_class;
        found.clear();
        for lazy in group {
            for &nc in comp.cell_members[lazy.cell].iter().filter(|nc| !lazy.except.contains(nc)) {
                let cost = cost_of(comp.value[nc] * lazy.factor);
                let reduced = cost + shift(pc, nc);
                if reduced < 0 {
                    found.push((reduced, nc, cost));
                }
            }
        }
        if found.len() > per_pledge {
            found.select_nth_unstable(per_pledge);
            found.truncate(per_pledge);
        }
        new.extend(found.iter().map(|&(_, need_class, cost)| Arc { from: pc, need_class, cost }));
    }
    new
}

/// Splits class flows over members: (pledge, need, cents) triples.
fn expand(comp: &Compressed, flows: &[(usize, usize, i64)], remainders: &mut [i64], balances: &mut [i64]) -> Vec<(usize, usize, i64)> {
    let mut pcur = vec![0usize; comp.pledge_members.len()];
    let mut ncur = vec![0usize; comp.need_members.len()];
    let mut out = Vec::new();
    for &(pledge_class, need_class, flow) in flows {
        let mut left = flow;
        let (pm, nm) = (&comp.pledge_members[pledge_class], &comp.need_members[need_class]);
        while left > 0 {
            let (pc, nc) = (&mut pcur[pledge_class], &mut ncur[need_class]);
            while *pc < pm.len() && balances[pm[*pc]] == 0 {
                *pc += 1;
            }
            while *nc < nm.len() && remainders[nm[*nc]] == 0 {
                *nc += 1;
            }
            // The LP respects class totals, so members never run out first.
            let (Some(&p), Some(&n)) = (pm.get(*pc), nm.get(*nc)) else { break };
            let take = left.min(balances[p]).min(remainders[n]);
            balances[p] -= take;
            remainders[n] -= take;
            left -= take;
            out.push((p, n, take));
        }
    }
    out
}

fn priority(inst: &Instance, n: &Need) -> f64 {
    inst.weights.of(n.urgency) * n.threat
}

/// Σ score · euros.
fn objective(inst: &Instance, pairs: &[(usize, usize, i64)]) -> f64 {
    pairs.iter().map(|(p, n, c)| inst.score(&inst.pledges[*p], &inst.needs[*n]) * (*c as f64) / 100.0).sum()
}

pub fn allocate(inst: &Instance) -> Result<Solution, SolveError> {
    allocate_pricing_in(inst, PRICED_IN_PER_PLEDGE)
}

/// `allocate`, pricing in at most `per_pledge` arcs per pledge class and
/// round (`price_in`). The optimum is the same for any `per_pledge` ≥ 1;
/// the tests use 1, to go through many rounds on small instances.
#[doc(hidden)]
pub fn allocate_pricing_in(inst: &Instance, per_pledge: usize) -> Result<Solution, SolveError> {
    let per_pledge = per_pledge.max(1);
    let started = Instant::now();
    let comp = compress(inst);
    let balances: Vec<i64> = inst.pledges.iter().map(|p| p.balance).collect();
    let mut remainders: Vec<i64> = inst.needs.iter().map(|n| n.remainder).collect();

    // The first priced arcs: each pledge class's best-scoring.
    let mut added = improving(&comp, per_pledge, |_, _| 0);
    let (net, layout) = network(&comp, &added, &remainders, &balances)?;
    // Leaving a set-aside need unfunded is rewarded above any score: the
    // LP, solved again from its last basis, then funds it with nothing.
    let set_aside_cost = comp.cost_bound().saturating_add(1);
    // Money may stay with its pledge, and a need may go unfunded.
    let mut solver = simplex::Solver::with_free_disposal(&net, set_aside_cost)?;
    price_in(&comp, &layout, &mut solver, &mut added, per_pledge)?;
    let mut flows = class_flows(&comp, &layout, &added, &solver.flow()?);
    let class_score = |pc: usize, nc: usize| inst.score(&inst.pledges[comp.pledge_members[pc][0]], &inst.needs[comp.need_members[nc][0]]);
    let upper_bound: f64 = flows.iter().map(|&(pc, nc, f)| class_score(pc, nc) * (f as f64) / 100.0).sum();

    // All-or-nothing: set aside needs the LP funds in part, until none is.
    let mut set_aside = Vec::new();
    loop {
        let mut inflow = vec![0i64; comp.need_members.len()];
        for &(_, nc, f) in &flows {
            inflow[nc] += f;
        }
        let partial: Vec<usize> = (0..inst.needs.len())
            .filter(|&i| !inst.needs[i].divisible && remainders[i] > 0)
            .filter(|&i| (1..remainders[i]).contains(&inflow[comp.need_class[i]]))
            .collect();
        if partial.is_empty() {
            break;
        }
        let mut raised = Vec::with_capacity(partial.len());
        for i in partial {
            remainders[i] = 0;
            set_aside.push(i);
            // An all-or-nothing need is a class of its own.
            raised.push((layout.need_node + comp.need_class[i], -set_aside_cost));
        }
        solver.resolve_with_unmet_costs(&raised);
        price_in(&comp, &layout, &mut solver, &mut added, per_pledge)?;
        flows = class_flows(&comp, &layout, &added, &solver.flow()?);
    }
    let nothing_set_aside = set_aside.is_empty();
    let mut left = balances.clone();
    let mut pairs = expand(&comp, &flows, &mut remainders.clone(), &mut left);

    // Fund set-aside needs whole from what is left, most urgent first.
    set_aside.sort_by(|a, b| priority(inst, &inst.needs[*b]).total_cmp(&priority(inst, &inst.needs[*a])).then(a.cmp(b)));
    for i in set_aside {
        let need = &inst.needs[i];
        let mut candidates: Vec<usize> = (0..inst.pledges.len()).filter(|&j| left[j] > 0 && inst.pledges[j].admits(need)).collect();
        candidates.sort_by(|a, b| inst.pledges[*b].preference(need).total_cmp(&inst.pledges[*a].preference(need)).then(a.cmp(b)));
        if candidates.iter().map(|j| left[*j]).sum::<i64>() < need.remainder {
            continue;
        }
        let mut owed = need.remainder;
        for j in candidates {
            let take = owed.min(left[j]);
            left[j] -= take;
            owed -= take;
            pairs.push((j, i, take));
            if owed == 0 {
                break;
            }
        }
    }
    pairs.sort_unstable_by_key(|(p, n, _)| (*p, *n));

    let value = objective(inst, &pairs);
    let mut funded = vec![0i64; inst.needs.len()];
    for (_, n, c) in &pairs {
        funded[*n] += c;
    }
    let mut unfunded: Vec<Unfunded> = inst
        .needs
        .iter()
        .zip(&funded)
        .filter(|(n, f)| n.remainder > **f)
        .map(|(n, f)| Unfunded { need: n.id.clone(), remainder_eur: eur(n.remainder - f), urgency: n.urgency, priority: priority(inst, n) })
        .collect();
    unfunded.sort_by(|a, b| b.priority.total_cmp(&a.priority).then_with(|| a.need.cmp(&b.need)));
    let allocations = pairs.iter().map(|&(p, n, c)| explain(inst, p, n, c)).collect::<Vec<_>>();
    // With nothing set aside the solution is the LP optimum itself: its bound
    // is its value (summing class flows instead would differ in the last bit).
    let upper_bound = if nothing_set_aside { value } else { upper_bound.max(value) };
    let gap = if upper_bound > 0.0 { (upper_bound - value) / upper_bound } else { 0.0 };
    Ok(Solution {
        stats: Stats {
            needs: inst.needs.len(),
            pledges: inst.pledges.len(),
            pairs: allocations.len(),
            need_classes: comp.need_members.len(),
            pledge_classes: comp.pledge_members.len(),
            arcs: comp.arc_count() + added.len(),
            seconds: started.elapsed().as_secs_f64(),
        },
        allocations,
        objective: format!("{value:.2}"),
        upper_bound: format!("{upper_bound:.2}"),
        gap,
        unfunded,
    })
}

/// One allocation with the reasons it scores what it does.
fn explain(inst: &Instance, p: usize, n: usize, cents: i64) -> AllocationOut {
    let (pledge, need) = (&inst.pledges[p], &inst.needs[n]);
    let score = inst.score(pledge, need);
    let mut reason = format!(
        "{} need (weight {}) x threat factor {} x {} preference {} = {} per euro",
        need.urgency,
        inst.weights.of(need.urgency),
        need.threat,
        pledge.donor,
        pledge.preference(need),
        score
    );
    let earmarks: Vec<String> = [
        (!pledge.capabilities.is_empty()).then(|| format!("capability {}", need.capability)),
        (!pledge.sectors.is_empty()).then(|| format!("sector {}", need.sector)),
        (!pledge.beneficiaries.is_empty()).then(|| format!("beneficiary {}", need.beneficiary)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if earmarks.is_empty() {
        reason.push_str("; the pledge is not earmarked");
    } else {
        reason.push_str(&format!("; earmarks admit {}", earmarks.join(", ")));
    }
    if !need.divisible {
        reason.push_str("; all-or-nothing need funded whole");
    }
    AllocationOut { pledge: pledge.id.clone(), need: need.id.clone(), amount_eur: eur(cents), score_per_eur: score, reason }
}
