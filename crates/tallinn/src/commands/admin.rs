//! init, participants, users, and the audit log.

use std::io::BufRead;
use tallinn_ledger::AccountChange;

use anyhow::{Context, bail};
use argon2::password_hash::SaltString;
use argon2::password_hash::rand_core::OsRng;
use argon2::{Argon2, PasswordHasher};
use tallinn_core::participant::{NewUser, PartialDate, Participant};

use super::{Ctx, parse};
use crate::cli::{AuditCmd, CollectionCmd, ParticipantCmd, TaxiiCmd, TokenCmd, UserCmd};
use crate::output::{print, print_one};

pub async fn init(ctx: &Ctx, demo: bool) -> anyhow::Result<()> {
    // `open` has created the schema and loaded the reference data.
    eprintln!("tallinn: {} store ready with reference data", ctx.ledger.backend().name());
    if demo {
        match tallinn_demo::load(&ctx.ledger).await? {
            Some(report) => {
                eprintln!("tallinn: loaded the synthetic demo dataset");
                print_one(&report, crate::cli::Format::Json)?;
            }
            None => eprintln!("tallinn: the demo dataset is already loaded"),
        }
    }
    Ok(())
}

pub async fn participant(ctx: &Ctx, cmd: ParticipantCmd) -> anyhow::Result<()> {
    match cmd {
        ParticipantCmd::List(f) => print(&ctx.ledger.participants().await?, f.format),
        ParticipantCmd::Add { code, name, kind, parent, joined } => {
            let joined = joined.map(|d| PartialDate::try_from(d).map_err(|e| anyhow::anyhow!("--joined: {}", e.message))).transpose()?;
            let p = Participant { code, name, kind: parse("kind", &kind)?, parent, joined, left: None, synthetic: false };
            let p = ctx.ledger.add_participant(ctx.actor.clone(), p).await?;
            print_one(&p, crate::cli::Format::Json)
        }
    }
}

pub async fn user(ctx: &Ctx, cmd: UserCmd) -> anyhow::Result<()> {
    match cmd {
        UserCmd::List(f) => print(&ctx.ledger.users(&ctx.actor).await?, f.format),
        UserCmd::Add { name, org, role, panel, password_stdin } => {
            let password_hash = if password_stdin { Some(hash_password(&read_password()?)?) } else { None };
            let user = NewUser { name, org, role: parse("role", &role)?, panel: panel.map(|p| parse("panel", &p)).transpose()?, password_hash };
            let user = ctx.ledger.add_user(ctx.actor.clone(), user).await?;
            print_one(&user, crate::cli::Format::Json)
        }
        UserCmd::Passwd { name } => {
            let hash = hash_password(&read_password()?)?;
            ctx.ledger.change_password(ctx.actor.clone(), &name, &hash).await?;
            eprintln!("tallinn: password of {name} changed; its sessions ended");
            Ok(())
        }
        UserCmd::Disable { name } => account(ctx, &name, AccountChange::Disable, "disabled").await,
        UserCmd::Enable { name } => account(ctx, &name, AccountChange::Enable, "enabled").await,
        UserCmd::Remove { name } => account(ctx, &name, AccountChange::Remove, "removed").await,
    }
}

async fn account(ctx: &Ctx, name: &str, change: AccountChange, done: &str) -> anyhow::Result<()> {
    ctx.ledger.change_account(ctx.actor.clone(), name, change).await?;
    eprintln!("tallinn: {name} {done}");
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    let min = tallinn_core::participant::MIN_PASSWORD_CHARS;
    if password.chars().count() < min {
        bail!("--password-stdin: a password has at least {min} characters");
    }
    Ok(password)
}

/// Argon2id with the crate's default (OWASP-recommended) parameters.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

pub async fn audit(ctx: &Ctx, cmd: AuditCmd) -> anyhow::Result<()> {
    match cmd {
        AuditCmd::Verify => {
            let report = ctx.ledger.verify_audit().await?;
            match report.broken {
                None => {
                    println!("audit log intact: {} entries verified", report.entries);
                    Ok(())
                }
                Some(bad) => bail!("audit log broken at entry {}: {} ({} entries before it verified)", bad.seq, bad.reason, report.entries),
            }
        }
        AuditCmd::Log { limit, entity, format } => print(&ctx.ledger.audit_log(&ctx.actor, limit, entity.as_deref()).await?, format.format),
    }
}

pub async fn taxii(ctx: &Ctx, cmd: TaxiiCmd) -> anyhow::Result<()> {
    let TaxiiCmd::Collection(cmd) = cmd;
    match cmd {
        CollectionCmd::Add { title, description, alias, read, write, format } => {
            let new =
                tallinn_ledger::NewCollection { title, description, alias, read: super::parse("--read", &read)?, write: super::parse("--write", &write)? };
            let created = ctx.ledger.add_collection(ctx.actor.clone(), new).await?;
            print(&[created], format.format)
        }
        CollectionCmd::List(f) => print(&ctx.ledger.collections(&ctx.actor).await?, f.format),
    }
}

pub async fn token(ctx: &Ctx, cmd: TokenCmd) -> anyhow::Result<()> {
    match cmd {
        TokenCmd::Create { user, expires_days } => {
            let (info, secret) = ctx.ledger.create_token(ctx.actor.clone(), &user, expires_days).await?;
            // The secret goes to stdout alone, so that it can be piped; it is shown only now.
            println!("{secret}");
            eprintln!("tallinn: token {} ({}) for {}; it is shown only once", info.id, info.prefix, info.user);
            Ok(())
        }
        TokenCmd::List(f) => print(&ctx.ledger.tokens(&ctx.actor).await?, f.format),
        TokenCmd::Revoke { id } => {
            ctx.ledger.revoke_token(ctx.actor.clone(), id).await?;
            eprintln!("tallinn: token {id} revoked");
            Ok(())
        }
    }
}

/// Creates `path` empty with mode 0600; it must not exist (a backup or an
/// archive never overwrites a file).
fn create_private(path: &std::path::Path, what: &str) -> anyhow::Result<std::fs::File> {
    use std::io::ErrorKind;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(file) => Ok(file),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => anyhow::bail!("{} exists; {what} never overwrites a file", path.display()),
        Err(e) => Err(anyhow::anyhow!(e).context(format!("cannot create {}", path.display()))),
    }
}

/// The operator alone moves whole stores: every record of every organisation is in them.
fn operator_only(ctx: &Ctx, what: &str) -> anyhow::Result<()> {
    if ctx.actor != tallinn_core::policy::Principal::System {
        anyhow::bail!("{what} holds every record of every organisation: it is the operator's, run it without --as");
    }
    Ok(())
}

/// A spinner on stderr naming the table being copied and its rows so far.
fn table_progress(verb: &'static str) -> (indicatif::ProgressBar, impl FnMut(&str, u64)) {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let shown = bar.clone();
    (bar, move |table: &str, rows: u64| shown.set_message(format!("{verb}: {table}, {rows} rows")))
}

/// `tallinn export --output FILE`: the whole store as one archive
/// (`tallinn_ledger::archive`), zstd-compressed with its checksum, mode 0600.
pub async fn export_archive(ctx: &Ctx, output: &std::path::Path) -> anyhow::Result<()> {
    operator_only(ctx, "an export")?;
    let file = create_private(output, "an export")?;
    let started = std::time::Instant::now();
    let (bar, mut progress) = table_progress("export");
    let result = async {
        let mut encoder = zstd::stream::write::Encoder::new(std::io::BufWriter::new(file), 3)?;
        encoder.include_checksum(true)?;
        let summary = tallinn_ledger::archive::export(ctx.ledger.backend(), &mut encoder, &mut progress).await?;
        encoder.finish()?.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        anyhow::Ok(summary)
    }
    .await;
    bar.finish_and_clear();
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            // Leave no partial file that could pass for an archive.
            let _ = std::fs::remove_file(output);
            return Err(e);
        }
    };
    let size = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "tallinn: exported the {} store to {}: {} tables, {} rows, schema {} ({:.1} MB in {:.1} s); it holds secrets' hashes and confidential records (mode 0600)",
        ctx.ledger.backend().name(),
        output.display(),
        summary.tables,
        summary.rows,
        summary.schema,
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `tallinn import --input FILE`: an archive into this store, which must be empty.
pub async fn import_archive(ctx: &Ctx, input: &std::path::Path) -> anyhow::Result<()> {
    operator_only(ctx, "an import")?;
    let mut file = std::fs::File::open(input).with_context(|| format!("--input: cannot read {}", input.display()))?;
    // zstd's frame magic: anything else is not an archive at all.
    let mut magic = [0u8; 4];
    let is_zstd = std::io::Read::read_exact(&mut file, &mut magic).is_ok() && magic == [0x28, 0xb5, 0x2f, 0xfd];
    if !is_zstd {
        bail!("--input {}: not a zstd archive (tallinn export writes one); nothing was imported", input.display());
    }
    std::io::Seek::rewind(&mut file)?;
    let decoder = zstd::stream::read::Decoder::new(file).with_context(|| format!("--input {}: not a zstd archive", input.display()))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, decoder);
    let started = std::time::Instant::now();
    let (bar, mut progress) = table_progress("import");
    let result = tallinn_ledger::archive::import(ctx.ledger.backend(), &mut reader, &mut progress).await;
    bar.finish_and_clear();
    let summary = result.map_err(|e| anyhow::anyhow!("--input {}: {e}; nothing was imported", input.display()))?;
    eprintln!(
        "tallinn: imported {}: {} tables, {} rows into the {} store in {:.1} s; `tallinn audit verify` checks the chain",
        input.display(),
        summary.tables,
        summary.rows,
        ctx.ledger.backend().name(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `tallinn backup --output FILE`: the file is created empty with mode 0600
/// (it must not exist: a backup never overwrites), then the store writes
/// its copy into it; the file's growth is the progress shown. On
/// PostgreSQL the backup is the export archive.
pub async fn backup(ctx: &Ctx, output: &std::path::Path) -> anyhow::Result<()> {
    if ctx.ledger.backend().name() == "postgres" {
        return export_archive(ctx, output).await;
    }
    create_private(output, "a backup")?;
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} backup: {bytes} written, {elapsed}").unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let watched = output.to_path_buf();
    let watcher = {
        let bar = bar.clone();
        tokio::spawn(async move {
            loop {
                if let Ok(meta) = std::fs::metadata(&watched) {
                    bar.set_position(meta.len());
                }
                bar.tick();
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        })
    };
    let result = ctx.ledger.backend().backup_to(output).await;
    watcher.abort();
    bar.finish_and_clear();
    if let Err(e) = result {
        // Leave no partial or empty file that could pass for a backup.
        let _ = std::fs::remove_file(output);
        return Err(e.into());
    }
    let size = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "tallinn: backed up the {} store to {} ({:.1} MB in {:.1} s); open it with --database sqlite://{}",
        ctx.ledger.backend().name(),
        output.display(),
        size as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        output.display()
    );
    Ok(())
}
