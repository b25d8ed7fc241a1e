//! pledge, allocation, transaction and fx commands.

use anyhow::{anyhow, bail};
use tallinn_core::money::{Currency, Money, parse_minor};
use tallinn_core::pledge::{Earmarks, InKindItem, NewPledge, PledgeStatus};
use tallinn_core::time::utc_date;
use tallinn_core::transaction::NewTransaction;
use tallinn_ledger::AllocationLine;
use tallinn_ledger::TransactionFilter;

use super::{Ctx, date, parse, parse_all, progress, read_file};
use crate::cli::{AllocationCmd, Format, FxCmd, PledgeAdd, PledgeCmd, TransactionAdd, TransactionCmd};
use crate::output::{print, print_one};

pub async fn pledge(ctx: &Ctx, cmd: PledgeCmd) -> anyhow::Result<()> {
    let l = &ctx.ledger;
    let actor = || ctx.actor.clone();
    match cmd {
        PledgeCmd::Add(a) => print_one(&l.add_pledge(actor(), new_pledge(*a)?).await?, Format::Json),
        PledgeCmd::List { donor, status, format } => {
            let status: Option<PledgeStatus> = status.map(|s| parse("status", &s)).transpose()?;
            let pledges = ctx.view().pledges(donor.as_deref(), status).await?;
            print(&pledges, format.format)
        }
        PledgeCmd::Commit { id } => print_one(&l.set_pledge_status(actor(), id.parse()?, PledgeStatus::Committed).await?, Format::Json),
        PledgeCmd::Disburse { id } => print_one(&l.set_pledge_status(actor(), id.parse()?, PledgeStatus::Disbursed).await?, Format::Json),
        PledgeCmd::Cancel { id } => print_one(&l.set_pledge_status(actor(), id.parse()?, PledgeStatus::Cancelled).await?, Format::Json),
        PledgeCmd::Import { file } => {
            let rows = tallinn_core::import::parse_pledges(&read_file(&file)?, false)?;
            let bar = progress(rows.rows.len(), "importing pledges");
            let count = l.import_pledges(actor(), rows, &|n| bar.set_position(n)).await;
            bar.finish_and_clear();
            eprintln!("tallinn: imported {} pledges", count?);
            Ok(())
        }
    }
}

fn new_pledge(a: PledgeAdd) -> anyhow::Result<NewPledge> {
    let currency = Currency::from_code(&a.currency).map_err(|e| anyhow!("--currency: {}", e.message))?;
    let amount = a.amount.as_deref().map(|t| Money::parse("amount", t, currency).map_err(|e| anyhow!("--amount: {}", e.message))).transpose()?;
    let items = a.items.iter().map(|i| item(i, currency)).collect::<anyhow::Result<Vec<_>>>()?;
    let valuation = a.valuation.as_deref().map(|v| parse("valuation", v)).transpose()?;
    let (kind, amount, valuation) = tallinn_core::pledge::kind_and_amount(amount, currency, &items, valuation).map_err(|e| anyhow!("{}", e))?;
    Ok(NewPledge {
        donor: a.donor,
        title: a.title,
        kind,
        amount,
        items,
        valuation,
        pledged_on: date("date", &a.date)?,
        budget_years: a.budget_years,
        earmarks: Earmarks {
            capabilities: parse_all("capability", &a.capabilities)?,
            sectors: parse_all("sector", &a.sectors)?,
            beneficiaries: a.beneficiaries,
        },
        tlp: parse("tlp", &a.tlp)?,
        share_orgs: a.share_orgs,
        share_users: a.share_users,
        synthetic: false,
    })
}

/// `DESCRIPTION:QUANTITY:UNIT_VALUE`
fn item(text: &str, currency: Currency) -> anyhow::Result<InKindItem> {
    let mut parts = text.rsplitn(3, ':');
    let (Some(unit), Some(qty), Some(description)) = (parts.next(), parts.next(), parts.next()) else {
        bail!("--item: '{text}' is not DESCRIPTION:QUANTITY:UNIT_VALUE");
    };
    let quantity = qty.parse::<u32>().map_err(|_| anyhow!("--item: '{qty}' is not a quantity"))?;
    let unit_value_minor = parse_minor("item", unit, currency.exponent()).map_err(|e| anyhow!("--item: {}", e.message))?;
    Ok(InKindItem { description: description.to_string(), quantity, unit_value_minor })
}

pub async fn allocation(ctx: &Ctx, cmd: AllocationCmd) -> anyhow::Result<()> {
    match cmd {
        AllocationCmd::Add { pledge, need, amount } => {
            let amount_eur_minor = parse_minor("amount", &amount, 2).map_err(|e| anyhow!("--amount: {}", e.message))?;
            let line = AllocationLine { pledge: pledge.parse()?, need: need.parse()?, amount_eur_minor };
            let made = ctx.ledger.allocate(ctx.actor.clone(), &[line]).await?;
            print(&made, Format::Json)
        }
        AllocationCmd::List(f) => print(&ctx.ledger.allocations(&ctx.actor).await?, f.format),
    }
}

pub async fn transaction(ctx: &Ctx, cmd: TransactionCmd) -> anyhow::Result<()> {
    let l = &ctx.ledger;
    match cmd {
        TransactionCmd::Add(a) => print_one(&l.add_transaction(ctx.actor.clone(), new_transaction(*a)?).await?, Format::Json),
        TransactionCmd::List { kind, year, limit, format } => {
            let filter = TransactionFilter { kind: kind.map(|k| parse("kind", &k)).transpose()?, year, need: None, limit };
            print(&l.transactions(&ctx.actor, &filter).await?, format.format)
        }
        TransactionCmd::Import { file } => {
            let today = utc_date(l.now());
            let rows = tallinn_core::import::parse_transactions(&read_file(&file)?, today, false)?;
            let bar = progress(rows.rows.len(), "importing transactions");
            let count = l.import_transactions(ctx.actor.clone(), rows, &|n| bar.inc(n)).await;
            bar.finish_and_clear();
            eprintln!("tallinn: imported {} transactions", count?);
            Ok(())
        }
    }
}

fn new_transaction(a: TransactionAdd) -> anyhow::Result<NewTransaction> {
    let currency = Currency::from_code(&a.currency).map_err(|e| anyhow!("--currency: {}", e.message))?;
    Ok(NewTransaction {
        kind: parse("kind", &a.kind)?,
        provider: a.provider,
        receiver: a.receiver,
        value_date: date("date", &a.date)?,
        amount: Money::parse("amount", &a.amount, currency).map_err(|e| anyhow!("--amount: {}", e.message))?,
        pledge: a.pledge.map(|p| p.parse()).transpose()?,
        need: a.need.map(|n| n.parse()).transpose()?,
        pass_through_of: a.pass_through_of.map(|t| t.parse()).transpose()?,
        description: a.description,
        synthetic: false,
    })
}

pub async fn fx(ctx: &Ctx, cmd: FxCmd) -> anyhow::Result<()> {
    match cmd {
        FxCmd::Import { file } => {
            let rates = tallinn_core::fx::parse_ecb_csv(&read_file(&file)?).map_err(|e| anyhow!("{}: {e}", file.display()))?;
            let bar = progress(rates.len(), "importing rates");
            let report = ctx.ledger.import_rates(ctx.actor.clone(), rates, &|n| bar.inc(n)).await;
            bar.finish_and_clear();
            print_one(&report?, Format::Json)
        }
    }
}
