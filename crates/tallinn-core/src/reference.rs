//! Reference data loaded by every `tallinn init` (docs/product.md: reference data): the real
//! participants and the real public announcement. Nothing here is invented:
//! where a public source gives no date, the field is empty, and no per-donor
//! split of the announced totals exists here or anywhere in Tallinn.

use crate::participant::{PartialDate, Participant, ParticipantKind};

/// Code of the beneficiary country.
pub const UKRAINE: &str = "UA";
/// Code of the project office.
pub const OFFICE: &str = "TMPO";

/// (code, name, joined) of the 13 members.
pub const MEMBERS: &[(&str, &str, Option<&str>)] = &[
    ("CA", "Canada", None),
    ("DK", "Denmark", None),
    ("EE", "Estonia", None),
    ("FI", "Finland", Some("2025")),
    ("FR", "France", None),
    ("DE", "Germany", None),
    ("IT", "Italy", None),
    ("NL", "Netherlands", None),
    ("NO", "Norway", Some("2025")),
    ("PL", "Poland", None),
    ("SE", "Sweden", None),
    ("GB", "United Kingdom", None),
    ("US", "United States", None),
];

/// (code, name, joined) of the 4 observers.
pub const OBSERVERS: &[(&str, &str, Option<&str>)] =
    &[("EU", "European Union", None), ("NATO", "NATO", None), ("WB", "World Bank", Some("2025")), ("CZ", "Czechia", None)];

/// Every reference participant, in a stable order.
pub fn participants() -> Vec<Participant> {
    let make = |code: &str, name: &str, kind, joined: Option<&str>| Participant {
        code: code.into(),
        name: name.into(),
        kind,
        parent: None,
        joined: joined.map(|d| PartialDate::try_from(d.to_string()).expect("reference dates are valid")),
        left: None,
        synthetic: false,
    };
    let mut all: Vec<Participant> = MEMBERS.iter().map(|(c, n, j)| make(c, n, ParticipantKind::Member, *j)).collect();
    all.extend(OBSERVERS.iter().map(|(c, n, j)| make(c, n, ParticipantKind::Observer, *j)));
    all.push(make(UKRAINE, "Ukraine", ParticipantKind::Beneficiary, None));
    all.push(make(OFFICE, "Tallinn Mechanism project office (front office Kyiv, back office Warsaw)", ParticipantKind::Office, None));
    all
}

/// The Paris announcement of 30–31 October 2025.
pub struct AnnouncementFact {
    pub date: &'static str,
    pub end_date: &'static str,
    pub place: &'static str,
    pub new_funding_eur_minor: i64,
    pub new_funding_year: i16,
    pub cumulative_eur_minor: i64,
    pub endorsers: &'static [&'static str],
    pub note: &'static str,
}

pub const PARIS_2025: AnnouncementFact = AnnouncementFact {
    date: "2025-10-30",
    end_date: "2025-10-31",
    place: "Paris",
    new_funding_eur_minor: 6_090_000_000,
    new_funding_year: 2025,
    cumulative_eur_minor: 24_170_000_000,
    endorsers: &["CA", "CZ", "DK", "EE", "EU", "FI", "FR", "DE", "IT", "NL", "NO", "PL", "SE", "GB"],
    note: "EUR 60.9 million of new support in 2025; EUR 241.7 million of coordinated civil support in total. In 2025 Ukraine concluded more than thirty international agreements in cybersecurity and the digital state. No per-donor split of these totals is public.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirteen_members_four_observers() {
        let all = participants();
        assert_eq!(all.iter().filter(|p| p.kind == ParticipantKind::Member).count(), 13);
        assert_eq!(all.iter().filter(|p| p.kind == ParticipantKind::Observer).count(), 4);
        assert!(all.iter().all(|p| p.validate().is_ok()));
        assert_eq!(PARIS_2025.endorsers.len(), 14);
        assert!(!PARIS_2025.endorsers.contains(&"US"));
    }
}
