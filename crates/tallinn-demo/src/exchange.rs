//! The demo dataset's threat intelligence: identities of the demo
//! institutions with their sectors, indicators of every kind and TLP level,
//! and sightings in several sectors over the last 30 days, in the
//! `community` collection — so that the exchange, the threat factors and
//! the detection guide's examples are alive on a first run. Everything is
//! synthetic and says "(demo)"; ids are fixed, so loading twice adds nothing.

use jiff::Timestamp;
use serde_json::{Value, json};
use tallinn_core::participant::Role;
use tallinn_core::policy::{Principal, Tlp};
use tallinn_core::threat::stix_sector;

use tallinn_ledger::{COMMUNITY, Ledger, Result, StoreError};

use crate::INSTITUTIONS;

/// The demo's analyst, who shares the intelligence.
const ANALYST: (&str, &str) = ("demo.analyst", "UA-DEMO-CERT");

fn marking(tlp: Tlp) -> &'static str {
    tallinn_stix::marking::TLP_2.iter().find(|(t, _, _)| *t == tlp).map(|(_, id, _)| *id).unwrap_or_default()
}

fn id(kind: &str, n: usize) -> String {
    format!("{kind}--{}", uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("tallinn demo {kind} {n}").as_bytes()))
}

fn time(t: Timestamp) -> String {
    format!("{t:.3}")
}

/// The demo's indicators: (pattern, name, TLP, organisations an AMBER one
/// is addressed to).
const INDICATORS: &[(&str, &str, Tlp, &[&str])] = &[
    ("[ipv4-addr:value = '203.0.113.66']", "Wiper C2 server (demo)", Tlp::Green, &[]),
    ("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", "Scanning range (demo)", Tlp::Clear, &[]),
    ("[domain-name:value = 'update-check.example']", "Fake update domain (demo)", Tlp::Green, &[]),
    ("[domain-name:value LIKE '%.c2-relay.example']", "Relay domains (demo)", Tlp::Green, &[]),
    ("[url:value MATCHES '^https?://[^/]+/gate\\\\.php\\\\?id=[0-9]+$']", "Loader gate URL (demo)", Tlp::Amber, &["UA-DEMO-GRID", "UA-DEMO-ENERGY-E"]),
    ("[file:hashes.'SHA-256' = '5d41402abc4b2a76b9719d911017c592aa3f2b1c3e6d8f9a0b1c2d3e4f5a6b7c']", "Wiper sample (demo)", Tlp::Green, &[]),
    ("[file:name = 'svc_update.exe' AND file:size < 200000]", "Dropper (demo)", Tlp::AmberStrict, &[]),
    ("[network-traffic:dst_ref.value = '203.0.113.77' AND network-traffic:dst_port = 8443]", "Exfiltration channel (demo)", Tlp::Red, &[]),
];

/// Sightings: (indicator, institution, events, days ago, TLP).
const SIGHTINGS: &[(usize, usize, u64, i64, Tlp)] = &[
    (0, 3, 120, 2, Tlp::Green),
    (0, 2, 60, 5, Tlp::Green),
    (2, 3, 32, 9, Tlp::Green),
    (1, 4, 450, 1, Tlp::Clear),
    (3, 6, 18, 12, Tlp::Green),
    (5, 8, 3, 20, Tlp::Green),
    (2, 9, 7, 25, Tlp::Green),
    (4, 3, 11, 4, Tlp::Amber),
    (0, 5, 2, 45, Tlp::Green),
];

/// Shares the demo intelligence in `community` as the demo analyst.
pub(crate) async fn load(ledger: &Ledger, now: Timestamp) -> Result<()> {
    let analyst = Principal::User { name: ANALYST.0.into(), org: ANALYST.1.into(), role: Role::Analyst };
    let created = time(now - jiff::SignedDuration::from_hours(24 * 60));
    let mut objects: Vec<Value> = Vec::new();
    for (code, name, sector) in INSTITUTIONS {
        objects.push(json!({"type": "identity", "spec_version": "2.1", "id": tallinn_detect::identity_id(code), "created": created, "modified": created,
            "name": name, "identity_class": "organization", "sectors": [stix_sector(*sector)], "object_marking_refs": [marking(Tlp::Green)]}));
    }
    for (n, (pattern, name, tlp, orgs)) in INDICATORS.iter().enumerate() {
        let mut i = json!({"type": "indicator", "spec_version": "2.1", "id": id("indicator", n), "created": created, "modified": created,
            "name": name, "description": "Synthetic indicator of the demo dataset (demo).", "indicator_types": ["malicious-activity"],
            "pattern": pattern, "pattern_type": "stix", "valid_from": created, "object_marking_refs": [marking(*tlp)]});
        if !orgs.is_empty() {
            i["x_tallinn_share_orgs"] = json!(orgs);
        }
        if matches!(tlp, Tlp::AmberStrict | Tlp::Red) {
            i["x_tallinn_share_users"] = json!([ANALYST.0]);
        }
        objects.push(i);
    }
    for (n, (indicator, institution, count, days_ago, tlp)) in SIGHTINGS.iter().enumerate() {
        let last = now - jiff::SignedDuration::from_hours(24 * days_ago);
        let first = last - jiff::SignedDuration::from_hours(6);
        let by = tallinn_detect::identity_id(INSTITUTIONS[*institution].0);
        objects.push(json!({"type": "sighting", "spec_version": "2.1", "id": id("sighting", n), "created": time(last), "modified": time(last),
            "created_by_ref": by, "sighting_of_ref": id("indicator", *indicator), "count": count, "first_seen": time(first), "last_seen": time(last),
            "where_sighted_refs": [by], "description": "Synthetic sighting of the demo dataset (demo).", "object_marking_refs": [marking(*tlp)]}));
    }
    let raw: Vec<Box<serde_json::value::RawValue>> = objects.iter().filter_map(|o| serde_json::value::to_raw_value(o).ok()).collect();
    let status = ledger.add_stix_objects(analyst, COMMUNITY, &raw).await?;
    if let Some(f) = status.failures.first() {
        return Err(StoreError::Corrupt(format!("demo intelligence refused: {} {}", f.id, f.message.as_deref().unwrap_or(""))));
    }
    Ok(())
}
