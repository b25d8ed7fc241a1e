//! project, agreement and announcement commands.

use anyhow::{anyhow, bail};
use tallinn_core::agreement::NewAgreement;
use tallinn_core::project::{NewDeliveryItem, NewProject};

use super::{Ctx, date, parse};
use crate::cli::{AgreementCmd, AnnouncementCmd, Format, MilestoneCmd, ProjectCmd};
use crate::output::{print, print_one};

pub async fn project(ctx: &Ctx, cmd: ProjectCmd) -> anyhow::Result<()> {
    let l = &ctx.ledger;
    let actor = || ctx.actor.clone();
    let project = match cmd {
        ProjectCmd::List(f) => return print(&l.projects(&ctx.actor).await?, f.format),
        ProjectCmd::Add { need, implementer, title, items } => {
            let items = items.iter().map(|i| item(i)).collect::<anyhow::Result<_>>()?;
            l.add_project(actor(), NewProject { need: need.parse()?, implementer, title, items, synthetic: false }).await?
        }
        ProjectCmd::Milestone(MilestoneCmd::Add { project, title, due }) => {
            l.add_milestone(actor(), project.parse()?, &title, due.map(|d| date("due", &d)).transpose()?).await?
        }
        ProjectCmd::Milestone(MilestoneCmd::Complete { project, milestone }) => l.complete_milestone(actor(), project.parse()?, milestone.parse()?).await?,
        ProjectCmd::Deliver { id } => l.deliver_project(actor(), id.parse()?).await?,
        ProjectCmd::Accept { id, statement } => l.accept_project(actor(), id.parse()?, &statement).await?,
    };
    print_one(&project, Format::Json)
}

/// `DESCRIPTION:QUANTITY`
fn item(text: &str) -> anyhow::Result<NewDeliveryItem> {
    let Some((description, qty)) = text.rsplit_once(':') else { bail!("--item: '{text}' is not DESCRIPTION:QUANTITY") };
    let quantity = qty.parse().map_err(|_| anyhow!("--item: '{qty}' is not a quantity"))?;
    Ok(NewDeliveryItem { description: description.to_string(), quantity })
}

pub async fn agreement(ctx: &Ctx, cmd: AgreementCmd) -> anyhow::Result<()> {
    match cmd {
        AgreementCmd::List(f) => print(&ctx.ledger.agreements(&ctx.actor).await?, f.format),
        AgreementCmd::Add { title, parties, domain, status, signed_on, pledges } => {
            let a = NewAgreement {
                title,
                parties,
                domain: parse("domain", &domain)?,
                signed_on: signed_on.map(|d| date("signed-on", &d)).transpose()?,
                status: parse("status", &status)?,
                pledges: pledges.iter().map(|p| p.parse()).collect::<Result<_, _>>()?,
                synthetic: false,
            };
            print_one(&ctx.ledger.add_agreement(ctx.actor.clone(), a).await?, Format::Json)
        }
    }
}

pub async fn announcement(ctx: &Ctx, cmd: AnnouncementCmd) -> anyhow::Result<()> {
    match cmd {
        AnnouncementCmd::List(f) => print(&ctx.ledger.announcements().await?, f.format),
    }
}
