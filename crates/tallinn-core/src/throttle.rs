//! Sign-in throttling: progressive delays that slow a password guesser
//! without locking the real user out (ADR 0012).
//!
//! Failures are counted over a sliding window in three ways, each with its
//! own free allowance and its own growing delay after the last failure:
//!
//! | counted by | free | then the next attempt waits |
//! |---|---|---|
//! | this account from this address | 5 | 1 s, 2 s, 4 s … doubling, at most 5 min |
//! | this account from every address | 20 | 1 s more per failure, at most 30 s |
//! | this address, for every account | 50 | 1 s more per failure, at most 60 s |
//!
//! So a guesser at one address is slowed to a few guesses an hour against
//! one account; a guesser at many addresses makes the account wait at most
//! 30 s between attempts — the real user, at another address, waits at
//! most that long, never 15 minutes; and one address spraying many
//! accounts is slowed too. Tokens are never throttled.

/// Failures are counted over this window.
pub const WINDOW_MICROS: i64 = 15 * 60 * 1_000_000;

/// One count: how many failures in the window, and when the last was.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    pub failures: i64,
    /// Microseconds since the epoch of the most recent failure.
    pub last: i64,
}

/// The three counts of one sign-in attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    pub account_at_address: Count,
    pub account: Count,
    pub address: Count,
}

const SECOND: i64 = 1_000_000;

fn doubling(failures: i64, free: i64, max_seconds: i64) -> i64 {
    if failures < free {
        return 0;
    }
    let exponent = (failures - free).min(20) as u32;
    (SECOND << exponent).min(max_seconds * SECOND)
}

fn linear(failures: i64, free: i64, max_seconds: i64) -> i64 {
    if failures < free { 0 } else { ((failures - free + 1) * SECOND).min(max_seconds * SECOND) }
}

/// When (microseconds since the epoch) the next attempt may be made, if
/// that is after `now`.
pub fn next_attempt(f: &Failures, now: i64) -> Option<i64> {
    let at = [
        f.account_at_address.last + doubling(f.account_at_address.failures, 5, 300),
        f.account.last + linear(f.account.failures, 20, 30),
        f.address.last + linear(f.address.failures, 50, 60),
    ]
    .into_iter()
    .zip([f.account_at_address.failures, f.account.failures, f.address.failures])
    .filter(|(_, failures)| *failures > 0)
    .map(|(at, _)| at)
    .max()?;
    (at > now).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(failures: i64, last: i64) -> Count {
        Count { failures, last }
    }

    #[test]
    fn a_few_mistakes_cost_nothing_then_delays_grow() {
        let now = 1_000 * SECOND;
        let at = |n| next_attempt(&Failures { account_at_address: count(n, now), account: count(n, now), address: count(n, now) }, now);
        assert_eq!(at(4), None);
        assert_eq!(at(5), Some(now + SECOND));
        assert_eq!(at(6), Some(now + 2 * SECOND));
        assert_eq!(at(12), Some(now + 128 * SECOND));
        assert_eq!(at(40), Some(now + 300 * SECOND), "at most five minutes");
    }

    #[test]
    fn the_real_user_elsewhere_waits_seconds_not_minutes() {
        let now = 1_000 * SECOND;
        // 500 failures against the account from many addresses, none from here.
        let f = Failures { account_at_address: Count::default(), account: count(500, now), address: Count::default() };
        assert_eq!(next_attempt(&f, now), Some(now + 30 * SECOND));
        assert_eq!(next_attempt(&f, now + 30 * SECOND), None);
        // One address spraying many accounts.
        let f = Failures { account_at_address: count(1, now), account: count(1, now), address: count(70, now) };
        assert_eq!(next_attempt(&f, now), Some(now + 21 * SECOND));
    }
}
