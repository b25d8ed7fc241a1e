//! `tallinn detect`: log lines × indicators → STIX sightings.
//!
//! The calling thread reads the inputs into batches of whole lines; one
//! worker per core reads each line into its arena, matches it against
//! every indicator and counts (`tallinn_detect::Tally`); at the end the
//! counts are merged and each indicator that matched gives one sighting.
//! Malformed lines are counted and the first ten named; they never stop the run.

use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use tallinn_detect::{Correlator, Detector, Format, Part, Refusal, Skip, Tally, indicators};
use tallinn_stix::matcher::Bump;

use super::lines::{Batch, Pool, Splitter};

use crate::cli::DetectArgs;

/// How many malformed lines the summary names.
const NAMED: usize = 10;

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
    let loader = indicator_files(args)?;
    let organisation = args.organisation.as_deref().unwrap_or(tallinn_core::reference::OFFICE);
    detect_to(args, loader, organisation, None, None)
}

/// Stores sightings in the collection (`--post`); called from the detection thread.
type PostFn = Box<dyn FnMut(Vec<serde_json::Value>) -> anyhow::Result<()> + Send>;

/// Detection with the indicators of a collection, as the acting user may
/// read them, and (`--post`) the sightings stored there — once at the end,
/// or, following files or a NATS stream, every `--interval` as they change.
pub async fn run_with_store(ctx: &super::Ctx, args: &DetectArgs) -> anyhow::Result<()> {
    let collection = args.collection.clone().unwrap_or_default();
    let sectors: Vec<tallinn_core::need::Sector> = super::parse_all("sector", &args.sectors)?;
    let mut loader = indicator_files(args)?;
    let mut query = tallinn_ledger::ObjectQuery { types: vec!["indicator".into()], limit: 1_000, ..Default::default() };
    loop {
        let (_, page) = ctx.ledger.stix_objects(&ctx.actor, &collection, &query, None, true).await.map_err(|e| anyhow!("--collection {collection}: {e}"))?;
        for item in &page.items {
            loader.object(serde_json::from_str(item.body.as_deref().unwrap_or("null"))?);
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
    let post: Option<PostFn> = args.post.then(|| {
        let (handle, ledger, actor, quiet) = (tokio::runtime::Handle::current(), ctx.ledger.clone(), ctx.actor.clone(), args.quiet);
        let (collection, organisation) = (collection.clone(), organisation.clone());
        Box::new(move |mut objects: Vec<serde_json::Value>| {
            if !sectors.is_empty() {
                objects.push(identity(&organisation, &sectors));
            }
            handle.block_on(post_sightings(&ledger, &actor, &collection, &objects, quiet))
        }) as PostFn
    });
    let args = args.clone();
    tokio::task::spawn_blocking(move || {
        let poster = args.post.then_some(tallinn_detect::Poster { org: &org, user: &user });
        detect_to(&args, loader, &organisation, poster, post)
    })
    .await
    .map_err(|_| anyhow!("detection stopped"))?
}

/// Stores sightings (and the sighting organisation's identity) in the
/// collection through the checks of a TAXII upload; any refusal is an error.
async fn post_sightings(
    ledger: &tallinn_ledger::Ledger,
    actor: &tallinn_core::policy::Principal,
    collection: &str,
    objects: &[serde_json::Value],
    quiet: bool,
) -> anyhow::Result<()> {
    let raw: Vec<Box<serde_json::value::RawValue>> = objects.iter().map(serde_json::value::to_raw_value).collect::<Result<_, _>>()?;
    let status = ledger.add_stix_objects(actor.clone(), collection, &raw).await.map_err(|e| anyhow!("--post: {e}"))?;
    if !quiet {
        eprintln!("detect: posted to {collection}: {} stored or already held, {} refused", status.successes.len(), status.failures.len());
        for f in status.failures.iter().take(NAMED) {
            eprintln!("  {}: {}", f.id, f.message.as_deref().unwrap_or("refused"));
        }
    }
    if !status.failures.is_empty() {
        bail!("--post: {} sightings refused by the collection", status.failures.len());
    }
    Ok(())
}

/// Detection in the mode the arguments ask — a NATS stream, files
/// followed, or files read once —, the sightings written and, with `post`,
/// stored.
fn detect_to(
    args: &DetectArgs,
    loader: indicators::Loader,
    organisation: &str,
    poster: Option<tallinn_detect::Poster<'_>>,
    post: Option<PostFn>,
) -> anyhow::Result<()> {
    let sighted_by = tallinn_detect::identity_id(organisation);
    if args.inputs.iter().any(|i| i.to_string_lossy().starts_with("nats://")) {
        let mut sink = Sink::new(args, sighted_by, poster, post)?;
        sink.worker = Some(uuid::Uuid::new_v4().to_string());
        return from_nats(args, loader, organisation, sink);
    }
    if args.follow {
        let sink = Sink::new(args, sighted_by, poster, post)?;
        return follow(args, loader, organisation, sink);
    }
    let (detector, found) = detect(args, loader, organisation)?;
    let mut sink = Sink::new(args, sighted_by, poster, post)?;
    let mut written = std::collections::HashMap::new();
    sink.emit(found.tally.changed(&detector, &mut written))
}

/// Where sightings go: the output (one JSON line each, flushed), and with
/// `--post` the collection.
struct Sink<'p> {
    output: Box<dyn Write>,
    sighted_by: String,
    poster: Option<tallinn_detect::Poster<'p>>,
    post: Option<PostFn>,
    /// A worker sharing a NATS stream: its own sightings (`tallinn_detect::sighting`).
    worker: Option<String>,
    /// What was last written of each (indicator, day) (following, only
    /// the sightings that changed are written again).
    written: std::collections::HashMap<(u32, i64), tallinn_detect::Hits>,
    /// The `modified` last written of each sighting, in microseconds.
    modified: std::collections::HashMap<String, i64>,
}

impl<'p> Sink<'p> {
    fn new(args: &DetectArgs, sighted_by: String, poster: Option<tallinn_detect::Poster<'p>>, post: Option<PostFn>) -> anyhow::Result<Self> {
        let output: Box<dyn Write> = if args.output == Path::new("-") {
            Box::new(std::io::stdout())
        } else {
            Box::new(std::io::BufWriter::new(
                std::fs::File::create(&args.output).with_context(|| format!("--output: cannot create {}", args.output.display()))?,
            ))
        };
        Ok(Sink { output, sighted_by, poster, post, worker: None, written: std::collections::HashMap::new(), modified: std::collections::HashMap::new() })
    }

    /// Writes (and posts) the sightings whose counts changed since the last call.
    fn write_changed(&mut self, detector: &Detector, tally: &Tally) -> anyhow::Result<()> {
        let changed = tally.changed(detector, &mut self.written);
        self.emit(changed)
    }

    fn emit(&mut self, sighted: Vec<(&tallinn_detect::Indicator, tallinn_detect::Hits)>) -> anyhow::Result<()> {
        let mut sightings = Vec::with_capacity(sighted.len());
        for (indicator, hits) in &sighted {
            let mut s = tallinn_detect::sighting(indicator, hits, &self.sighted_by, self.poster, self.worker.as_deref());
            // A count that grew without a later last event (events out of
            // order, or at the same instant) is still a newer version: one
            // millisecond after the one written before.
            let id = s["id"].as_str().unwrap_or_default().to_string();
            let modified = match self.modified.get(&id) {
                Some(&before) if before >= hits.last => before + 1_000,
                _ => hits.last,
            };
            if modified != hits.last {
                s["modified"] = serde_json::json!(jiff::Timestamp::from_microsecond(modified).map(|t| format!("{t:.6}")).unwrap_or_default());
            }
            self.modified.insert(id, modified);
            sightings.push(s);
        }
        for s in &sightings {
            serde_json::to_writer(&mut self.output, s)?;
            self.output.write_all(b"\n")?;
        }
        self.output.flush().context("writing the sightings")?;
        if let Some(post) = &mut self.post
            && !sightings.is_empty()
        {
            post(sightings)?;
        }
        Ok(())
    }
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

/// The indicators of the `--indicators` files, compiled as they are read.
fn indicator_files(args: &DetectArgs) -> anyhow::Result<indicators::Loader> {
    let mut loader = indicators::Loader::new(jiff::Timestamp::now().as_microsecond());
    for path in &args.indicators {
        let text = std::fs::read_to_string(path).with_context(|| format!("--indicators: cannot read {}", path.display()))?;
        loader.read(&text).map_err(|e| anyhow!("--indicators {}: {e}", path.display()))?;
    }
    Ok(loader)
}

/// The format, and the indicators loaded, with those refused and how many
/// other objects there were.
fn compile(args: &DetectArgs, loader: indicators::Loader, organisation: &str) -> anyhow::Result<(Format, Detector, Vec<Refusal>, usize)> {
    let format: Format = args.format.parse().map_err(|e: String| anyhow!("--format: {e}"))?;
    let indicators::Loader { detector, refused, other_objects, .. } = loader;
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
fn follow(args: &DetectArgs, loader: indicators::Loader, organisation: &str, mut sink: Sink<'_>) -> anyhow::Result<()> {
    let (format, detector, refused, other_objects) = compile(args, loader, organisation)?;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone()).context("listening for SIGINT and SIGTERM")?;
    }
    let pool = Pool::default();
    let mut files = args.inputs.iter().map(|p| super::follow::Followed::open(p, &pool)).collect::<anyhow::Result<Vec<_>>>()?;
    if files.is_empty() {
        bail!("--follow: name the files to follow with --input");
    }
    let bar = progress(args.quiet);
    let started = Instant::now();
    let mut total = Found { tally: Tally::new(detector.len()), malformed: 0, named: Vec::new(), empty: 0 };
    let mut last_write = Instant::now();
    let interval = Duration::from_secs(args.interval.max(1));
    let mut correlator = Correlator::new(&detector, args.window);
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        let mut behind = false;
        let round = scan_with(format, &detector, &mut correlator, &pool, |feed, _, _| {
            let mut too_long = Vec::new();
            for f in &mut files {
                behind |= f.read_new(feed)?;
                too_long.extend(f.take_too_long());
            }
            Ok(too_long)
        })?;
        if round.tally.events > 0 || round.malformed > 0 || round.empty > 0 {
            total.tally.merge(&round.tally);
            total.malformed += round.malformed;
            total.empty += round.empty;
            total.named.extend(round.named);
            total.named.truncate(NAMED);
            bar.set_message(format!("following: {} events, {} matches", total.tally.events, total.tally.matches));
        }
        if stopping || last_write.elapsed() >= interval {
            sink.write_changed(&detector, &total.tally)?;
            last_write = Instant::now();
        }
        if stopping {
            break;
        }
        if !behind {
            std::thread::sleep(Duration::from_millis(250));
        }
    }
    bar.finish_and_clear();
    if !args.quiet {
        summary(&total, &refused, other_objects, detector.len(), total.tally.days.len(), started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// Events from a NATS JetStream stream (`commands::nats`), until SIGINT or SIGTERM.
fn from_nats(args: &DetectArgs, loader: indicators::Loader, organisation: &str, mut sink: Sink<'_>) -> anyhow::Result<()> {
    let [url] = args.inputs.as_slice() else { bail!("--input nats://…: a NATS stream is read alone, without other inputs") };
    let target = super::nats::Target::parse(&url.to_string_lossy())?;
    let (format, detector, refused, other_objects) = compile(args, loader, organisation)?;
    let started = Instant::now();
    let mut correlator = Correlator::new(&detector, args.window);
    let bar = progress(args.quiet);
    let interval = Duration::from_secs(args.interval.max(1));
    let mut write = |tally: &Tally| {
        bar.set_message(format!("{}: {} events, {} matches", target.subject, tally.events, tally.matches));
        sink.write_changed(&detector, tally)
    };
    let (tally, malformed) = super::nats::consume(&target, format, &detector, &mut correlator, interval, &mut write)?;
    bar.finish_and_clear();
    if !args.quiet {
        let sightings = tally.days.len();
        let found = Found { tally, malformed, named: Vec::new(), empty: 0 };
        summary(&found, &refused, other_objects, detector.len(), sightings, started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// Matches the inputs against the indicators loaded: the detector, and what was found.
fn detect(args: &DetectArgs, loader: indicators::Loader, organisation: &str) -> anyhow::Result<(Detector, Found)> {
    let (format, detector, refused, other_objects) = compile(args, loader, organisation)?;
    let inputs: Vec<PathBuf> = if args.inputs.is_empty() { vec![PathBuf::from("-")] } else { args.inputs.clone() };
    let bar = progress(args.quiet);
    let started = Instant::now();
    let found = scan(&inputs, format, &detector, args.window, &bar)?;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    if !args.quiet {
        summary(&found, &refused, other_objects, detector.len(), found.tally.days.len(), seconds);
    }
    Ok((detector, found))
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
fn scan(inputs: &[PathBuf], format: Format, detector: &Detector, window: u64, bar: &ProgressBar) -> anyhow::Result<Found> {
    let mut correlator = Correlator::new(detector, window);
    let pool = Pool::default();
    scan_with(format, detector, &mut correlator, &pool, |feed, events, matches| read_all(inputs, &pool, feed, bar, events, matches))
}

/// Where a producer hands batches: on to the workers, numbered in order.
type Feed<'a> = dyn FnMut(Batch) -> anyhow::Result<()> + 'a;

/// Matches every line of the batches `produce` feeds, on every core (one
/// worker per core); compound indicators are correlated on one more thread,
/// which takes each batch's candidate events in the order the batches were
/// fed. `produce` returns the lines it skipped as too long.
fn scan_with(
    format: Format,
    detector: &Detector,
    correlator: &mut Correlator,
    pool: &Pool,
    produce: impl FnOnce(&mut Feed<'_>, &AtomicU64, &AtomicU64) -> anyhow::Result<Vec<(Arc<str>, u64)>>,
) -> anyhow::Result<Found> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(16);
    let (tx, rx) = sync_channel::<Batch>(2 * workers);
    let rx = Arc::new(Mutex::new(rx));
    let (parts_tx, parts_rx) = std::sync::mpsc::channel::<(u64, Vec<Part>)>();
    let (events, matches) = (AtomicU64::new(0), AtomicU64::new(0));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let parts_tx = parts_tx.clone();
                scope.spawn(|| work(&rx, format, detector, pool, parts_tx, &events, &matches))
            })
            .collect();
        drop(parts_tx);
        let correlating = scope.spawn(move || correlate(detector, correlator, parts_rx));
        let mut seq = 0u64;
        let mut feed = |mut batch: Batch| {
            batch.seq = seq;
            seq += 1;
            tx.send(batch).map_err(|_| anyhow!("the detection workers stopped"))
        };
        let reading = produce(&mut feed, &events, &matches);
        drop(tx);
        let mut total = Found { tally: Tally::new(detector.len()), malformed: 0, named: Vec::new(), empty: 0 };
        for h in handles {
            let f = h.join().map_err(|_| anyhow!("a detection worker stopped"))?;
            total.tally.merge(&f.tally);
            total.malformed += f.malformed;
            total.empty += f.empty;
            total.named.extend(f.named);
        }
        let compound_hits = correlating.join().map_err(|_| anyhow!("the correlation of compound indicators stopped"))?;
        total.tally.merge(&compound_hits);
        let too_long = reading?;
        total.malformed += too_long.len() as u64;
        total.named.extend(too_long.into_iter().map(|(source, line)| (source, line, format!("longer than {} MiB: skipped", super::lines::MAX_LINE >> 20))));
        total.named.sort_by(|a, b| (a.0.as_ref(), a.1).cmp(&(b.0.as_ref(), b.1)));
        total.named.truncate(NAMED);
        Ok(total)
    })
}

/// Feeds the windows of compound indicators the candidate events of each
/// batch, in batch order (workers finish batches in any order); the counts.
fn correlate(detector: &Detector, correlator: &mut Correlator, parts: Receiver<(u64, Vec<Part>)>) -> Tally {
    let mut tally = Tally::new(detector.len());
    let mut waiting = std::collections::BTreeMap::new();
    let mut next = 0u64;
    for (seq, batch) in parts {
        waiting.insert(seq, batch);
        while let Some(batch) = waiting.remove(&next) {
            correlator.feed(detector, batch, &mut tally);
            next += 1;
        }
    }
    // Batches after a gap (a worker stopped): still counted, in order.
    for (_, batch) in waiting {
        correlator.feed(detector, batch, &mut tally);
    }
    tally
}

fn open(path: &Path) -> anyhow::Result<Box<dyn Read>> {
    if path == Path::new("-") {
        return Ok(Box::new(std::io::stdin()));
    }
    let file = std::fs::File::open(path).with_context(|| format!("--input: cannot read {}", path.display()))?;
    let name = path.to_string_lossy();
    Ok(if name.ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
    } else if name.ends_with(".zst") {
        Box::new(zstd::stream::read::Decoder::new(file).with_context(|| format!("--input {}: not zstd", path.display()))?)
    } else {
        Box::new(file)
    })
}

/// Feeds the inputs' lines in batches; the lines skipped as too long.
fn read_all(
    inputs: &[PathBuf],
    pool: &Pool,
    feed: &mut Feed<'_>,
    bar: &ProgressBar,
    events: &AtomicU64,
    matches: &AtomicU64,
) -> anyhow::Result<Vec<(Arc<str>, u64)>> {
    let started = Instant::now();
    let bytes = std::cell::Cell::new(0u64);
    let mut chunk = vec![0u8; 256 << 10];
    let mut too_long = Vec::new();
    for path in inputs {
        let source: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
        let mut reader = open(path)?;
        let mut splitter = Splitter::new(source.clone(), pool.clone());
        let mut send = |batch: Batch| {
            let (e, m) = (events.load(Ordering::Relaxed), matches.load(Ordering::Relaxed));
            let rate = e as f64 / started.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!("{} MB read, {e} events ({rate:.0}/s), {m} matches", bytes.get() >> 20));
            feed(batch)
        };
        loop {
            let n = match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(anyhow!("--input: reading {}: {e}", path.display())),
            };
            bytes.set(bytes.get() + n as u64);
            splitter.push(&chunk[..n], &mut send)?;
        }
        splitter.finish(&mut send)?;
        too_long.extend(splitter.too_long.iter().map(|&line| (source.clone(), line)));
    }
    Ok(too_long)
}

fn work(
    rx: &Mutex<Receiver<Batch>>,
    format: Format,
    detector: &Detector,
    pool: &Pool,
    parts: std::sync::mpsc::Sender<(u64, Vec<Part>)>,
    events: &AtomicU64,
    matches: &AtomicU64,
) -> Found {
    let mut found = Found { tally: Tally::new(detector.len()), malformed: 0, named: Vec::new(), empty: 0 };
    let mut arena = Bump::new();
    // The lock is held only while a batch is taken (inside `next`).
    let next = || rx.lock().ok()?.recv().ok();
    while let Some(batch) = next() {
        let (before_events, before_matches) = (found.tally.events, found.tally.matches);
        for (i, line) in super::lines::lines(&batch.text).enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match found.tally.line(detector, line, format, &arena) {
                Ok(()) => {}
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
        if detector.has_compounds() {
            // Sent even when empty: the correlator waits for every batch in turn.
            let _ = parts.send((batch.seq, std::mem::take(&mut found.tally.parts)));
        }
        pool.give(batch.text.into_bytes());
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
