//! API tokens: a fixed, greppable prefix and 160 random bits; only their
//! SHA-256 is stored.

use sha2::{Digest, Sha256};

/// Every token starts with this, so leaked tokens are easy to find in logs
/// and repositories.
pub const TOKEN_PREFIX: &str = "tallinn_";

/// Random bytes in a token.
pub const TOKEN_BYTES: usize = 20;

/// The token text for `random` bytes.
pub fn token_from_bytes(random: &[u8; TOKEN_BYTES]) -> String {
    format!("{TOKEN_PREFIX}{}", hex::encode(random))
}

/// Does the text look like one of our tokens?
pub fn is_token(text: &str) -> bool {
    text.strip_prefix(TOKEN_PREFIX).is_some_and(|rest| rest.len() == TOKEN_BYTES * 2 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The part of a token shown in lists: prefix and four random bytes.
pub fn token_display_prefix(token: &str) -> String {
    token.chars().take(TOKEN_PREFIX.len() + 8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let t = token_from_bytes(&[0xab; TOKEN_BYTES]);
        assert!(t.starts_with("tallinn_abab"));
        assert!(is_token(&t));
        assert!(!is_token("tallinn_xyz"));
        assert!(!is_token(&t.replace("tallinn_", "other_")));
        assert_eq!(token_hash(&t).len(), 64);
        assert_eq!(token_display_prefix(&t), "tallinn_abababab");
    }
}
