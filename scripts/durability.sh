#!/usr/bin/env bash
# Durability under kill -9 (docs/operations.md): four clients write pledges
# through the API while the server is killed ROUNDS times at random moments
# and restarted — every acknowledged write must be there and the audit chain
# must verify; then a CLI import of 20,000 needs is killed mid-way ROUNDS
# times — nothing or everything, never part. On SQLite, and on PostgreSQL
# when TALLINN_TEST_POSTGRES_URL names a server. CI runs 3 rounds.
# Usage: scripts/durability.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
TALLINN_DURABILITY_ROUNDS=${1:-30} cargo test --release -p tallinn --test it durability -- --nocapture --test-threads 1 2>&1 | grep -E '^durability|panicked|test result'
