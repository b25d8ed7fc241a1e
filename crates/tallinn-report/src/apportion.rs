//! Exact apportionment of an amount in proportion to weights: integer minor
//! units in, integer minor units out, the parts summing to the whole (the
//! largest-remainder method). Used to attribute a pledge-level flow to the
//! needs the pledge funds.

/// Splits `amount` in proportion to `weights` (all ≥ 0, not all zero). The
/// parts sum to `amount` exactly; units left over after rounding down go to
/// the largest remainders, ties to the earlier weight.
pub fn apportion(amount: i64, weights: &[i64]) -> Vec<i64> {
    let total: i128 = weights.iter().map(|&w| i128::from(w.max(0))).sum();
    if total == 0 {
        return vec![0; weights.len()];
    }
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut given: i128 = 0;
    for (i, &w) in weights.iter().enumerate() {
        let exact = i128::from(amount) * i128::from(w.max(0));
        let part = exact.div_euclid(total);
        given += part;
        parts.push(part as i64);
        remainders.push((exact.rem_euclid(total), i));
    }
    let left = (i128::from(amount) - given) as usize;
    if left > 0 {
        // Largest remainder first, then the earlier index.
        remainders.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, i) in remainders.iter().take(left) {
            parts[i] += 1;
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::apportion;

    #[test]
    fn splits_exactly() {
        assert_eq!(apportion(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(apportion(10_000, &[600, 400]), vec![6_000, 4_000]);
        assert_eq!(apportion(7, &[0, 5]), vec![0, 7]);
        assert_eq!(apportion(5, &[0, 0]), vec![0, 0]);
        assert_eq!(apportion(2, &[1, 1, 1]), vec![1, 1, 0]);
    }

    proptest! {
        #[test]
        fn parts_sum_to_the_whole_and_stay_within_one_unit(amount in 0i64..1_000_000_000_000, weights in prop::collection::vec(0i64..10_000_000_000, 1..12)) {
            let parts = apportion(amount, &weights);
            let total: i128 = weights.iter().map(|&w| i128::from(w)).sum();
            if total == 0 {
                prop_assert!(parts.iter().all(|&p| p == 0));
            } else {
                prop_assert_eq!(parts.iter().sum::<i64>(), amount);
                for (p, w) in parts.iter().zip(&weights) {
                    let exact = i128::from(amount) * i128::from(*w);
                    prop_assert!(i128::from(*p) * total <= exact + total && exact < (i128::from(*p) + 1) * total + total);
                }
            }
        }
    }
}
