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
    /// How many more bindings each leaf must still get, beyond the subtree
    /// being searched (the counting check).
    pending: Vec<u64>,
    pending_total: u64,
    /// The first observation the next REPEATS copy may start from.
    repeat_floor: Option<u32>,
}

impl<'s> Search<'s> {
    pub(crate) fn new(plan: &'s Plan, candidates: &'s [Vec<u32>], first: &'s [i64], last: &'s [i64], counts: Vec<u64>) -> Self {
        Search {
            plan,
            candidates,
            first,
            last,
            left: counts,
            scopes: Vec::new(),
            bound: Vec::new(),
            pending: vec![0; plan.leaves.len()],
            pending_total: 0,
            repeat_floor: None,
        }
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
        for &(leaf, c) in &self.plan.mandatory[n] {
            self.pending[leaf] += c * times;
            self.pending_total += c * times;
        }
    }

    fn remove_pending(&mut self, n: NodeId, times: u64) {
        for &(leaf, c) in &self.plan.mandatory[n] {
            self.pending[leaf] -= c * times;
            self.pending_total -= c * times;
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
        self.add_pending(n, copies - 1);
        let start = self.bound.len();
        let found = self.node(n, &mut |s: &mut Search<'s>| {
            let first = s.bound[start];
            s.remove_pending(n, copies - 1);
            let found = s.repeat(n, copies - 1, Some(first), k);
            s.add_pending(n, copies - 1);
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
        let (first, last) = (self.first[i], self.last[i]);
        self.scopes.iter().all(|s| match *s {
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

    /// Whether the instances left can still give every pending leaf its
    /// count of distinct instances: a maximum flow from leaves (demands) to
    /// observations (instances left), by augmenting paths.
    fn feasible(&self) -> bool {
        if self.pending_total == 0 {
            return true;
        }
        let demands: Vec<(usize, u64)> = self.pending.iter().enumerate().filter(|(_, d)| **d > 0).map(|(l, d)| (l, *d)).collect();
        for &(l, d) in &demands {
            let mut supply = 0u64;
            for &o in &self.candidates[l] {
                supply = supply.saturating_add(self.left[o as usize]);
                if supply >= d {
                    break;
                }
            }
            if supply < d {
                return false;
            }
        }
        if demands.len() == 1 {
            return true;
        }
        let mut flow = Flow { search: self, demands: &demands, used: HashMap::new(), assigned: vec![HashMap::new(); demands.len()] };
        (0..demands.len()).all(|j| flow.satisfy(j))
    }
}

struct Flow<'f, 's> {
    search: &'f Search<'s>,
    demands: &'f [(usize, u64)],
    /// Instances of each observation given to some leaf.
    used: HashMap<u32, u64>,
    /// Per demand, instances taken from each observation.
    assigned: Vec<HashMap<u32, u64>>,
}

impl Flow<'_, '_> {
    fn satisfy(&mut self, j: usize) -> bool {
        let mut missing = self.demands[j].1;
        while missing > 0 {
            let mut visited = vec![false; self.demands.len()];
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
        let candidates = &self.search.candidates[self.demands[j].0];
        for &o in candidates {
            let free = self.search.left[o as usize] - self.used.get(&o).copied().unwrap_or(0);
            if free > 0 {
                let x = free.min(amount);
                *self.used.entry(o).or_default() += x;
                *self.assigned[j].entry(o).or_default() += x;
                return x;
            }
        }
        for &o in candidates {
            for other in 0..self.demands.len() {
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
