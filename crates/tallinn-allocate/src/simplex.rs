//! A primal network simplex for min-cost flow, after the design of LEMON's
//! `NetworkSimplex` (Kovács, "Minimum-cost flow algorithms: an experimental
//! evaluation", 2015): a strongly feasible spanning tree kept in
//! parent/thread/successor arrays, and block-search pivoting.
//!
//! Costs and flows are integers, so the result is an exact optimum; costs
//! must stay small enough that `(max |cost| + 1) × (nodes + 1)` fits in i64
//! (checked by `solve`).

/// "Unbounded" capacity.
pub const INF: i64 = i64::MAX;

const STATE_UPPER: i8 = -1;
const STATE_TREE: i8 = 0;
const STATE_LOWER: i8 = 1;
const DIR_UP: i8 = 1;
const DIR_DOWN: i8 = -1;

/// A min-cost flow problem: node supplies (positive = supply, negative =
/// demand, summing to zero) and arcs with capacity and cost.
#[derive(Debug, Clone, Default)]
pub struct Network {
    pub supply: Vec<i64>,
    pub source: Vec<usize>,
    pub target: Vec<usize>,
    pub cap: Vec<i64>,
    pub cost: Vec<i64>,
}

impl Network {
    pub fn with_nodes(n: usize) -> Network {
        Network { supply: vec![0; n], ..Default::default() }
    }

    pub fn add_arc(&mut self, from: usize, to: usize, cap: i64, cost: i64) -> usize {
        self.source.push(from);
        self.target.push(to);
        self.cap.push(cap);
        self.cost.push(cost);
        self.source.len() - 1
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimplexError {
    #[error("supplies do not sum to zero")]
    Unbalanced,
    #[error("no feasible flow satisfies the supplies")]
    Infeasible,
    #[error("the costs are too large for exact integer arithmetic")]
    CostOverflow,
    #[error("the network has more nodes than the solver can index")]
    TooLarge,
    #[error("an added arc names no node of the network, or costs more than the bound given at the start")]
    InvalidArc,
}

/// Solves `net`, returning the flow on each arc.
pub fn solve(net: &Network) -> Result<Vec<i64>, SimplexError> {
    Solver::new(net, 0)?.flow()
}

/// A solved network that can be solved again after some arcs' costs
/// change: the last optimal basis stays a feasible one (flows do not move),
/// so the simplex resumes from it instead of starting over.
pub struct Solver(Simplex);

impl Solver {
    /// Solves `net`; arcs may later be given costs up to `cost_bound` in
    /// absolute value (the artificial arcs are priced above that too).
    pub fn new(net: &Network, cost_bound: i64) -> Result<Solver, SimplexError> {
        Solver::start(net, cost_bound, false)
    }

    /// Solves `net` where supply may also stay unsent and demand go unmet,
    /// at no cost (so supplies need not sum to zero): each supply and demand
    /// node's arc to the artificial root is a real choice, priced like any
    /// arc. The simplex then starts from "nothing sent", a feasible basis,
    /// instead of first pricing artificial flow out, and the tree needs no
    /// sink gathering every demand (whose subtree every pivot re-priced).
    /// The flows returned are those of `net`'s arcs; what stayed or went
    /// unmet is not among them.
    pub fn with_free_disposal(net: &Network, cost_bound: i64) -> Result<Solver, SimplexError> {
        Solver::start(net, cost_bound, true)
    }

    fn start(net: &Network, cost_bound: i64, free_disposal: bool) -> Result<Solver, SimplexError> {
        Solver::start_with(net, cost_bound, free_disposal, |_| {})
    }

    fn start_with(net: &Network, cost_bound: i64, free_disposal: bool, set_up: impl FnOnce(&mut Simplex)) -> Result<Solver, SimplexError> {
        match net.supply.iter().try_fold(0i64, |a, s| a.checked_add(*s)) {
            Some(0) => {}
            Some(_) if free_disposal => {}
            _ => return Err(SimplexError::Unbalanced),
        }
        let mut s = Simplex::new(net, cost_bound.unsigned_abs(), free_disposal)?;
        set_up(&mut s);
        s.run();
        Ok(Solver(s))
    }

    /// The flow on each arc of the network, if every supply could be routed
    /// (with free disposal: if no node of zero supply needed the root).
    pub fn flow(&self) -> Result<Vec<i64>, SimplexError> {
        let (m, n) = (self.0.arc_num, self.0.node_num);
        // Arc m + u is node u's arc to the root, whatever its number inside.
        let through_root = |u: usize| self.0.flow[self.0.stored(m + u)] != 0 && (!self.0.free_disposal || self.0.supply[u] == 0);
        if (0..n).any(through_root) {
            return Err(SimplexError::Infeasible);
        }
        // The network's arcs, then those added since (stored after the
        // arcs to the root).
        let network = (0..m).map(|e| self.0.flow[self.0.stored(e)]);
        Ok(network.chain(self.0.flow[m + n..].iter().copied()).collect())
    }

    /// The node potentials of the current basis: an arc `u → v` of cost `c`
    /// not in the network would improve the optimum if `c + π(u) − π(v) < 0`.
    pub fn potentials(&self) -> Vec<i64> {
        self.0.inside[..self.0.node_num].iter().map(|&i| self.0.pi[i as usize]).collect()
    }

    /// Adds arcs `(from, to, cost)` of unbounded capacity, numbered after
    /// the network's and earlier added ones in `flow`, and solves again
    /// from the current basis (an arc out of the tree at flow 0 keeps it
    /// feasible). `InvalidArc`, and nothing added, if an arc names no node
    /// or costs more than the bound given at the start.
    pub fn add_arcs_and_resolve(&mut self, arcs: &[(usize, usize, i64)]) -> Result<(), SimplexError> {
        let s = &mut self.0;
        // All or none: a flow per arc asked for, numbered as promised.
        if arcs.iter().any(|&(from, to, cost)| from >= s.node_num || to >= s.node_num || cost.unsigned_abs() > s.cost_bound.unsigned_abs()) {
            return Err(SimplexError::InvalidArc);
        }
        for &(from, to, cost) in arcs {
            s.source.push(s.inside[from]);
            s.target.push(s.inside[to]);
            s.cap.push(INF);
            s.cost.push(cost);
            s.flow.push(0);
            s.state.push(STATE_LOWER);
        }
        s.block_size = block_size(s.source.len());
        s.run();
        Ok(())
    }

    /// Gives arcs new costs (within the bound given to `new`) and solves again.
    pub fn resolve_with_costs(&mut self, changes: &[(usize, i64)]) {
        let (m, n) = (self.0.arc_num, self.0.node_num);
        for &(arc, cost) in changes {
            // Added arcs are stored after the arcs to the root.
            let arc = if arc < m { self.0.stored(arc) } else { arc.saturating_add(n) };
            if arc < self.0.cost.len() {
                self.0.cost[arc] = cost;
            }
        }
        self.0.recompute_potentials();
        self.0.run();
    }

    /// With free disposal: prices each unit of demand node `node` left unmet
    /// at `cost` (within the bound given to `with_free_disposal`; negative:
    /// a reward for leaving it unmet) and solves again. Other nodes are
    /// left as they are.
    pub fn resolve_with_unmet_costs(&mut self, changes: &[(usize, i64)]) {
        for &(node, cost) in changes {
            if self.0.free_disposal && node < self.0.node_num && self.0.supply[node] < 0 {
                let e = self.0.stored(self.0.arc_num + node);
                self.0.cost[e] = cost;
            }
        }
        self.0.recompute_potentials();
        self.0.run();
    }
}

struct Simplex {
    node_num: usize,
    /// The network's arcs; then one arc per node to the root; then the
    /// arcs added since (`Solver::add_arcs_and_resolve`).
    arc_num: usize,
    /// The largest |cost| an arc may be given after the start.
    cost_bound: i64,
    /// Each node's supply, and whether supply may stay unsent (`Solver::with_free_disposal`).
    /// Indexed by the caller's node numbers, like `inside`.
    supply: Vec<i64>,
    free_disposal: bool,
    /// The number inside of each of the caller's nodes (the root: itself).
    /// Nodes are renumbered in thread order from time to time (`relabel`),
    /// so that the walks along the thread read memory in order.
    inside: Vec<u32>,
    /// Where each of the network's arcs is stored: in a fixed pseudo-random
    /// order (`shuffle_arcs`). The arcs to the root and those added later
    /// are stored in place, after them (`stored`).
    arc_inside: Vec<u32>,
    /// Steps of the thread walks since the last renumbering that did not
    /// go to the next number: the disorder a renumbering would repair.
    jumps: u64,
    /// Tests: renumber before every pivot.
    #[cfg(test)]
    always_relabel: bool,
    // u32: the block search streams these; half the bytes.
    source: Vec<u32>,
    target: Vec<u32>,
    cap: Vec<i64>,
    cost: Vec<i64>,
    flow: Vec<i64>,
    state: Vec<i8>,
    pi: Vec<i64>,
    parent: Vec<usize>,
    pred: Vec<usize>,
    // u32: the walks chase these links, and half the bytes stay in cache.
    thread: Vec<u32>,
    rev_thread: Vec<u32>,
    succ_num: Vec<usize>,
    last_succ: Vec<usize>,
    pred_dir: Vec<i8>,
    dirty_revs: Vec<usize>,
    root: usize,
    // pivot data
    in_arc: usize,
    join: usize,
    u_in: usize,
    v_in: usize,
    u_out: usize,
    delta: i64,
    next_arc: usize,
    block_size: usize,
}

const NONE: usize = usize::MAX;

/// A fixed pseudo-random permutation of `0..n` (Fisher–Yates driven by
/// SplitMix64 from a constant seed).
fn shuffled(n: usize) -> Vec<u32> {
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..n).rev() {
        // The bias of a modulo over 64 bits is below 2⁻³² here: irrelevant to an order.
        let j = (next() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

/// Arcs priced per block of the block search: 1.4√m. LEMON uses √m. With
/// the arcs in caller's order (a block: one or two pledges' arcs) 2√m took
/// 10–15 % fewer pivots; shuffled (`Simplex::shuffle_arcs`), 1.4√m was the
/// fastest on `preferences` and `lumpy` and within noise on the others
/// (√m, 1.4√m, 2√m measured; docs/benchmarks.md).
fn block_size(arcs: usize) -> usize {
    ((1.4 * (arcs as f64).sqrt()) as usize).max(10)
}

impl Simplex {
    fn new(net: &Network, cost_bound: u64, free_disposal: bool) -> Result<Simplex, SimplexError> {
        let n = net.supply.len();
        let m = net.source.len();
        let max_cost = net.cost.iter().map(|c| c.unsigned_abs()).max().unwrap_or(0).max(cost_bound);
        // The thread's links and arc ends are u32 (with the root, n + 1
        // nodes), and so are the arcs' places.
        if u32::try_from(n + 1).is_err() || u32::try_from(m + n).is_err() {
            return Err(SimplexError::TooLarge);
        }
        let art_cost =
            i64::try_from(max_cost).ok().and_then(|c| c.checked_add(1)).and_then(|c| c.checked_mul(n as i64 + 1)).ok_or(SimplexError::CostOverflow)?;
        let all = m + n;
        let mut s = Simplex {
            node_num: n,
            arc_num: m,
            cost_bound: i64::try_from(max_cost).unwrap_or(i64::MAX),
            supply: net.supply.clone(),
            free_disposal,
            inside: (0..=n as u32).collect(),
            arc_inside: Vec::new(),
            jumps: 0,
            #[cfg(test)]
            always_relabel: false,
            source: net.source.iter().map(|&u| u as u32).collect(),
            target: net.target.iter().map(|&u| u as u32).collect(),
            cap: net.cap.clone(),
            cost: net.cost.clone(),
            flow: vec![0; all],
            state: vec![STATE_LOWER; all],
            pi: vec![0; n + 1],
            parent: vec![NONE; n + 1],
            pred: vec![NONE; n + 1],
            thread: vec![0; n + 1],
            rev_thread: vec![0; n + 1],
            succ_num: vec![0; n + 1],
            last_succ: vec![0; n + 1],
            pred_dir: vec![0; n + 1],
            dirty_revs: Vec::new(),
            root: n,
            in_arc: 0,
            join: 0,
            u_in: 0,
            v_in: 0,
            u_out: 0,
            delta: 0,
            next_arc: 0,
            block_size: block_size(m),
        };
        s.source.resize(all, 0);
        s.target.resize(all, 0);
        s.cap.resize(all, INF);
        s.cost.resize(all, 0);
        let root = s.root;
        s.parent[root] = NONE;
        s.pred[root] = NONE;
        s.thread[root] = 0;
        s.rev_thread[0] = root as u32;
        s.succ_num[root] = n + 1;
        s.last_succ[root] = if n == 0 { root } else { root - 1 };
        for u in 0..n {
            let e = m + u;
            s.parent[u] = root;
            s.pred[u] = e;
            s.thread[u] = (u + 1) as u32;
            s.rev_thread[u + 1] = u as u32;
            s.succ_num[u] = 1;
            s.last_succ[u] = u;
            s.cap[e] = INF;
            s.state[e] = STATE_TREE;
            let supply = net.supply[u];
            // With free disposal, supply reaching the demand through the
            // root costs nothing (it is simply not sent), while a node of
            // no supply must not use the root as a way around its arcs.
            let toward_root = if free_disposal && supply == 0 { art_cost } else { 0 };
            let from_root = if free_disposal { 0 } else { art_cost };
            if supply >= 0 {
                s.pred_dir[u] = DIR_UP;
                s.pi[u] = -toward_root;
                s.source[e] = u as u32;
                s.target[e] = root as u32;
                s.flow[e] = supply;
                s.cost[e] = toward_root;
            } else {
                s.pred_dir[u] = DIR_DOWN;
                s.pi[u] = from_root;
                s.source[e] = root as u32;
                s.target[e] = u as u32;
                s.flow[e] = -supply;
                s.cost[e] = from_root;
            }
        }
        if n == 0 {
            s.thread[root] = root as u32;
        }
        // The arcs to the root stay together after the network's: without
        // free disposal the block search skips them (shuffling them in as
        // well measured no better with it).
        s.shuffle_arcs(m);
        Ok(s)
    }

    /// Stores the first `k` arcs in a fixed pseudo-random order (their
    /// flows, states and the tree's links to them move with them). The
    /// block search takes the best arc of the first block that has an
    /// improving one; callers list arcs by pledge, so in their order a
    /// block holds one or two pledges' arcs and the pivot it offers is the
    /// best of a narrow choice. Shuffled, each block samples every pledge: on
    /// `preferences` at full size 40 % fewer pivots (docs/benchmarks.md).
    /// Fixed, so that results repeat.
    fn shuffle_arcs(&mut self, k: usize) {
        let order = shuffled(k);
        fn gather<T: Copy>(values: &mut [T], order: &[u32]) {
            let placed: Vec<T> = order.iter().map(|&e| values[e as usize]).collect();
            values[..placed.len()].copy_from_slice(&placed);
        }
        gather(&mut self.source, &order);
        gather(&mut self.target, &order);
        gather(&mut self.cap, &order);
        gather(&mut self.cost, &order);
        gather(&mut self.flow, &order);
        gather(&mut self.state, &order);
        self.arc_inside = vec![0; k];
        for (inside, &e) in order.iter().enumerate() {
            self.arc_inside[e as usize] = inside as u32;
        }
        for e in &mut self.pred {
            if *e < k {
                *e = self.arc_inside[*e] as usize;
            }
        }
    }

    /// Where arc `e`, numbered as the caller's network and the arcs to the
    /// root are, is stored.
    fn stored(&self, e: usize) -> usize {
        self.arc_inside.get(e).map_or(e, |&i| i as usize)
    }

    /// Potentials that price every tree arc at zero reduced cost, from
    /// the root down the thread (which visits a parent before its children).
    fn recompute_potentials(&mut self) {
        let root = self.root;
        self.pi[root] = 0;
        let mut u = self.thread[root] as usize;
        while u != root {
            let (p, e) = (self.parent[u], self.pred[u]);
            self.pi[u] = if self.source[e] as usize == u { self.pi[p] - self.cost[e] } else { self.pi[p] + self.cost[e] };
            u = self.thread[u] as usize;
        }
    }

    fn reduced(&self, e: usize) -> i64 {
        i64::from(self.state[e]) * (self.cost[e] + self.pi[self.source[e] as usize] - self.pi[self.target[e] as usize])
    }

    /// Block search: scan arcs in blocks of about √m from where the last
    /// search stopped, and take the most negative reduced cost of the first
    /// block that has one. With free disposal the arcs to the root are
    /// choices too (sending nothing, leaving demand unmet) and are scanned
    /// with the others: once out of the tree they must be able to return.
    fn find_entering_arc(&mut self) -> bool {
        let mut min = 0i64;
        let mut cnt = self.block_size;
        let total = self.source.len();
        // Without free disposal the arcs to the root are artificial and
        // not scanned: skip from the network's arcs to the added ones.
        let (skip_from, skip_to) = if self.free_disposal { (NONE, NONE) } else { (self.arc_num, self.arc_num + self.node_num) };
        let scanned = if self.free_disposal { total } else { total - self.node_num };
        if scanned == 0 {
            return false;
        }
        let mut e = self.next_arc;
        if e == skip_from {
            e = skip_to;
        }
        if e >= total {
            e = 0;
        }
        for _ in 0..scanned {
            let c = self.reduced(e);
            if c < min {
                min = c;
                self.in_arc = e;
            }
            e += 1;
            if e == skip_from {
                e = skip_to;
            }
            if e >= total {
                e = 0;
            }
            cnt -= 1;
            if cnt == 0 {
                if min < 0 {
                    self.next_arc = e;
                    return true;
                }
                cnt = self.block_size;
            }
        }
        if min < 0 {
            self.next_arc = e;
            return true;
        }
        false
    }

    fn find_join_node(&mut self) {
        let (mut u, mut v) = (self.source[self.in_arc] as usize, self.target[self.in_arc] as usize);
        while u != v {
            if self.succ_num[u] < self.succ_num[v] {
                u = self.parent[u];
            } else {
                v = self.parent[v];
            }
        }
        self.join = u;
    }

    /// Returns whether the entering arc replaces a tree arc (false: it only
    /// moves between its bounds).
    fn find_leaving_arc(&mut self) -> bool {
        let (first, second) = if self.state[self.in_arc] == STATE_LOWER {
            (self.source[self.in_arc] as usize, self.target[self.in_arc] as usize)
        } else {
            (self.target[self.in_arc] as usize, self.source[self.in_arc] as usize)
        };
        self.delta = self.cap[self.in_arc];
        let mut result = 0;
        let mut u = first;
        while u != self.join {
            let e = self.pred[u];
            let d = if self.pred_dir[u] == DIR_DOWN { if self.cap[e] == INF { INF } else { self.cap[e] - self.flow[e] } } else { self.flow[e] };
            if d < self.delta {
                self.delta = d;
                self.u_out = u;
                result = 1;
            }
            u = self.parent[u];
        }
        let mut u = second;
        while u != self.join {
            let e = self.pred[u];
            let d = if self.pred_dir[u] == DIR_UP { if self.cap[e] == INF { INF } else { self.cap[e] - self.flow[e] } } else { self.flow[e] };
            if d <= self.delta {
                self.delta = d;
                self.u_out = u;
                result = 2;
            }
            u = self.parent[u];
        }
        if result == 1 {
            self.u_in = first;
            self.v_in = second;
        } else {
            self.u_in = second;
            self.v_in = first;
        }
        result != 0
    }

    fn change_flow(&mut self, change: bool) {
        if self.delta > 0 {
            let val = i64::from(self.state[self.in_arc]) * self.delta;
            self.flow[self.in_arc] += val;
            let mut u = self.source[self.in_arc] as usize;
            while u != self.join {
                let e = self.pred[u];
                self.flow[e] -= i64::from(self.pred_dir[u]) * val;
                u = self.parent[u];
            }
            let mut u = self.target[self.in_arc] as usize;
            while u != self.join {
                let e = self.pred[u];
                self.flow[e] += i64::from(self.pred_dir[u]) * val;
                u = self.parent[u];
            }
        }
        if change {
            self.state[self.in_arc] = STATE_TREE;
            let out = self.pred[self.u_out];
            self.state[out] = if self.flow[out] == 0 { STATE_LOWER } else { STATE_UPPER };
        } else {
            self.state[self.in_arc] = -self.state[self.in_arc];
        }
    }

    fn update_tree_structure(&mut self) {
        let (u_in, v_in, u_out, join, in_arc) = (self.u_in, self.v_in, self.u_out, self.join, self.in_arc);
        let old_rev_thread = self.rev_thread[u_out] as usize;
        let old_succ_num = self.succ_num[u_out];
        let old_last_succ = self.last_succ[u_out];
        let v_out = self.parent[u_out];

        if u_in == u_out {
            self.parent[u_in] = v_in;
            self.pred[u_in] = in_arc;
            self.pred_dir[u_in] = if u_in == self.source[in_arc] as usize { DIR_UP } else { DIR_DOWN };
            if (self.thread[v_in] as usize) != u_out {
                let mut after = self.thread[old_last_succ] as usize;
                self.thread[old_rev_thread] = after as u32;
                self.rev_thread[after] = old_rev_thread as u32;
                after = self.thread[v_in] as usize;
                self.thread[v_in] = u_out as u32;
                self.rev_thread[u_out] = v_in as u32;
                self.thread[old_last_succ] = after as u32;
                self.rev_thread[after] = old_last_succ as u32;
            }
        } else {
            let thread_continue = if old_rev_thread == v_in { self.thread[old_last_succ] as usize } else { self.thread[v_in] as usize };
            let mut stem = u_in;
            let mut par_stem = v_in;
            let mut last = self.last_succ[u_in];
            let mut after = self.thread[last] as usize;
            self.thread[v_in] = u_in as u32;
            self.dirty_revs.clear();
            self.dirty_revs.push(v_in);
            while stem != u_out {
                let next_stem = self.parent[stem];
                self.thread[last] = next_stem as u32;
                self.dirty_revs.push(last);
                let before = self.rev_thread[stem] as usize;
                self.thread[before] = after as u32;
                self.rev_thread[after] = before as u32;
                self.parent[stem] = par_stem;
                par_stem = stem;
                stem = next_stem;
                last = if self.last_succ[stem] == self.last_succ[par_stem] { self.rev_thread[par_stem] as usize } else { self.last_succ[stem] };
                after = self.thread[last] as usize;
            }
            self.parent[u_out] = par_stem;
            self.thread[last] = thread_continue as u32;
            self.rev_thread[thread_continue] = last as u32;
            self.last_succ[u_out] = last;
            if old_rev_thread != v_in {
                self.thread[old_rev_thread] = after as u32;
                self.rev_thread[after] = old_rev_thread as u32;
            }
            for i in 0..self.dirty_revs.len() {
                let u = self.dirty_revs[i];
                let t = self.thread[u] as usize;
                self.rev_thread[t] = u as u32;
            }
            let mut tmp_sc = 0usize;
            let tmp_ls = self.last_succ[u_out];
            let mut u = u_out;
            while u != u_in {
                let p = self.parent[u];
                self.pred[u] = self.pred[p];
                self.pred_dir[u] = -self.pred_dir[p];
                tmp_sc = tmp_sc + self.succ_num[u] - self.succ_num[p];
                self.succ_num[u] = tmp_sc;
                self.last_succ[p] = tmp_ls;
                u = p;
            }
            self.pred[u_in] = in_arc;
            self.pred_dir[u_in] = if u_in == self.source[in_arc] as usize { DIR_UP } else { DIR_DOWN };
            self.succ_num[u_in] = old_succ_num;
        }

        let up_limit_out = if self.last_succ[join] == v_in { join } else { NONE };
        let last_succ_out = self.last_succ[u_out];
        let mut u = v_in;
        while u != NONE && self.last_succ[u] == v_in {
            self.last_succ[u] = last_succ_out;
            u = self.parent[u];
        }
        if join != old_rev_thread && v_in != old_rev_thread {
            let mut u = v_out;
            while u != up_limit_out && u != NONE && self.last_succ[u] == old_last_succ {
                self.last_succ[u] = old_rev_thread;
                u = self.parent[u];
            }
        } else if last_succ_out != old_last_succ {
            let mut u = v_out;
            while u != up_limit_out && u != NONE && self.last_succ[u] == old_last_succ {
                self.last_succ[u] = last_succ_out;
                u = self.parent[u];
            }
        }
        let mut u = v_in;
        while u != join {
            self.succ_num[u] += old_succ_num;
            u = self.parent[u];
        }
        let mut u = v_out;
        while u != join {
            self.succ_num[u] -= old_succ_num;
            u = self.parent[u];
        }
    }

    /// Shifts the potentials of the subtree re-hung under the entering arc
    /// — or, when that subtree holds more than half the nodes, those of all
    /// the others the opposite way: only differences of potentials matter,
    /// and the smaller side is the cheaper walk.
    /// Adds `sigma` to the potentials of the `len` nodes of the thread from
    /// `first` to `last`. The walk is a chain of dependent loads, bound by
    /// memory latency; it runs from both ends at once (the thread is doubly
    /// linked), two independent chains the processor overlaps.
    fn shift_thread_run(&mut self, first: usize, last: usize, len: usize, sigma: i64) {
        let (mut a, mut b) = (first, last);
        let mut jumps = 0;
        for _ in 0..len / 2 {
            self.pi[a] += sigma;
            self.pi[b] += sigma;
            let (next_a, next_b) = (self.thread[a] as usize, self.rev_thread[b] as usize);
            jumps += u64::from(next_a != a + 1) + u64::from(next_b + 1 != b);
            a = next_a;
            b = next_b;
        }
        if len % 2 == 1 {
            self.pi[a] += sigma;
        }
        self.jumps += jumps;
    }

    /// Renumbers the nodes in thread order (the root keeps its number), so
    /// that a subtree's walk reads consecutive memory: the thread is a
    /// chain of dependent loads, and in order the prefetcher has each next
    /// one in cache. Moving a subtree keeps its own order, so the order
    /// decays slowly; `run` renumbers again once the walks' jumps would
    /// have paid for it. Arcs keep their numbers; the caller's node numbers
    /// are translated through `inside`.
    fn relabel(&mut self) {
        let (n, root) = (self.node_num, self.root);
        let mut new_of = vec![0u32; n + 1];
        new_of[root] = root as u32;
        let mut u = self.thread[root] as usize;
        let mut next = 0u32;
        while u != root {
            new_of[u] = next;
            next += 1;
            u = self.thread[u] as usize;
        }
        let node = |old: usize| new_of[old] as usize;
        fn permute<T: Copy + Default>(values: &mut Vec<T>, new_of: &[u32], map: impl Fn(T) -> T) {
            let mut out = vec![T::default(); values.len()];
            for (old, v) in values.iter().enumerate() {
                out[new_of[old] as usize] = map(*v);
            }
            *values = out;
        }
        let some_node = |v: usize| if v == NONE { NONE } else { node(v) };
        permute(&mut self.pi, &new_of, std::convert::identity);
        permute(&mut self.parent, &new_of, some_node);
        permute(&mut self.pred, &new_of, std::convert::identity);
        permute(&mut self.succ_num, &new_of, std::convert::identity);
        permute(&mut self.last_succ, &new_of, node);
        permute(&mut self.pred_dir, &new_of, std::convert::identity);
        permute(&mut self.thread, &new_of, |v: u32| new_of[v as usize]);
        permute(&mut self.rev_thread, &new_of, |v: u32| new_of[v as usize]);
        for v in self.source.iter_mut().chain(self.target.iter_mut()).chain(self.inside.iter_mut()) {
            *v = new_of[*v as usize];
        }
        self.jumps = 0;
    }

    fn update_potential(&mut self) {
        let sigma = self.pi[self.v_in] - self.pi[self.u_in] - i64::from(self.pred_dir[self.u_in]) * self.cost[self.in_arc];
        let end = self.thread[self.last_succ[self.u_in]] as usize;
        let size = self.succ_num[self.u_in];
        if 2 * size <= self.node_num + 1 {
            self.shift_thread_run(self.u_in, self.last_succ[self.u_in], size, sigma);
        } else {
            // The thread is one cycle through every node: the others are
            // those from the subtree's end round to its first node.
            let last_other = self.rev_thread[self.u_in] as usize;
            self.shift_thread_run(end, last_other, self.node_num + 1 - size, -sigma);
            // The root's potential now drifts with every such shift; bring
            // it back to 0 before the sum of shifts could near i64's range
            // (tree paths alone stay within `art_cost`).
            let drift = self.pi[self.root];
            if drift.unsigned_abs() > 1 << 60 {
                self.pi.iter_mut().for_each(|p| *p -= drift);
            }
        }
    }

    fn run(&mut self) {
        // A renumbering costs about 3 ns per node and arc (measured: 4.4 ms
        // on `preferences` at full size); a jump of a walk, a cache miss,
        // about 10–20 ns. Renumber once the jumps since the last would have
        // paid for one (the rent-or-buy rule, within twice the best).
        let relabel_after = (self.node_num + self.source.len()) as u64 / 4;
        while self.find_entering_arc() {
            #[cfg(test)]
            if self.always_relabel {
                self.relabel();
            }
            if self.jumps > relabel_after {
                self.relabel();
            }
            self.find_join_node();
            let change = self.find_leaving_arc();
            // Every cycle here is bounded by the supplies (no negative-cost
            // cycle of unbounded arcs exists in a transportation network).
            debug_assert!(self.delta < INF, "unbounded");
            self.change_flow(change);
            if change {
                self.update_tree_structure();
                self.update_potential();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_transportation() {
        // Two suppliers (10, 5), two consumers (8, 7); cheap arcs first.
        let mut net = Network::with_nodes(4);
        net.supply = vec![10, 5, -8, -7];
        let a = net.add_arc(0, 2, INF, 1);
        let b = net.add_arc(0, 3, INF, 4);
        let c = net.add_arc(1, 2, INF, 3);
        let d = net.add_arc(1, 3, INF, 2);
        let flow = solve(&net).unwrap();
        // Optimal: 0->2: 8, 0->3: 2, 1->3: 5  (cost 8 + 8 + 10 = 26)
        assert_eq!((flow[a], flow[b], flow[c], flow[d]), (8, 2, 0, 5));
    }

    #[test]
    fn solved_again_after_a_cost_rises() {
        let mut net = Network::with_nodes(4);
        net.supply = vec![10, 5, -8, -7];
        net.add_arc(0, 2, INF, 1);
        net.add_arc(0, 3, INF, 4);
        net.add_arc(1, 2, INF, 3);
        let d = net.add_arc(1, 3, INF, 2);
        let mut solver = Solver::new(&net, 100).unwrap();
        assert_eq!(solver.flow().unwrap(), solve(&net).unwrap());
        // 1 -> 3 now costs 50: 1 sends to 2 instead, 0 covers 3.
        solver.resolve_with_costs(&[(d, 50)]);
        net.cost[d] = 50;
        let again = solver.flow().unwrap();
        assert_eq!(again, solve(&net).unwrap());
        assert_eq!(again, vec![3, 7, 5, 0]);
    }

    #[test]
    fn free_disposal_gives_the_same_optimum() {
        // 10 units at 0 for the sink 3; only 4 can earn (0 -> 1 -> 3); 0 -> 3 is "not sent".
        let mut net = Network::with_nodes(4);
        net.supply = vec![10, 0, 0, -10];
        let earn = net.add_arc(0, 1, 4, -5);
        let on = net.add_arc(1, 3, INF, 0);
        let idle = net.add_arc(2, 3, INF, 7);
        net.add_arc(0, 3, INF, 0);
        let cost = |f: &[i64]| f.iter().zip(&net.cost).map(|(f, c)| f * c).sum::<i64>();
        let plain = solve(&net).unwrap();
        let free = Solver::with_free_disposal(&net, 0).unwrap().flow().unwrap();
        assert_eq!(cost(&plain), cost(&free));
        assert_eq!((free[earn], free[on], free[idle]), (4, 4, 0));
    }

    #[test]
    fn free_disposal_leaves_demand_unmet_and_a_reward_keeps_it_so() {
        // 10 units; demands of 6 (paying 5 a unit) and 8 (paying 3).
        let mut net = Network::with_nodes(3);
        net.supply = vec![10, -6, -8];
        net.add_arc(0, 1, INF, -5);
        net.add_arc(0, 2, INF, -3);
        assert_eq!(solve(&net), Err(SimplexError::Unbalanced), "unbalanced without free disposal");
        let mut solver = Solver::with_free_disposal(&net, 10).unwrap();
        assert_eq!(solver.flow().unwrap(), vec![6, 4]);
        // Leaving node 1 unmet now pays more than serving it: 8 go to node 2, 2 stay.
        solver.resolve_with_unmet_costs(&[(1, -10)]);
        assert_eq!(solver.flow().unwrap(), vec![0, 8]);
        // And back: the arcs to the root return to the tree when they pay.
        solver.resolve_with_unmet_costs(&[(1, 0)]);
        assert_eq!(solver.flow().unwrap(), vec![6, 4]);
    }

    proptest::proptest! {
        /// Free disposal on an unbalanced network is the balanced network
        /// with a sink that takes what is not sent and supplies what is not
        /// met at no cost: the same optimal cost.
        #[test]
        fn free_disposal_is_the_balanced_network_with_a_sink(
            supplies in proptest::collection::vec(0i64..50, 1..6),
            demands in proptest::collection::vec(0i64..50, 1..8),
            arcs in proptest::collection::vec((0usize..6, 0usize..8, -20i64..5, proptest::option::of(1i64..30)), 0..30),
        ) {
            let (s, d) = (supplies.len(), demands.len());
            let mut free = Network::with_nodes(s + d);
            for (i, &v) in supplies.iter().enumerate() { free.supply[i] = v; }
            for (j, &v) in demands.iter().enumerate() { free.supply[s + j] = -v; }
            // The balanced twin: a sink node that takes unsent supply and
            // feeds unmet demand through a bypass node, all at no cost.
            let (sink, bypass) = (s + d, s + d + 1);
            let mut twin = Network::with_nodes(s + d + 2);
            twin.supply[..s + d].copy_from_slice(&free.supply);
            let (total_s, total_d): (i64, i64) = (supplies.iter().sum(), demands.iter().sum());
            twin.supply[sink] = -total_s;
            twin.supply[bypass] = total_d;
            for (u, v, cost, cap) in arcs {
                if u < s && v < d {
                    free.add_arc(u, s + v, cap.unwrap_or(INF), cost);
                    twin.add_arc(u, s + v, cap.unwrap_or(INF), cost);
                }
            }
            let priced = free.source.len();
            for i in 0..s { twin.add_arc(i, sink, INF, 0); }
            for j in 0..d { twin.add_arc(bypass, s + j, INF, 0); }
            twin.add_arc(bypass, sink, INF, 0);
            let cost = |net: &Network, flow: &[i64]| (0..priced).map(|e| net.cost[e] * flow[e]).sum::<i64>();
            let ours = Solver::with_free_disposal(&free, 0).unwrap().flow().unwrap();
            let theirs = solve(&twin).unwrap();
            proptest::prop_assert_eq!(cost(&free, &ours), cost(&twin, &theirs));
            let mut sent = vec![0i64; s + d];
            for (e, f) in ours.iter().enumerate() {
                proptest::prop_assert!(*f >= 0 && *f <= free.cap[e]);
                sent[free.source[e]] += f;
                sent[free.target[e]] -= f;
            }
            // No more sent than supplied, no more received than demanded.
            for (u, &net_out) in sent.iter().enumerate() {
                let supply = free.supply[u];
                let within = if supply >= 0 { (0..=supply).contains(&net_out) } else { (supply..=0).contains(&net_out) };
                proptest::prop_assert!(within, "node {} sent {} of its supply {}", u, net_out, supply);
            }
        }
    }

    /// Nodes of the given supplies, then of the given demands; no arcs.
    fn supplies_then_demands(supplies: &[i64], demands: &[i64]) -> Network {
        let mut net = Network::with_nodes(supplies.len() + demands.len());
        net.supply[..supplies.len()].copy_from_slice(supplies);
        for (j, &v) in demands.iter().enumerate() {
            net.supply[supplies.len() + j] = -v;
        }
        net
    }

    proptest::proptest! {
        /// Arcs added to a solved network (`Solver::add_arcs_and_resolve`)
        /// give the optimum of the network that had them from the start,
        /// and their flows come after the network's.
        #[test]
        fn arcs_added_later_give_the_optimum_of_the_whole_network(
            supplies in proptest::collection::vec(0i64..50, 1..6),
            demands in proptest::collection::vec(0i64..50, 1..8),
            arcs in proptest::collection::vec((0usize..6, 0usize..8, -20i64..5), 0..30),
            later in proptest::collection::vec(proptest::bool::ANY, 30),
        ) {
            let (s, d) = (supplies.len(), demands.len());
            let mut whole = supplies_then_demands(&supplies, &demands);
            let mut first = whole.clone();
            let mut added = Vec::new();
            for (k, (u, v, cost)) in arcs.into_iter().enumerate() {
                if u < s && v < d {
                    whole.add_arc(u, s + v, INF, cost);
                    if later[k] { added.push((u, s + v, cost)); } else { first.add_arc(u, s + v, INF, cost); }
                }
            }
            let cost = |net: &Network, flow: &[i64]| flow.iter().zip(&net.cost).map(|(f, c)| f * c).sum::<i64>();
            let best = cost(&whole, &Solver::with_free_disposal(&whole, 20).unwrap().flow().unwrap());
            let mut solver = Solver::with_free_disposal(&first, 20).unwrap();
            solver.add_arcs_and_resolve(&added).unwrap();
            let flow = solver.flow().unwrap();
            let mut both = first.clone();
            for &(u, v, c) in &added { both.add_arc(u, v, INF, c); }
            proptest::prop_assert_eq!(flow.len(), both.source.len());
            proptest::prop_assert_eq!(cost(&both, &flow), best);
        }
    }

    proptest::proptest! {
        /// Renumbering the nodes before every pivot changes nothing the
        /// caller sees: the same optimal cost, flows by the caller's arc
        /// numbers, potentials by the caller's node numbers (no arc of the
        /// network, and none added later, prices below zero), and arcs
        /// added and unmet costs changed by the caller's node numbers.
        #[test]
        fn renumbering_the_nodes_is_invisible_to_the_caller(
            supplies in proptest::collection::vec(0i64..50, 1..6),
            demands in proptest::collection::vec(0i64..50, 1..8),
            arcs in proptest::collection::vec((0usize..6, 0usize..8, -20i64..5), 0..30),
            later in proptest::collection::vec((0usize..6, 0usize..8, -20i64..5), 0..8),
            reward in proptest::option::of((0usize..8, 1i64..20)),
        ) {
            let (s, d) = (supplies.len(), demands.len());
            let mut net = supplies_then_demands(&supplies, &demands);
            for (u, v, cost) in arcs {
                if u < s && v < d { net.add_arc(u, s + v, INF, cost); }
            }
            let added: Vec<(usize, usize, i64)> = later.into_iter().filter(|&(u, v, _)| u < s && v < d).map(|(u, v, c)| (u, s + v, c)).collect();
            let mut plain = Solver::with_free_disposal(&net, 20).unwrap();
            let mut renumbered = Solver::start_with(&net, 20, true, |s| s.always_relabel = true).unwrap();
            let mut whole = net.clone();
            for &(u, v, c) in &added { whole.add_arc(u, v, INF, c); }
            let cost = |flow: &[i64]| flow.iter().zip(&whole.cost).map(|(f, c)| f * c).sum::<i64>();
            for solver in [&mut plain, &mut renumbered] {
                solver.add_arcs_and_resolve(&added).unwrap();
                if let Some((need, r)) = reward.filter(|&(need, _)| need < d) {
                    solver.resolve_with_unmet_costs(&[(s + need, -r)]);
                }
            }
            let (a, b) = (plain.flow().unwrap(), renumbered.flow().unwrap());
            proptest::prop_assert_eq!(cost(&a), cost(&b));
            let pi = renumbered.potentials();
            for e in 0..whole.source.len() {
                let reduced = whole.cost[e] + pi[whole.source[e]] - pi[whole.target[e]];
                proptest::prop_assert!(reduced >= 0 || b[e] > 0, "arc {} prices at {} with no flow", e, reduced);
            }
        }
    }

    #[test]
    fn an_arc_to_no_node_or_above_the_bound_is_refused_and_nothing_added() {
        let mut net = Network::with_nodes(2);
        net.supply = vec![5, -5];
        net.add_arc(0, 1, INF, -1);
        let mut solver = Solver::with_free_disposal(&net, 10).unwrap();
        assert_eq!(solver.add_arcs_and_resolve(&[(0, 1, -2), (0, 7, -2)]), Err(SimplexError::InvalidArc));
        assert_eq!(solver.add_arcs_and_resolve(&[(0, 1, -11)]), Err(SimplexError::InvalidArc));
        assert_eq!(solver.flow().unwrap(), vec![5]);
        assert_eq!(solver.add_arcs_and_resolve(&[(0, 1, -2)]), Ok(()));
        assert_eq!(solver.flow().unwrap(), vec![0, 5]);
    }

    #[test]
    fn the_shuffle_is_a_fixed_permutation() {
        for n in [0, 1, 2, 1000] {
            let order = shuffled(n);
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..n as u32).collect::<Vec<_>>());
            assert_eq!(order, shuffled(n), "the same order every time");
        }
        assert_ne!(shuffled(1000), (0..1000).collect::<Vec<u32>>());
    }

    #[test]
    fn infeasible_and_unbalanced() {
        let mut net = Network::with_nodes(2);
        net.supply = vec![5, -5];
        net.add_arc(0, 1, 3, 1);
        assert_eq!(solve(&net), Err(SimplexError::Infeasible));
        net.supply = vec![5, -4];
        assert_eq!(solve(&net), Err(SimplexError::Unbalanced));
    }
}
