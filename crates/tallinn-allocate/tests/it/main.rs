//! Property tests of the allocation engine against an independent exact
//! solver, and the input contract.

mod dedup_eval;

use std::collections::BTreeMap;

use proptest::prelude::*;
use tallinn_allocate::model::{Need, Pledge, Weights};
use tallinn_allocate::{Instance, SCORE_SCALE, allocate, allocate_pricing_in, parse_instance};
use tallinn_core::need::{Capability, Sector, Urgency};

/// Min-cost max-flow by successive shortest paths (Bellman-Ford) on the
/// uncompressed graph: an independent check of the network simplex.
/// Returns the optimal Σ score·euros, forcing the needs in `whole` to be
/// funded in full (None if that is infeasible) and excluding `excluded`.
fn exact(inst: &Instance, whole: &[usize], excluded: &[usize]) -> Option<f64> {
    const BIG: i64 = 1 << 40;
    let (np, nn) = (inst.pledges.len(), inst.needs.len());
    let (s, t) = (np + nn, np + nn + 1);
    // edges: (to, cap, cost), with reverse edges at index ^ 1
    let mut to = Vec::new();
    let mut cap = Vec::new();
    let mut cost = Vec::new();
    let mut adj = vec![Vec::new(); np + nn + 2];
    let mut add = |u: usize, v: usize, c: i64, w: i64, adj: &mut Vec<Vec<usize>>| {
        adj[u].push(to.len());
        to.push(v);
        cap.push(c);
        cost.push(w);
        adj[v].push(to.len());
        to.push(u);
        cap.push(0);
        cost.push(-w);
    };
    let mut supply = 0;
    for (j, p) in inst.pledges.iter().enumerate() {
        add(s, j, p.balance, 0, &mut adj);
        add(j, t, p.balance, 0, &mut adj);
        supply += p.balance;
        for (i, n) in inst.needs.iter().enumerate() {
            if p.admits(n) {
                add(j, np + i, i64::MAX / 4, -(inst.score(p, n) * SCORE_SCALE).round() as i64, &mut adj);
            }
        }
    }
    for (i, n) in inst.needs.iter().enumerate() {
        let c = if excluded.contains(&i) { 0 } else { n.remainder };
        add(np + i, t, c, if whole.contains(&i) { -BIG } else { 0 }, &mut adj);
    }
    let (mut flow, mut total) = (0i64, 0i128);
    while flow < supply {
        let mut dist = vec![i64::MAX; np + nn + 2];
        let mut prev = vec![usize::MAX; np + nn + 2];
        dist[s] = 0;
        for _ in 0..np + nn + 2 {
            let mut changed = false;
            for u in 0..np + nn + 2 {
                if dist[u] == i64::MAX {
                    continue;
                }
                for &e in &adj[u] {
                    if cap[e] > 0 && dist[u] + cost[e] < dist[to[e]] {
                        dist[to[e]] = dist[u] + cost[e];
                        prev[to[e]] = e;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let mut push = supply - flow;
        let mut v = t;
        while v != s {
            let e = prev[v];
            push = push.min(cap[e]);
            v = to[e ^ 1];
        }
        let mut v = t;
        while v != s {
            let e = prev[v];
            cap[e] -= push;
            cap[e ^ 1] += push;
            v = to[e ^ 1];
        }
        flow += push;
        total += i128::from(push) * i128::from(dist[t]);
    }
    // Forced needs must be saturated.
    for &i in whole {
        let e = adj[np + i].iter().copied().find(|&e| to[e] == t && e % 2 == 0).unwrap();
        if cap[e] != 0 {
            return None;
        }
    }
    let bonus: i128 = whole.iter().map(|&i| i128::from(BIG) * i128::from(inst.needs[i].remainder)).sum();
    Some(-((total + bonus) as f64) / SCORE_SCALE / 100.0)
}

/// The exact optimum with all-or-nothing needs: every subset of them is
/// either funded whole or not at all.
fn exact_integer(inst: &Instance) -> f64 {
    let aon: Vec<usize> = (0..inst.needs.len()).filter(|&i| !inst.needs[i].divisible).collect();
    let mut best = f64::MIN;
    for mask in 0..(1u32 << aon.len()) {
        let whole: Vec<usize> = aon.iter().enumerate().filter(|(k, _)| mask & (1 << k) != 0).map(|(_, i)| *i).collect();
        let excluded: Vec<usize> = aon.iter().copied().filter(|i| !whole.contains(i)).collect();
        if let Some(v) = exact(inst, &whole, &excluded) {
            best = best.max(v);
        }
    }
    best
}

fn cents(text: &str) -> i64 {
    tallinn_core::money::parse_minor("amount", text, 2).unwrap()
}

/// Every result must be feasible.
fn check_feasible(inst: &Instance, sol: &tallinn_allocate::Solution) {
    let mut to_need: BTreeMap<&str, i64> = BTreeMap::new();
    let mut from_pledge: BTreeMap<&str, i64> = BTreeMap::new();
    for a in &sol.allocations {
        let c = cents(&a.amount_eur);
        assert!(c > 0, "positive whole cents");
        let need = inst.needs.iter().find(|n| n.id == a.need).unwrap();
        let pledge = inst.pledges.iter().find(|p| p.id == a.pledge).unwrap();
        assert!(pledge.admits(need), "earmarks respected: {} -> {}", a.pledge, a.need);
        *to_need.entry(&need.id).or_default() += c;
        *from_pledge.entry(&pledge.id).or_default() += c;
    }
    for n in &inst.needs {
        let got = to_need.get(n.id.as_str()).copied().unwrap_or(0);
        assert!(got <= n.remainder, "need {} over-funded", n.id);
        if !n.divisible {
            assert!(got == 0 || got == n.remainder, "all-or-nothing need {} funded in part", n.id);
        }
        let listed = sol.unfunded.iter().find(|u| u.need == n.id).map(|u| cents(&u.remainder_eur)).unwrap_or(0);
        assert_eq!(listed, n.remainder - got, "unfunded list for {}", n.id);
    }
    for p in &inst.pledges {
        assert!(from_pledge.get(p.id.as_str()).copied().unwrap_or(0) <= p.balance, "pledge {} over-drawn", p.id);
    }
}

fn arb_instance(allow_aon: bool) -> impl Strategy<Value = Instance> {
    let caps = [Capability::Detect, Capability::Remediate, Capability::Resilience];
    let sectors = [Sector::Energy, Sector::Health];
    let bens = ["UA-A", "UA-B", "UA-C"];
    let urg = [Urgency::Critical, Urgency::High, Urgency::Medium, Urgency::Low];
    let factors = [0.5, 1.0, 1.5, 2.0];
    let need = (0..3usize, 0..2usize, 0..3usize, 0..4usize, 1i64..2_000, any::<bool>(), 0..4usize);
    let pledge = (
        1i64..3_000,
        prop::collection::vec(0..3usize, 0..2),
        prop::collection::vec(0..2usize, 0..2),
        prop::collection::vec(0..3usize, 0..2),
        prop::option::of((0..3usize, 0..4usize)),
    );
    (prop::collection::vec(need, 1..7), prop::collection::vec(pledge, 1..5)).prop_map(move |(ns, ps)| {
        let needs = ns
            .into_iter()
            .enumerate()
            .map(|(i, (c, s, b, u, r, d, f))| Need {
                id: format!("N-{i}"),
                beneficiary: bens[b].into(),
                capability: caps[c],
                sector: sectors[s],
                urgency: urg[u],
                remainder: r * 100,
                divisible: d || !allow_aon,
                threat: factors[f],
                // One need in five is reserved for the first pledge's donor.
                donors: (r % 5 == 0).then(|| vec!["D0".to_string()]),
            })
            .collect();
        let pledges = ps
            .into_iter()
            .enumerate()
            .map(|(j, (b, cs, ss, bs, pref))| {
                let mut capabilities: Vec<_> = cs.into_iter().map(|c| caps[c]).collect();
                capabilities.sort();
                capabilities.dedup();
                let mut sectors_: Vec<_> = ss.into_iter().map(|s| sectors[s]).collect();
                sectors_.sort();
                sectors_.dedup();
                let mut beneficiaries: Vec<String> = bs.into_iter().map(|b| bens[b].to_string()).collect();
                beneficiaries.sort();
                beneficiaries.dedup();
                Pledge {
                    id: format!("P-{j}"),
                    donor: format!("D{}", j % 2),
                    balance: b * 100 + 37,
                    capabilities,
                    sectors: sectors_,
                    beneficiaries,
                    preferences: pref.map(|(b, f)| BTreeMap::from([(bens[b].to_string(), factors[f])])).unwrap_or_default(),
                }
            })
            .collect();
        Instance { needs, pledges, weights: Weights::default() }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn divisible_results_are_feasible_and_optimal(inst in arb_instance(false)) {
        let sol = allocate(&inst).unwrap();
        check_feasible(&inst, &sol);
        let ours: f64 = sol.objective.parse().unwrap();
        let best = exact(&inst, &[], &[]).unwrap();
        prop_assert!((ours - best).abs() <= 1e-6 * best.max(1.0) + 0.01, "ours {ours}, exact {best}");
        prop_assert_eq!(sol.gap, 0.0);
        prop_assert_eq!(&sol.objective, &sol.upper_bound);
        // Deterministic.
        prop_assert_eq!(sol.allocations, allocate(&inst).unwrap().allocations);
        // Pricing in one arc per pledge class and round reaches the same optimum.
        let one_by_one = allocate_pricing_in(&inst, 1).unwrap();
        check_feasible(&inst, &one_by_one);
        let theirs: f64 = one_by_one.objective.parse().unwrap();
        prop_assert!((theirs - best).abs() <= 1e-6 * best.max(1.0) + 0.01, "one by one {theirs}, exact {best}");
    }

    #[test]
    fn all_or_nothing_results_are_feasible_and_bounded(inst in arb_instance(true)) {
        let sol = allocate(&inst).unwrap();
        check_feasible(&inst, &sol);
        let ours: f64 = sol.objective.parse().unwrap();
        let bound: f64 = sol.upper_bound.parse().unwrap();
        let lp = exact(&inst, &[], &[]).unwrap();
        let integer = exact_integer(&inst);
        prop_assert!((bound - lp).abs() <= 1e-6 * lp.max(1.0) + 0.01, "bound {bound} is the LP {lp}");
        prop_assert!(ours <= integer + 0.01 && integer <= bound + 0.01, "ours {ours} <= integer {integer} <= bound {bound}");
        prop_assert!((0.0..=1.0).contains(&sol.gap));
    }
}

#[test]
fn the_issue_example() {
    let json = r#"{"needs": [{"id": "N-1", "beneficiary": "UA-MINDIGIT", "capability": "detect", "sector": "energy", "urgency": "critical", "remainder_eur": "125000.00", "divisible": true, "threat_factor": 1.0}],
                  "pledges": [{"id": "P-1", "donor": "EE", "balance_eur": "500000.00", "capabilities": ["detect"], "sectors": [], "beneficiaries": [], "preferences": {"UA-MINDIGIT": 1.5}}],
                  "weights": {"critical": 8, "high": 4, "medium": 2, "low": 1}}"#;
    let sol = allocate(&parse_instance(json).unwrap()).unwrap();
    assert_eq!(sol.allocations.len(), 1);
    let a = &sol.allocations[0];
    assert_eq!((a.pledge.as_str(), a.need.as_str(), a.amount_eur.as_str(), a.score_per_eur), ("P-1", "N-1", "125000.00", 12.0));
    assert!(a.reason.contains("critical need (weight 8)") && a.reason.contains("preference 1.5") && a.reason.contains("capability detect"), "{}", a.reason);
    assert_eq!((sol.objective.as_str(), sol.upper_bound.as_str(), sol.gap), ("1500000.00", "1500000.00", 0.0));
    assert!(sol.unfunded.is_empty());
}

#[test]
fn urgency_wins_and_gaps_are_ranked() {
    let json = r#"{"needs": [
        {"id": "low", "beneficiary": "UA-A", "capability": "detect", "sector": "energy", "urgency": "low", "remainder_eur": "100.00"},
        {"id": "crit", "beneficiary": "UA-A", "capability": "detect", "sector": "energy", "urgency": "critical", "remainder_eur": "100.00"},
        {"id": "high", "beneficiary": "UA-B", "capability": "detect", "sector": "energy", "urgency": "high", "remainder_eur": "100.00", "threat_factor": 3}],
      "pledges": [{"id": "P", "donor": "EE", "balance_eur": "150.00"}]}"#;
    let sol = allocate(&parse_instance(json).unwrap()).unwrap();
    let got: Vec<(&str, &str)> = sol.allocations.iter().map(|a| (a.need.as_str(), a.amount_eur.as_str())).collect();
    // In input order of (pledge, need): high x threat 3 = 12 beats critical 8, which gets the rest.
    assert_eq!(got, vec![("crit", "50.00"), ("high", "100.00")]);
    let gaps: Vec<&str> = sol.unfunded.iter().map(|u| u.need.as_str()).collect();
    assert_eq!(gaps, ["crit", "low"], "ranked by urgency x threat");
}

#[test]
fn bad_input_names_the_problem() {
    let need = |extra: &str| {
        format!(
            r#"{{"needs": [{{"id": "N-1", "beneficiary": "UA-A", "capability": "detect", "sector": "energy", "urgency": "high", "remainder_eur": "10.00"{extra}}}], "pledges": []}}"#
        )
    };
    let cases = [
        (need("").replace("\"high\"", "\"urgentish\""), "unknown urgency 'urgentish'"),
        (need("").replace("10.00", "-10.00"), "needs[0].remainder_eur: '-10.00' is not a valid amount: amounts cannot be negative"),
        (need("").replace("10.00", "10.001"), "more than 2 decimal places"),
        (need(r#", "threat_factor": -1"#), "needs[0].threat_factor"),
        (need(r#", "colour": "red""#), "unknown field `colour`"),
        (r#"{"needs": [{"id": "N-1", "beneficiary": "UA-A", "capability": "detect", "sector": "energy", "urgency": "high", "remainder_eur": "1.00"}, {"id": "N-1", "beneficiary": "UA-A", "capability": "detect", "sector": "energy", "urgency": "high", "remainder_eur": "1.00"}], "pledges": []}"#.to_string(), "duplicate need id 'N-1'"),
        (need("").replace(r#""pledges": []"#, r#""pledges": [{"id": "P", "donor": "EE", "balance_eur": "1.00", "preferences": {"N-9": 2}}]"#), "'N-9' is neither a need id nor a beneficiary"),
        (need("").replace(r#""pledges": []"#, r#""pledges": [{"id": "P", "donor": "EE", "balance_eur": "1.00", "beneficiaries": ["UA-Z"]}]"#), "unknown beneficiary 'UA-Z'"),
        ("{\"needs\": [".to_string(), "EOF while parsing"),
    ];
    for (json, expected) in cases {
        let e = parse_instance(&json).unwrap_err().to_string();
        assert!(e.contains(expected), "expected '{expected}' in '{e}'");
    }
}

/// The benchmark's generators — the friendly one and those built to defeat
/// compression (continuous threat factors, preferences on every pledge,
/// some below 1, all-or-nothing needs) — at sizes the independent solver
/// answers: the engine's optimum is the exact one.
#[test]
fn every_generator_at_small_sizes_gives_the_exact_optimum() {
    use tallinn_allocate::generate::{Shape, instance};
    for (shape, per_pledge) in Shape::ALL.into_iter().flat_map(|s| [(s, usize::MAX), (s, 1)]) {
        for seed in 0..12 {
            let inst = instance(shape, 60, 12, seed);
            // All the arcs of favoured and reluctant cells at once, and one per pledge class and round.
            let sol = allocate_pricing_in(&inst, per_pledge).unwrap();
            check_feasible(&inst, &sol);
            let ours: f64 = sol.objective.parse().unwrap();
            if shape == Shape::Lumpy {
                let bound: f64 = sol.upper_bound.parse().unwrap();
                let lp = exact(&inst, &[], &[]).unwrap();
                assert!((bound - lp).abs() <= 1e-6 * lp.max(1.0) + 0.01, "{shape:?} {seed} (at most {per_pledge} a round): bound {bound} is the LP {lp}");
                assert!(ours <= bound + 0.01, "{shape:?} {seed}");
            } else {
                let best = exact(&inst, &[], &[]).unwrap();
                assert!((ours - best).abs() <= 1e-6 * best.max(1.0) + 0.01, "{shape:?} {seed} (at most {per_pledge} a round): ours {ours}, exact {best}");
                assert_eq!(sol.gap, 0.0);
            }
        }
    }
}
