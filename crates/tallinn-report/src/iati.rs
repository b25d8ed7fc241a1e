//! The IATI 2.03 activity file: one `iati-activity` per funded need (with its
//! delivery project, if any), written from facts the caller has restricted to
//! TLP:CLEAR (the store builds them for the public reader).
//!
//! What each element holds (docs/guide/reports-and-iati.md, "IATI export"):
//! - `iati-identifier` = reporting-org ref + `-` + need id, unique by construction;
//! - participating-orgs: every donor whose pledge funds the need (role 1,
//!   funding), the beneficiary institution (role 2, accountable), the
//!   implementer of the project (role 4, implementing);
//! - sectors: a DAC 5-digit purpose code (vocabulary 1) chosen from the
//!   capability, and the capability itself (vocabulary 99, reporting
//!   organisation's own), each at 100 %;
//! - transactions: each allocation as a commitment (type 2) from the donor to
//!   the beneficiary, and each ledger flow linked to the need with its IATI
//!   type (1, 2, 3, 4, 12, 13); flows dated after today are left out (the IATI
//!   validator refuses future transactions) and counted;
//! - one budget (the need's cost) over at most one year from the start;
//! - dates: actual start when delivery began (else planned start at the first
//!   allocation), planned end at the deadline, actual end at delivery; an end
//!   before the start is left out.

use std::collections::BTreeSet;
use std::io;

use jiff::civil::Date;
use jiff::{Timestamp, tz::TimeZone};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use tallinn_core::money::format_minor;
use tallinn_core::need::{Capability, NeedStatus};

use crate::facts::{Facts, NeedFact};

/// Who publishes the file.
#[derive(Debug, Clone)]
pub struct IatiOptions {
    pub reporting_org_ref: String,
    pub reporting_org_name: String,
    /// IATI OrganisationType code (40 = multilateral).
    pub reporting_org_type: String,
    pub generated: Timestamp,
}

impl IatiOptions {
    pub fn new(generated: Timestamp) -> IatiOptions {
        IatiOptions {
            reporting_org_ref: "XM-TALLINN".into(),
            reporting_org_name: "Tallinn Mechanism project office".into(),
            reporting_org_type: "40".into(),
            generated,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IatiExport {
    pub xml: String,
    pub activities: usize,
    pub transactions: usize,
    pub future_transactions_left_out: usize,
}

/// The DAC 5-digit purpose code that best describes a capability.
pub fn dac_purpose(capability: Capability) -> (&'static str, &'static str) {
    match capability {
        Capability::Detect | Capability::Remediate | Capability::Resilience => ("15210", "Security system management and reform"),
        Capability::ImposeCost => ("15130", "Legal and judicial development"),
        Capability::DigitalState => ("15110", "Public sector policy and administrative management"),
        Capability::Connectivity => ("22040", "Information and communication technology (ICT)"),
    }
}

/// The IATI ActivityStatus code of a funded need.
fn activity_status(status: NeedStatus) -> &'static str {
    match status {
        NeedStatus::InDelivery => "2",
        NeedStatus::Delivered => "3",
        NeedStatus::Accepted => "4",
        _ => "1",
    }
}

fn day(t: Timestamp) -> Date {
    t.to_zoned(TimeZone::UTC).date()
}

struct Txn {
    code: u8,
    date: Date,
    eur_minor: i64,
    provider: String,
    receiver: String,
    description: &'static str,
}

pub fn export(facts: &Facts, opts: &IatiOptions) -> IatiExport {
    let today = day(opts.generated);
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    let mut counts = (0usize, 0usize, 0usize);
    write_file(&mut writer, facts, opts, today, &mut counts).expect("writing to memory cannot fail");
    let xml = String::from_utf8(writer.into_inner()).expect("quick-xml writes UTF-8 from UTF-8 input");
    IatiExport { xml: xml + "\n", activities: counts.0, transactions: counts.1, future_transactions_left_out: counts.2 }
}

fn write_file(w: &mut Writer<Vec<u8>>, facts: &Facts, opts: &IatiOptions, today: Date, counts: &mut (usize, usize, usize)) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let generated = opts.generated.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let pledges = facts.pledges_by_key();
    let mut funded: Vec<&NeedFact> = facts.needs.iter().filter(|n| n.is_funded()).collect();
    funded.sort_by_key(|n| n.key);
    w.create_element("iati-activities").with_attribute(("version", "2.03")).with_attribute(("generated-datetime", generated.as_str())).write_inner_content(
        |w| {
            for need in funded {
                let project = facts.projects.iter().find(|p| p.need == need.key);
                // Donors and commitments from the allocations the public may see.
                let mut donors: BTreeSet<&str> = BTreeSet::new();
                let mut txns: Vec<Txn> = Vec::new();
                let mut first_allocation: Option<Date> = None;
                for a in facts.allocations.iter().filter(|a| a.need == need.key) {
                    let Some(p) = pledges.get(&a.pledge) else { continue };
                    donors.insert(p.donor.as_str());
                    let date = day(a.at);
                    first_allocation = Some(first_allocation.map_or(date, |d: Date| d.min(date)));
                    txns.push(Txn {
                        code: 2,
                        date,
                        eur_minor: a.eur_minor,
                        provider: p.donor.clone(),
                        receiver: need.beneficiary.clone(),
                        description: "Allocation of a committed pledge",
                    });
                }
                for f in facts.flows.iter().filter(|f| f.need == Some(need.key)) {
                    txns.push(Txn {
                        code: f.kind.iati_code(),
                        date: f.value_date,
                        eur_minor: f.eur_minor,
                        provider: facts.org_code(f.provider).to_string(),
                        receiver: facts.org_code(f.receiver).to_string(),
                        description: "Funding flow",
                    });
                }
                // The IATI validator refuses transactions dated after today.
                txns.retain(|t| {
                    let keep = t.date <= today;
                    if !keep {
                        counts.2 += 1;
                    }
                    keep
                });
                txns.sort_by(|a, b| a.date.cmp(&b.date).then(a.code.cmp(&b.code)));
                let started = project.map(|p| day(p.started));
                let start = started.or(first_allocation).or(need.approved_at.map(day)).unwrap_or(today);
                counts.0 += 1;
                counts.1 += txns.len();
                write_activity(w, facts, opts, need, &generated, &donors, project.map(|p| p.implementer.as_str()), (started, start), &txns, project)?;
            }
            Ok(())
        },
    )?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn write_activity(
    w: &mut Writer<Vec<u8>>,
    facts: &Facts,
    opts: &IatiOptions,
    need: &NeedFact,
    generated: &str,
    donors: &BTreeSet<&str>,
    implementer: Option<&str>,
    (started, start): (Option<Date>, Date),
    txns: &[Txn],
    project: Option<&crate::facts::ProjectFact>,
) -> io::Result<()> {
    let identifier = format!("{}-{}", opts.reporting_org_ref, need.id);
    w.create_element("iati-activity")
        .with_attribute(("last-updated-datetime", generated))
        .with_attribute(("xml:lang", "en"))
        .with_attribute(("default-currency", "EUR"))
        .write_inner_content(|w| {
            w.create_element("iati-identifier").write_text_content(BytesText::new(&identifier))?;
            w.create_element("reporting-org")
                .with_attribute(("ref", opts.reporting_org_ref.as_str()))
                .with_attribute(("type", opts.reporting_org_type.as_str()))
                .write_inner_content(|w| narrative(w, &opts.reporting_org_name))?;
            w.create_element("title").write_inner_content(|w| narrative(w, &need.title))?;
            w.create_element("description").with_attribute(("type", "1")).write_inner_content(|w| narrative(w, &need.description))?;
            for donor in donors {
                org(w, "participating-org", "1", donor, facts.org_name(donor))?;
            }
            org(w, "participating-org", "2", &need.beneficiary, facts.org_name(&need.beneficiary))?;
            if let Some(implementer) = implementer {
                org(w, "participating-org", "4", implementer, facts.org_name(implementer))?;
            }
            w.create_element("activity-status").with_attribute(("code", activity_status(need.status))).write_empty()?;
            let start_text = start.to_string();
            match started {
                Some(_) => w.create_element("activity-date").with_attribute(("type", "2")).with_attribute(("iso-date", start_text.as_str())).write_empty()?,
                None => w.create_element("activity-date").with_attribute(("type", "1")).with_attribute(("iso-date", start_text.as_str())).write_empty()?,
            };
            if let Some(deadline) = need.deadline.filter(|d| *d >= start) {
                w.create_element("activity-date").with_attribute(("type", "3")).with_attribute(("iso-date", deadline.to_string().as_str())).write_empty()?;
            }
            if let Some(end) = project.and_then(|p| p.delivered_at).map(day).filter(|d| *d >= start) {
                w.create_element("activity-date").with_attribute(("type", "4")).with_attribute(("iso-date", end.to_string().as_str())).write_empty()?;
            }
            w.create_element("recipient-country").with_attribute(("code", "UA")).with_attribute(("percentage", "100")).write_empty()?;
            let (dac, dac_name) = dac_purpose(need.capability);
            w.create_element("sector")
                .with_attribute(("vocabulary", "1"))
                .with_attribute(("code", dac))
                .with_attribute(("percentage", "100"))
                .write_inner_content(|w| narrative(w, dac_name))?;
            w.create_element("sector")
                .with_attribute(("vocabulary", "99"))
                .with_attribute(("code", need.capability.as_str()))
                .with_attribute(("percentage", "100"))
                .write_inner_content(|w| narrative(w, &format!("Tallinn capability area: {}", need.capability)))?;
            // One budget of at most a year (an IATI rule), from the start.
            let period_end = need.deadline.filter(|d| *d >= start).unwrap_or(start).min(start.saturating_add(jiff::Span::new().days(364)));
            let period_end = period_end.max(start);
            w.create_element("budget").with_attribute(("type", "1")).with_attribute(("status", "1")).write_inner_content(|w| {
                w.create_element("period-start").with_attribute(("iso-date", start.to_string().as_str())).write_empty()?;
                w.create_element("period-end").with_attribute(("iso-date", period_end.to_string().as_str())).write_empty()?;
                value(w, need.cost_eur_minor, start)
            })?;
            for t in txns {
                w.create_element("transaction").write_inner_content(|w| {
                    w.create_element("transaction-type").with_attribute(("code", t.code.to_string().as_str())).write_empty()?;
                    w.create_element("transaction-date").with_attribute(("iso-date", t.date.to_string().as_str())).write_empty()?;
                    value(w, t.eur_minor, t.date)?;
                    w.create_element("description").write_inner_content(|w| narrative(w, t.description))?;
                    org(w, "provider-org", "", &t.provider, facts.org_name(&t.provider))?;
                    org(w, "receiver-org", "", &t.receiver, facts.org_name(&t.receiver))?;
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(())
}

fn narrative(w: &mut Writer<Vec<u8>>, text: &str) -> io::Result<()> {
    w.create_element("narrative").write_text_content(BytesText::new(text))?;
    Ok(())
}

fn value(w: &mut Writer<Vec<u8>>, eur_minor: i64, date: Date) -> io::Result<()> {
    w.create_element("value")
        .with_attribute(("currency", "EUR"))
        .with_attribute(("value-date", date.to_string().as_str()))
        .write_text_content(BytesText::new(&format_minor(eur_minor, 2)))?;
    Ok(())
}

/// A participating, provider or receiver organisation (`role` empty for the latter two).
fn org(w: &mut Writer<Vec<u8>>, element: &str, role: &str, code: &str, name: &str) -> io::Result<()> {
    let mut e = w.create_element(element).with_attribute(("ref", code));
    if !role.is_empty() {
        e = e.with_attribute(("role", role));
    }
    e.write_inner_content(|w| narrative(w, name))?;
    Ok(())
}
