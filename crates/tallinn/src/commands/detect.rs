//! `tallinn detect`: log lines × indicators → STIX sightings.
//!
//! The calling thread reads the inputs into batches of whole lines; one
//! worker per core reads each line into its arena, matches it against
//! every indicator and counts (`tallinn_detect::Tally`); at the end the
//! counts are merged and each indicator that matched gives one sighting.
//! Malformed lines are counted and the first ten named; they never stop the run.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use tallinn_detect::{Detector, Format, Refusal, Skip, Tally, formats, indicators};
use tallinn_stix::matcher::Bump;

use crate::cli::DetectArgs;

/// Lines are handed to workers in batches of about this many bytes.
pub(super) const BATCH_BYTES: usize = 1 << 20;

/// How many malformed lines the summary names.
const NAMED: usize = 10;

/// A batch of whole lines, and where the first one is.
pub(super) struct Batch {
    pub(super) source: Arc<str>,
    pub(super) first_line: u64,
    pub(super) text: String,
}

/// What one worker found.
struct Found {
    tally: Tally,
    malformed: u64,
    /// (source, line, why) of the first malformed lines it met.
    named: Vec<(Arc<str>, u64, String)>,
    empty: u64,
}

/// Detection from files alone: no store is opened.
pub fn run(args: &DetectArgs) -> anyhow::Result<()> {
    let objects = indicator_files(args)?;
    let organisation = args.organisation.as_deref().unwrap_or(tallinn_core::reference::OFFICE);
    if args.inputs.iter().any(|i| i.to_string_lossy().starts_with("nats://")) {
        return from_nats(args, objects, organisation);
    }
    if args.follow {
        return follow(args, objects, organisation);
    }
    let sightings = detect(args, objects, organisation, None)?;
    write(args, &sightings)
}

/// Detection with the indicators of a collection, as the acting user may
/// read them, and (`--post`) the sightings stored there.
pub async fn run_with_store(ctx: &super::Ctx, args: &DetectArgs) -> anyhow::Result<()> {
    let collection = args.collection.as_deref().unwrap_or_default();
    let sectors: Vec<tallinn_core::need::Sector> = super::parse_all("sector", &args.sectors)?;
    let mut objects = indicator_files(args)?;
    let mut query = tallinn_store::ObjectQuery { types: vec!["indicator".into()], limit: 1_000, ..Default::default() };
    loop {
        let (_, page) = ctx.ledger.stix_objects(&ctx.actor, collection, &query, None, true).await.map_err(|e| anyhow!("--collection {collection}: {e}"))?;
        for item in &page.items {
            objects.push(serde_json::from_str(item.body.as_deref().unwrap_or("null"))?);
        }
        match page.items.last() {
            Some(last) if page.more => query.after = Some(last.date_added),
            _ => break,
        }
    }
    let (org, user) = match &ctx.actor {
        tallinn_core::policy::Principal::User { name, org, .. } => (org.clone(), name.clone()),
        _ => (tallinn_core::reference::OFFICE.to_string(), "operator".to_string()),
    };
    let organisation = organisation_of(args, &org);
    let poster = args.post.then(|| (org.clone(), user.clone()));
    let sightings = {
        let args = DetectArgs {
            indicators: args.indicators.clone(),
            inputs: args.inputs.clone(),
            format: args.format.clone(),
            output: args.output.clone(),
            organisation: None,
            quiet: args.quiet,
            collection: None,
            post: false,
            sectors: Vec::new(),
            follow: false,
            interval: args.interval,
        };
        tokio::task::spawn_blocking(move || {
            let poster = poster.as_ref().map(|(org, user)| tallinn_detect::Poster { org, user });
            detect(&args, objects, &organisation, poster)
        })
        .await
        .map_err(|_| anyhow!("detection stopped"))??
    };
    write(args, &sightings)?;
    if args.post && !sightings.is_empty() {
        let mut objects = sightings.clone();
        if !sectors.is_empty() {
            objects.push(identity(&organisation_of(args, &org), &sectors));
        }
        let raw: Vec<Box<serde_json::value::RawValue>> = objects.iter().map(serde_json::value::to_raw_value).collect::<Result<_, _>>()?;
        let status = ctx.ledger.add_stix_objects(ctx.actor.clone(), collection, &raw).await.map_err(|e| anyhow!("--post: {e}"))?;
        if !args.quiet {
            eprintln!("detect: posted to {collection}: {} stored or already held, {} refused", status.successes.len(), status.failures.len());
            for f in status.failures.iter().take(NAMED) {
                eprintln!("  {}: {}", f.id, f.message.as_deref().unwrap_or("refused"));
            }
        }
        if !status.failures.is_empty() {
            bail!("--post: {} sightings refused by the collection", status.failures.len());
        }
    }
    Ok(())
}

fn organisation_of(args: &DetectArgs, acting: &str) -> String {
    args.organisation.clone().unwrap_or_else(|| acting.to_string())
}

/// The sighting organisation's STIX identity with the sectors of its
/// networks, where the threat factor finds them (`Ledger::threat_by_sector`).
/// Dated by the day, so that the runs of one day post one version; marked
/// TLP:GREEN itself (an organisation's sector is no secret), so that it
/// does not take the level of a RED sighting that names it.
fn identity(organisation: &str, sectors: &[tallinn_core::need::Sector]) -> serde_json::Value {
    let today = jiff::Timestamp::now().as_second().div_euclid(86_400) * 86_400;
    let day = jiff::Timestamp::from_second(today).map(|t| format!("{t:.3}")).unwrap_or_default();
    let stix: Vec<&str> = sectors.iter().map(|s| tallinn_core::threat::stix_sector(*s)).collect();
    let green = tallinn_stix::marking::TLP_2.iter().find(|(t, _, _)| *t == tallinn_core::policy::Tlp::Green).map(|(_, id, _)| *id).unwrap_or_default();
    serde_json::json!({
        "type": "identity", "spec_version": "2.1", "id": tallinn_detect::identity_id(organisation),
        "created": "2020-01-01T00:00:00.000Z", "modified": day,
        "name": organisation, "identity_class": "organization", "sectors": stix,
        "object_marking_refs": [green],
    })
}

fn indicator_files(args: &DetectArgs) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut objects = Vec::new();
    for path in &args.indicators {
        let text = std::fs::read_to_string(path).with_context(|| format!("--indicators: cannot read {}", path.display()))?;
        objects.extend(indicators::objects(&text).map_err(|e| anyhow!("--indicators {}: {e}", path.display()))?);
    }
    Ok(objects)
}

/// The format, and the indicators among `objects` compiled, with those
/// refused and how many other objects there were.
fn compile(args: &DetectArgs, objects: Vec<serde_json::Value>, organisation: &str) -> anyhow::Result<(Format, Detector, Vec<Refusal>, usize)> {
    let format: Format = args.format.parse().map_err(|e: String| anyhow!("--format: {e}"))?;
    let now = jiff::Timestamp::now().as_microsecond();
    let loaded = indicators::load(objects, now);
    let (other_objects, mut refused) = (loaded.other_objects, loaded.refused);
    let (detector, not_compiled) = Detector::new(loaded.indicators);
    refused.extend(not_compiled);
    if detector.is_empty() {
        bail!("no indicator to detect ({} refused, {} other objects)", refused.len(), other_objects);
    }
    tallinn_core::participant::validate_code("--organisation", organisation).map_err(|e| anyhow!("{e}"))?;
    Ok((format, detector, refused, other_objects))
}

/// `--follow`: rounds of reading what the files gained, matching it, and
/// every `--interval` seconds writing the sightings whose counts changed
/// (cumulative since the start), until SIGINT or SIGTERM, which write the
/// last changes and the summary.
fn follow(args: &DetectArgs, objects: Vec<serde_json::Value>, organisation: &str) -> anyhow::Result<()> {
    let (format, detector, refused, other_objects) = compile(args, objects, organisation)?;
    let sighted_by = tallinn_detect::identity_id(organisation);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone()).context("listening for SIGINT and SIGTERM")?;
    }
    let mut files = args.inputs.iter().map(|p| super::follow::Followed::open(p)).collect::<anyhow::Result<Vec<_>>>()?;
    if files.is_empty() {
        bail!("--follow: name the files to follow with --input");
    }
    let mut output: Box<dyn Write> = if args.output == Path::new("-") {
        Box::new(std::io::stdout())
    } else {
        Box::new(std::fs::File::create(&args.output).with_context(|| format!("--output: cannot create {}", args.output.display()))?)
    };
    let bar = progress(args.quiet);
    let started = Instant::now();
    let mut total = Found { tally: Tally::new(detector.len()), malformed: 0, named: Vec::new(), empty: 0 };
    let mut written = vec![tallinn_detect::Hits::default(); detector.len()];
    let mut last_write = Instant::now();
    let interval = Duration::from_secs(args.interval.max(1));
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        let mut chunks = Vec::new();
        for f in &mut files {
            chunks.extend(f.read_new()?);
        }
        if !chunks.is_empty() {
            let round = scan_with(format, &detector, |tx, _, _| {
                for batch in chunks {
                    tx.send(batch).map_err(|_| anyhow!("the detection workers stopped"))?;
                }
                Ok(())
            })?;
            total.tally.merge(&round.tally);
            total.malformed += round.malformed;
            total.empty += round.empty;
            total.named.extend(round.named);
            total.named.truncate(NAMED);
            bar.set_message(format!("following: {} events, {} matches", total.tally.events, total.tally.matches));
        }
        if stopping || last_write.elapsed() >= interval {
            for ((indicator, hits), seen) in detector.indicators.iter().zip(&total.tally.hits).zip(written.iter_mut()) {
                if hits.count > 0 && hits != seen {
                    serde_json::to_writer(&mut output, &tallinn_detect::sighting(indicator, hits, &sighted_by, None))?;
                    output.write_all(b"\n")?;
                    *seen = *hits;
                }
            }
            output.flush().context("writing the sightings")?;
            last_write = Instant::now();
        }
        if stopping {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    bar.finish_and_clear();
    if !args.quiet {
        let sightings = total.tally.hits.iter().filter(|h| h.count > 0).count();
        summary(&total, &refused, other_objects, detector.len(), sightings, started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// Events from a NATS JetStream stream (`commands::nats`), until SIGINT or SIGTERM.
fn from_nats(args: &DetectArgs, objects: Vec<serde_json::Value>, organisation: &str) -> anyhow::Result<()> {
    let [url] = args.inputs.as_slice() else { bail!("--input nats://…: a NATS stream is read alone, without other inputs") };
    let target = super::nats::Target::parse(&url.to_string_lossy())?;
    let (format, detector, refused, other_objects) = compile(args, objects, organisation)?;
    let sighted_by = tallinn_detect::identity_id(organisation);
    let mut output: Box<dyn Write> = if args.output == Path::new("-") {
        Box::new(std::io::stdout())
    } else {
        Box::new(std::fs::File::create(&args.output).with_context(|| format!("--output: cannot create {}", args.output.display()))?)
    };
    let started = Instant::now();
    let tally = super::nats::consume(&target, format, &detector, &sighted_by, &mut output, Duration::from_secs(args.interval.max(1)))?;
    if !args.quiet {
        let sightings = tally.hits.iter().filter(|h| h.count > 0).count();
        let found = Found { tally, malformed: 0, named: Vec::new(), empty: 0 };
        summary(&found, &refused, other_objects, detector.len(), sightings, started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// Matches the inputs against the indicators among `objects`; the sightings.
fn detect(
    args: &DetectArgs,
    objects: Vec<serde_json::Value>,
    organisation: &str,
    poster: Option<tallinn_detect::Poster<'_>>,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let (format, detector, refused, other_objects) = compile(args, objects, organisation)?;
    let sighted_by = tallinn_detect::identity_id(organisation);
    let inputs: Vec<PathBuf> = if args.inputs.is_empty() { vec![PathBuf::from("-")] } else { args.inputs.clone() };
    let bar = progress(args.quiet);
    let started = Instant::now();
    let found = scan(&inputs, format, &detector, &bar)?;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let sightings: Vec<serde_json::Value> =
        found.tally.sighted(&detector).map(|(indicator, hits)| tallinn_detect::sighting(indicator, hits, &sighted_by, poster)).collect();
    if !args.quiet {
        summary(&found, &refused, other_objects, detector.len(), sightings.len(), seconds);
    }
    Ok(sightings)
}

fn write(args: &DetectArgs, sightings: &[serde_json::Value]) -> anyhow::Result<()> {
    let mut output: Box<dyn Write> = if args.output == Path::new("-") {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(std::fs::File::create(&args.output).with_context(|| format!("--output: cannot create {}", args.output.display()))?)
    };
    for s in sightings {
        serde_json::to_writer(&mut output, s)?;
        output.write_all(b"\n")?;
    }
    output.flush().context("writing the sightings")
}

fn progress(quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} detect: {msg} [{elapsed}]").unwrap_or_else(|_| ProgressStyle::default_spinner()));
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Reads every input and matches every line, on every core.
fn scan(inputs: &[PathBuf], format: Format, detector: &Detector, bar: &ProgressBar) -> anyhow::Result<Found> {
    scan_with(format, detector, |tx, events, matches| read_all(inputs, tx, bar, events, matches))
}

/// Matches every line of the batches `produce` sends, on every core.
fn scan_with(
    format: Format,
    detector: &Detector,
    produce: impl FnOnce(&std::sync::mpsc::SyncSender<Batch>, &AtomicU64, &AtomicU64) -> anyhow::Result<()>,
) -> anyhow::Result<Found> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(16);
    let (tx, rx) = sync_channel::<Batch>(2 * workers);
    let rx = Arc::new(Mutex::new(rx));
    let (events, matches) = (AtomicU64::new(0), AtomicU64::new(0));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers).map(|_| scope.spawn(|| work(&rx, format, detector, &events, &matches))).collect();
        let reading = produce(&tx, &events, &matches);
        drop(tx);
        let mut total = Found { tally: Tally::new(detector.len()), malformed: 0, named: Vec::new(), empty: 0 };
        for h in handles {
            let f = h.join().map_err(|_| anyhow!("a detection worker stopped"))?;
            total.tally.merge(&f.tally);
            total.malformed += f.malformed;
            total.empty += f.empty;
            total.named.extend(f.named);
        }
        total.named.sort_by(|a, b| (a.0.as_ref(), a.1).cmp(&(b.0.as_ref(), b.1)));
        total.named.truncate(NAMED);
        reading.map(|()| total)
    })
}

fn open(path: &Path) -> anyhow::Result<Box<dyn BufRead>> {
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::new(std::io::stdin())));
    }
    let file = std::fs::File::open(path).with_context(|| format!("--input: cannot read {}", path.display()))?;
    let name = path.to_string_lossy();
    let reader: Box<dyn Read> = if name.ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
    } else if name.ends_with(".zst") {
        Box::new(zstd::stream::read::Decoder::new(file).with_context(|| format!("--input {}: not zstd", path.display()))?)
    } else {
        Box::new(file)
    };
    Ok(Box::new(BufReader::with_capacity(256 * 1024, reader)))
}

/// Sends the inputs' lines in batches; a line that is not UTF-8 is kept,
/// its bad bytes replaced, so that it is reported as malformed in its place.
fn read_all(inputs: &[PathBuf], tx: &std::sync::mpsc::SyncSender<Batch>, bar: &ProgressBar, events: &AtomicU64, matches: &AtomicU64) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut bytes = 0u64;
    for path in inputs {
        let source: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
        let mut reader = open(path)?;
        let mut line_no = 0u64;
        let mut batch = Batch { source: source.clone(), first_line: 1, text: String::with_capacity(BATCH_BYTES + 4096) };
        let mut raw = Vec::with_capacity(4096);
        loop {
            raw.clear();
            let n = reader.read_until(b'\n', &mut raw).with_context(|| format!("--input: reading {}", path.display()))?;
            if n == 0 {
                break;
            }
            line_no += 1;
            bytes += n as u64;
            match std::str::from_utf8(&raw) {
                Ok(s) => batch.text.push_str(s),
                Err(_) => batch.text.push_str(&String::from_utf8_lossy(&raw)),
            }
            if !batch.text.ends_with('\n') {
                batch.text.push('\n');
            }
            if batch.text.len() >= BATCH_BYTES {
                let next = Batch { source: source.clone(), first_line: line_no + 1, text: String::with_capacity(BATCH_BYTES + 4096) };
                tx.send(std::mem::replace(&mut batch, next)).map_err(|_| anyhow!("the detection workers stopped"))?;
                let (e, m) = (events.load(Ordering::Relaxed), matches.load(Ordering::Relaxed));
                let rate = e as f64 / started.elapsed().as_secs_f64().max(1e-9);
                bar.set_message(format!("{} MB read, {e} events ({rate:.0}/s), {m} matches", bytes >> 20));
            }
        }
        if !batch.text.is_empty() {
            tx.send(batch).map_err(|_| anyhow!("the detection workers stopped"))?;
        }
    }
    Ok(())
}

fn work(rx: &Mutex<Receiver<Batch>>, format: Format, detector: &Detector, events: &AtomicU64, matches: &AtomicU64) -> Found {
    let mut found = Found { tally: Tally::new(detector.len()), malformed: 0, named: Vec::new(), empty: 0 };
    let mut arena = Bump::new();
    // The lock is held only while a batch is taken (inside `next`).
    let next = || rx.lock().ok()?.recv().ok();
    while let Some(batch) = next() {
        let (before_events, before_matches) = (found.tally.events, found.tally.matches);
        for (i, line) in batch.text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match formats::read(line, format, &arena) {
                Ok(event) => found.tally.add(detector, event, &arena),
                Err(Skip::Empty) => found.empty += 1,
                Err(Skip::Malformed(why)) => {
                    found.malformed += 1;
                    if found.named.len() < NAMED {
                        found.named.push((batch.source.clone(), batch.first_line + i as u64, why));
                    }
                }
            }
            arena.reset();
        }
        events.fetch_add(found.tally.events - before_events, Ordering::Relaxed);
        matches.fetch_add(found.tally.matches - before_matches, Ordering::Relaxed);
    }
    found
}

fn summary(found: &Found, refused: &[Refusal], other_objects: usize, indicators: usize, sightings: usize, seconds: f64) {
    let t = &found.tally;
    let rate = t.events as f64 / seconds.max(1e-9);
    eprintln!("detect: {} events in {seconds:.2} s ({rate:.0}/s); {} matches; {sightings} sightings of {indicators} indicators", t.events, t.matches);
    let (expired, unreadable): (Vec<_>, Vec<_>) = refused.iter().partition(|r| matches!(r, Refusal::Expired { .. }));
    if !refused.is_empty() || other_objects > 0 {
        eprintln!(
            "detect: indicators skipped: {} expired, {} whose pattern cannot be used; {other_objects} other objects ignored",
            expired.len(),
            unreadable.len()
        );
        for r in unreadable.iter().take(NAMED) {
            if let Refusal::Pattern { id, reason } = r {
                eprintln!("  {id}: {reason}");
            }
        }
    }
    if found.empty > 0 {
        eprintln!("detect: {} lines without observables (statistics, filters)", found.empty);
    }
    if found.malformed > 0 {
        eprintln!("detect: {} malformed lines skipped; the first:", found.malformed);
        for (source, line, why) in &found.named {
            eprintln!("  {source}:{line}: {why}");
        }
    }
}
