//! need add|list|show|submit|triage|review|reserve|withdraw|import.

use anyhow::bail;
use tallinn_core::money::parse_minor;
use tallinn_core::need::NewNeed;
use tallinn_core::policy::Principal;
use tallinn_core::review::NewReview;
use tallinn_ledger::{NeedFilter, TriageDecision};

use super::{Ctx, date, parse, parse_all, progress, read_file};
use crate::cli::{Format, NeedAdd, NeedCmd};
use crate::output::{print, print_one};

pub async fn run(ctx: &Ctx, cmd: NeedCmd) -> anyhow::Result<()> {
    let l = &ctx.ledger;
    let actor = || ctx.actor.clone();
    match cmd {
        NeedCmd::Add(a) => print_one(&l.add_need(actor(), new_need(*a)?).await?, Format::Json),
        NeedCmd::List { status, capability, sector, urgency, beneficiary, format } => {
            let filter = NeedFilter {
                status: status.map(|s| parse("status", &s)).transpose()?,
                capability: capability.map(|s| parse("capability", &s)).transpose()?,
                sector: sector.map(|s| parse("sector", &s)).transpose()?,
                urgency: urgency.map(|s| parse("urgency", &s)).transpose()?,
                beneficiary,
            };
            let needs = ctx.view().needs(&filter).await?;
            print(&needs, format.format)
        }
        NeedCmd::Show { id, format } => {
            let tallinn_ledger::NeedDetails { need, history, reviews, relations } = ctx.view().need_details(id.parse()?).await?;
            if format.format == Format::Json {
                print_one(&serde_json::json!({ "need": need, "history": history, "reviews": reviews, "relations": relations }), Format::Json)
            } else {
                print_one(&need, Format::Table)?;
                for t in history {
                    println!("{}  {} -> {}  by {}  {}", t.at, t.from.map(|s| s.to_string()).unwrap_or_else(|| "-".into()), t.to, t.actor, t.note);
                }
                for r in reviews {
                    println!("review  {} panel  {}  by {}  {}", r.panel, r.decision, r.reviewer, r.comment);
                }
                for r in relations {
                    println!("{} of {}  (by {} at {})  {}", r.relation, r.other, r.decided_by, r.decided_at, r.note);
                }
                Ok(())
            }
        }
        NeedCmd::Submit { id } => print_one(&l.submit_need(actor(), id.parse()?).await?, Format::Json),
        NeedCmd::Triage { id, reject, comment } => {
            let decision = if reject { TriageDecision::Reject } else { TriageDecision::Accept };
            print_one(&l.triage_need(actor(), id.parse()?, decision, &comment).await?, Format::Json)
        }
        NeedCmd::Review { id, panel, decision, feasibility, relevance, importance, comment, conflict_of_interest } => {
            let review = NewReview {
                panel: parse("panel", &panel)?,
                decision: parse("decision", &decision)?,
                feasibility,
                relevance,
                importance,
                comment,
                conflict_of_interest,
            };
            print_one(&l.review_need(actor(), id.parse()?, review).await?, Format::Json)
        }
        NeedCmd::Reserve { id, donor, days } => {
            let donor = match (donor, &ctx.actor) {
                (Some(d), _) => d,
                (None, Principal::User { org, .. }) => org.clone(),
                (None, _) => bail!("--donor: name the donor organisation the need is reserved for"),
            };
            print_one(&l.reserve_need(actor(), id.parse()?, &donor, days).await?, Format::Json)
        }
        NeedCmd::Relate { a, b, relation, note } => {
            l.relate_needs(actor(), a.parse()?, b.parse()?, parse("relation", &relation)?, &note).await?;
            eprintln!("tallinn: recorded {a} and {b} as {relation}");
            Ok(())
        }
        NeedCmd::Withdraw { id, reason } => print_one(&l.withdraw_need(actor(), id.parse()?, &reason).await?, Format::Json),
        NeedCmd::Import { file } => {
            let rows = tallinn_core::import::parse_needs(&read_file(&file)?, false)?;
            let bar = progress(rows.rows.len(), "importing needs");
            let count = l.import_needs(actor(), rows, &|n| bar.inc(n)).await;
            bar.finish_and_clear();
            eprintln!("tallinn: imported {} needs as drafts", count?);
            Ok(())
        }
    }
}

fn new_need(a: NeedAdd) -> anyhow::Result<NewNeed> {
    Ok(NewNeed {
        beneficiary: a.beneficiary,
        title: a.title,
        description: a.description,
        capability: parse("capability", &a.capability)?,
        sector: parse("sector", &a.sector)?,
        urgency: parse("urgency", &a.urgency)?,
        cost_eur_minor: parse_minor("cost", &a.cost, 2).map_err(|e| anyhow::anyhow!("--cost: {}", e.message))?,
        divisible: !a.all_or_nothing,
        deadline: a.deadline.map(|d| date("deadline", &d)).transpose()?,
        tlp: parse("tlp", &a.tlp)?,
        share_orgs: a.share_orgs,
        share_users: a.share_users,
        tags: parse_all::<String>("tag", &a.tags)?,
        synthetic: false,
    })
}
