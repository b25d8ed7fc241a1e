//! The binding search: find one assignment of observations to the pattern's
//! observation expressions that satisfies it, or prove there is none —
//! without enumerating bindings.
//!
//! An observation seen `number_observed` times offers that many instances;
//! instances of one observation are interchangeable, so the search counts
//! them instead of listing them. It is a depth-first search over the pattern
//! tree (continuation-passing, so AND, FOLLOWEDBY and REPEATS just chain),
//! pruned three ways:
//!
//! * time: every open `WITHIN`, `FOLLOWEDBY` and `START/STOP` scope keeps
//!   the bounds of what it has bound so far, and a candidate that would break
//!   one is never tried;
//! * symmetry: the copies of a `REPEATS` (and equal operands of an `AND`,
//!   turned into a `REPEATS` by the plan) are bound in order of their first
//!   observation, so each set of copies is tried once, not in every order;
//! * counting: after each choice, the observations still needed by the
//!   expressions that must still be bound are checked against the instances
//!   left, as a bipartite flow (Hall's condition), so a dead end is seen
//!   before it is walked.
//!
//! The reference enumerates every binding (N! orders under AND, every
//! combination under REPEATS) and filters them; its test of twenty
//! observations under `REPEATS 10 TIMES WITHIN 8 SECONDS` takes it seconds,
//! this search a few hundred steps.

use std::collections::HashMap;

use super::plan::{Node, NodeId, Plan};

/// A time bound kept while a qualified or ordered subtree is being bound.
#[derive(Debug, Clone, Copy)]
enum Scope {
    /// `WITHIN d`: the latest start and earliest end so far.
    Within { span: i64, latest_first: i64, earliest_last: i64 },
    /// The left of a `FOLLOWEDBY`: its latest start.
    Before { latest_first: i64 },
    /// The right of a `FOLLOWEDBY`: nothing may end before the left started.
    After { not_before: i64 },
    /// `START … STOP …`
    Window { start: i64, stop: i64 },
}

type Continuation<'k, 's> = dyn FnMut(&mut Search<'s>) -> bool + 'k;

pub(crate) struct Search<'s> {
    plan: &'s Plan,
    /// For each leaf, the observations that satisfy it, in order.
    candidates: &'s [Vec<u32>],
    first: &'s [i64],
    last: &'s [i64],
    /// Instances left per observation.
    left: Vec<u64>,
    scopes: Vec<Scope>,
    /// Observations bound so far, in binding order.
    bound: Vec<u32>,
    /// Bindings that must still be made beyond the subtree being searched
    /// (the counting check): leaf, count, and how many of the open scopes
    /// enclose them. A stack: continuations add and remove in LIFO order.
    pending: Vec<Demand>,
    /// The first observation the next REPEATS copy may start from.
    repeat_floor: Option<u32>,
}

impl<'s> Search<'s> {
    pub(crate) fn new(plan: &'s Plan, candidates: &'s [Vec<u32>], first: &'s [i64], last: &'s [i64], counts: Vec<u64>) -> Self {
        Search { plan, candidates, first, last, left: counts, scopes: Vec::new(), bound: Vec::new(), pending: Vec::new(), repeat_floor: None }
    }

    /// The observations of the first binding found, or `None`.
    pub(crate) fn run(mut self) -> Option<Vec<u32>> {
        let root = self.plan.root;
        self.add_pending(root, 1);
        let possible = self.feasible();
        self.remove_pending(root, 1);
        if !possible {
            return None;
        }
        let mut done = |_: &mut Search<'s>| true;
        if self.node(root, &mut done) {
            let mut obs = self.bound;
            obs.sort_unstable();
            obs.dedup();
            Some(obs)
        } else {
            None
        }
    }

    fn add_pending(&mut self, n: NodeId, times: u64) {
        self.add_pending_after(n, times, None);
    }

    /// `after`: the demand can only take observations from the one bound at
    /// that position on (the remaining copies of a repeated leaf).
    fn add_pending_after(&mut self, n: NodeId, times: u64, after: Option<usize>) {
        let scopes = self.scopes.len();
        for &(leaf, c) in &self.plan.mandatory[n] {
            if times > 0 {
                self.pending.push(Demand { leaf, count: c * times, scopes, after });
            }
        }
    }

    fn remove_pending(&mut self, n: NodeId, times: u64) {
        if times > 0 {
            let keep = self.pending.len() - self.plan.mandatory[n].len();
            debug_assert!(self.pending[keep..].iter().zip(&self.plan.mandatory[n]).all(|(d, (l, _))| d.leaf == *l), "pending demands are a stack");
            self.pending.truncate(keep);
        }
    }

    fn node(&mut self, n: NodeId, k: &mut Continuation<'_, 's>) -> bool {
        match self.plan.nodes[n] {
            Node::Leaf(l) => self.leaf(l, k),
            Node::Or(a, b) => self.node(a, k) || self.node(b, k),
            Node::And(a, b) => {
                self.add_pending(b, 1);
                let found = self.node(a, &mut |s: &mut Search<'s>| {
                    s.remove_pending(b, 1);
                    let found = s.node(b, k);
                    s.add_pending(b, 1);
                    found
                });
                self.remove_pending(b, 1);
                found
            }
            Node::FollowedBy(a, b) => {
                self.add_pending(b, 1);
                self.scopes.push(Scope::Before { latest_first: i64::MIN });
                let found = self.node(a, &mut |s: &mut Search<'s>| {
                    let before = s.scopes.pop().expect("the FOLLOWEDBY scope");
                    let Scope::Before { latest_first } = before else { unreachable!("scopes are closed in order") };
                    s.remove_pending(b, 1);
                    s.scopes.push(Scope::After { not_before: latest_first });
                    let found = s.scoped(b, k);
                    s.scopes.pop();
                    s.add_pending(b, 1);
                    s.scopes.push(before);
                    found
                });
                self.scopes.pop();
                self.remove_pending(b, 1);
                found
            }
            Node::Within(a, span) => {
                self.scopes.push(Scope::Within { span, latest_first: i64::MIN, earliest_last: i64::MAX });
                let found = self.scoped(a, k);
                self.scopes.pop();
                found
            }
            Node::StartStop(a, start, stop) => {
                if start >= stop {
                    return false;
                }
                self.scopes.push(Scope::Window { start, stop });
                let found = self.scoped(a, k);
                self.scopes.pop();
                found
            }
            Node::Repeat(a, times) => self.repeat(a, times, None, k),
        }
    }

    /// Binds `n` inside the scope on top of the stack, closing the scope
    /// while the rest of the pattern is bound (and reopening it on the way
    /// back).
    fn scoped(&mut self, n: NodeId, k: &mut Continuation<'_, 's>) -> bool {
        self.node(n, &mut |s: &mut Search<'s>| {
            let scope = s.scopes.pop().expect("the scope being closed");
            let found = k(s);
            s.scopes.push(scope);
            found
        })
    }

    fn repeat(&mut self, n: NodeId, copies: u64, floor: Option<u32>, k: &mut Continuation<'_, 's>) -> bool {
        if copies == 0 {
            return k(self);
        }
        let previous = self.repeat_floor;
        if floor.is_some() {
            self.repeat_floor = floor;
        }
        let start = self.bound.len();
        // Copies of a single leaf are bound in observation order, so the
        // remaining ones can only use observations from this copy's on.
        let after = matches!(self.plan.nodes[n], Node::Leaf(_)).then_some(start);
        self.add_pending_after(n, copies - 1, after);
        let found = self.node(n, &mut |s: &mut Search<'s>| {
            let first = s.bound[start];
            s.remove_pending(n, copies - 1);
            let found = s.repeat(n, copies - 1, Some(first), k);
            s.add_pending_after(n, copies - 1, after);
            found
        });
        self.remove_pending(n, copies - 1);
        if !found {
            self.repeat_floor = previous;
        }
        found
    }

    fn leaf(&mut self, l: usize, k: &mut Continuation<'_, 's>) -> bool {
        let floor = self.repeat_floor.take();
        let candidates: &'s [u32] = &self.candidates[l];
        let from = floor.map_or(0, |f| candidates.partition_point(|&o| o < f));
        for &o in &candidates[from..] {
            let i = o as usize;
            if self.left[i] == 0 || !self.fits(i) {
                continue;
            }
            let saved = self.scopes.clone();
            self.take(i);
            if self.feasible() && k(self) {
                return true;
            }
            self.scopes = saved;
            self.left[i] += 1;
            self.bound.pop();
        }
        self.repeat_floor = floor;
        false
    }

    /// Whether observation `i` can join every open scope.
    fn fits(&self, i: usize) -> bool {
        self.fits_within(i, self.scopes.len())
    }

    /// Whether observation `i` can join the outermost `depth` open scopes.
    fn fits_within(&self, i: usize, depth: usize) -> bool {
        let (first, last) = (self.first[i], self.last[i]);
        self.scopes[..depth].iter().all(|s| match *s {
            Scope::Within { span, latest_first, earliest_last } => {
                i128::from(latest_first.max(first)) - i128::from(earliest_last.min(last)) <= i128::from(span)
            }
            Scope::Before { .. } => true,
            Scope::After { not_before } => last >= not_before,
            Scope::Window { start, stop } => first < stop && last >= start,
        })
    }

    fn take(&mut self, i: usize) {
        let (first, last) = (self.first[i], self.last[i]);
        self.left[i] -= 1;
        self.bound.push(i as u32);
        for s in &mut self.scopes {
            match s {
                Scope::Within { latest_first, earliest_last, .. } => {
                    *latest_first = (*latest_first).max(first);
                    *earliest_last = (*earliest_last).min(last);
                }
                Scope::Before { latest_first } => *latest_first = (*latest_first).max(first),
                Scope::After { .. } | Scope::Window { .. } => {}
            }
        }
    }

    /// Whether the instances left can still give every pending demand its
    /// count of distinct instances, each among the observations that
    /// satisfy its leaf and fit the scopes enclosing it: a maximum flow from
    /// demands to observations, by augmenting paths. Time bounds between
    /// pending demands are ignored, so this is necessary, not sufficient.
    fn feasible(&self) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        let options: Vec<Vec<u32>> = self
            .pending
            .iter()
            .map(|d| {
                let floor = d.after.and_then(|p| self.bound.get(p).copied()).unwrap_or(0);
                let candidates = &self.candidates[d.leaf];
                let from = candidates.partition_point(|&o| o < floor);
                candidates[from..].iter().copied().filter(|&o| self.left[o as usize] > 0 && self.fits_within(o as usize, d.scopes)).collect()
            })
            .collect();
        for (d, options) in self.pending.iter().zip(&options) {
            let supply = options.iter().fold(0u64, |sum, &o| sum.saturating_add(self.left[o as usize]));
            if supply < d.count {
                return false;
            }
        }
        if self.pending.len() == 1 {
            return true;
        }
        let mut flow = Flow { left: &self.left, options: &options, used: HashMap::new(), assigned: vec![HashMap::new(); options.len()] };
        self.pending.iter().enumerate().all(|(j, d)| flow.satisfy(j, d.count))
    }
}

#[derive(Debug, Clone, Copy)]
struct Demand {
    leaf: usize,
    count: u64,
    scopes: usize,
    after: Option<usize>,
}

struct Flow<'f> {
    left: &'f [u64],
    /// Per demand, the observations it may take instances from.
    options: &'f [Vec<u32>],
    /// Instances of each observation given to some demand.
    used: HashMap<u32, u64>,
    /// Per demand, instances taken from each observation.
    assigned: Vec<HashMap<u32, u64>>,
}

impl Flow<'_> {
    fn satisfy(&mut self, j: usize, count: u64) -> bool {
        let mut missing = count;
        while missing > 0 {
            let mut visited = vec![false; self.options.len()];
            let pushed = self.augment(j, missing, &mut visited);
            if pushed == 0 {
                return false;
            }
            missing -= pushed;
        }
        true
    }

    /// Finds up to `amount` more instances for demand `j`, taking free ones
    /// or moving another demand's elsewhere.
    fn augment(&mut self, j: usize, amount: u64, visited: &mut [bool]) -> u64 {
        visited[j] = true;
        let options = self.options;
        for &o in &options[j] {
            let free = self.left[o as usize] - self.used.get(&o).copied().unwrap_or(0);
            if free > 0 {
                let x = free.min(amount);
                *self.used.entry(o).or_default() += x;
                *self.assigned[j].entry(o).or_default() += x;
                return x;
            }
        }
        for &o in &options[j] {
            for other in 0..options.len() {
                let held = self.assigned[other].get(&o).copied().unwrap_or(0);
                if visited[other] || held == 0 {
                    continue;
                }
                let moved = self.augment(other, held.min(amount), visited);
                if moved > 0 {
                    *self.assigned[other].get_mut(&o).expect("held") -= moved;
                    *self.assigned[j].entry(o).or_default() += moved;
                    return moved;
                }
            }
        }
        0
    }
}
