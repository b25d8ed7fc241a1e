//! `tallinn detect --input nats://HOST:PORT/SUBJECT`: events from a NATS
//! JetStream stream, through a durable pull consumer that several `tallinn
//! detect` workers share — each message goes to one worker.
//!
//! Delivery is at least once. A worker acknowledges its messages only after
//! the sightings that count them are written and flushed — and, with
//! `--post`, stored in the collection — (every `--interval` seconds, and on
//! SIGINT/SIGTERM). A worker killed before
//! writing loses nothing: its unacknowledged messages are redelivered, after
//! the consumer's acknowledgement wait, to another worker. A worker killed
//! between writing and acknowledging (a window of one round trip to the
//! server) has its last round's messages counted again by the worker that
//! gets them: those events are counted twice, in two workers' outputs.
//!
//! Each worker matches the messages it takes in batches on every core.
//! Compound indicators (`AND`, `FOLLOWEDBY`, `REPEATS`) are correlated
//! within each worker: the events of one match must reach the same worker
//! (one worker per stream, or a subject per sensor with a worker each).
//!
//! URL options: `?stream=NAME` (default `TALLINN_EVENTS`, created with the
//! subject if missing), `consumer=NAME` (default `tallinn-detect`),
//! `ack_wait=SECS` (default 30).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use async_nats::jetstream::{self, consumer::pull, stream};
use futures_util::StreamExt;
use tallinn_detect::{Correlator, Detector, Format, Skip, Tally};
use tallinn_stix::matcher::Bump;

/// Where to read: the server, the subject, the stream and the consumer.
#[derive(Debug, PartialEq)]
pub struct Target {
    pub server: String,
    pub subject: String,
    pub stream: String,
    pub consumer: String,
    pub ack_wait: u64,
}

impl Target {
    pub fn parse(url: &str) -> anyhow::Result<Target> {
        let rest = url.strip_prefix("nats://").ok_or_else(|| anyhow!("--input {url}: expected nats://HOST:PORT/SUBJECT"))?;
        let (server, path) = rest.split_once('/').ok_or_else(|| anyhow!("--input {url}: name the subject: nats://HOST:PORT/SUBJECT"))?;
        let (subject, query) = path.split_once('?').unwrap_or((path, ""));
        if server.is_empty() || subject.is_empty() || subject.contains(char::is_whitespace) {
            bail!("--input {url}: expected nats://HOST:PORT/SUBJECT");
        }
        let mut t = Target { server: server.into(), subject: subject.into(), stream: "TALLINN_EVENTS".into(), consumer: "tallinn-detect".into(), ack_wait: 30 };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("stream", v)) if !v.is_empty() => t.stream = v.into(),
                Some(("consumer", v)) if !v.is_empty() => t.consumer = v.into(),
                Some(("ack_wait", v)) => {
                    t.ack_wait = v.parse().ok().filter(|s| (1..=3600).contains(s)).ok_or_else(|| anyhow!("--input {url}: ack_wait is 1 to 3600 seconds"))?
                }
                _ => bail!("--input {url}: unknown option '{pair}' (stream, consumer, ack_wait)"),
            }
        }
        Ok(t)
    }
}

/// Consumes until SIGINT or SIGTERM; every `interval`, and at the end,
/// hands the counts to `write` (which writes, and may store, the sightings
/// that changed) and only then acknowledges the messages counted. The
/// counts, and how many malformed lines were skipped.
pub fn consume(
    target: &Target,
    format: Format,
    detector: &Detector,
    correlator: &mut Correlator,
    interval: Duration,
    write: &mut dyn FnMut(&Tally) -> anyhow::Result<()>,
) -> anyhow::Result<(Tally, u64)> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone()).context("listening for SIGINT and SIGTERM")?;
    }
    // The runtime drives the connection; writing (which may store through
    // the ledger's own runtime) happens outside it.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut messages = runtime.block_on(subscribe(target))?;
    // One tally per core, cumulative; merged when the sightings are written.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(16);
    let mut tallies: Vec<Tally> = (0..workers).map(|_| Tally::new(detector.len())).collect();
    let mut malformed = 0u64;
    let mut pending = Vec::new();
    let mut last_write = Instant::now();
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        let mut ended = false;
        if !stopping {
            let (batch, end) = runtime.block_on(next_batch(&mut messages))?;
            ended = end;
            if !batch.is_empty() {
                // Contiguous shares, one per core, so that the events reach
                // the windows of compound indicators in the stream's order.
                let share = batch.len().div_ceil(workers);
                malformed += std::thread::scope(|scope| {
                    let handles: Vec<_> =
                        batch.chunks(share).zip(tallies.iter_mut()).map(|(chunk, tally)| scope.spawn(move || count(chunk, format, detector, tally))).collect();
                    handles.into_iter().map(|h| h.join().unwrap_or(0)).sum::<u64>()
                });
                for k in 0..tallies.len() {
                    let parts = std::mem::take(&mut tallies[k].parts);
                    correlator.feed(detector, parts, &mut tallies[0]);
                }
                pending.extend(batch);
            }
        }
        if stopping || ended || last_write.elapsed() >= interval {
            write(&merged(detector, &tallies))?;
            // Only now: what was counted is on record.
            runtime.block_on(async {
                for m in pending.drain(..) {
                    m.ack().await.map_err(|e| anyhow!("JetStream acknowledgement: {e}"))?;
                }
                anyhow::Ok(())
            })?;
            last_write = Instant::now();
        }
        if stopping || ended {
            break;
        }
    }
    Ok((merged(detector, &tallies), malformed))
}

/// The most messages matched together.
const BATCH_MESSAGES: usize = 1_024;

/// The messages that arrive within a quarter of a second (at most
/// [`BATCH_MESSAGES`]), and whether the stream ended.
async fn next_batch(messages: &mut pull::Stream) -> anyhow::Result<(Vec<jetstream::Message>, bool)> {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(250);
    let mut batch = Vec::new();
    while batch.len() < BATCH_MESSAGES {
        match tokio::time::timeout_at(deadline, messages.next()).await {
            Ok(Some(Ok(message))) => batch.push(message),
            Ok(Some(Err(e))) => bail!("JetStream: {e}"),
            Ok(None) => return Ok((batch, true)),
            Err(_) => break,
        }
    }
    Ok((batch, false))
}

/// Matches the lines of `messages` into `tally`; how many were malformed.
fn count(messages: &[jetstream::Message], format: Format, detector: &Detector, tally: &mut Tally) -> u64 {
    let mut arena = Bump::new();
    let mut malformed = 0;
    for message in messages {
        for line in String::from_utf8_lossy(&message.payload).lines().filter(|l| !l.trim().is_empty()) {
            match tally.line(detector, line, format, &arena) {
                Ok(()) => {}
                Err(Skip::Malformed(_)) => malformed += 1,
                Err(Skip::Empty) => {}
            }
            arena.reset();
        }
    }
    malformed
}

fn merged(detector: &Detector, tallies: &[Tally]) -> Tally {
    let mut total = Tally::new(detector.len());
    tallies.iter().for_each(|t| total.merge(t));
    total
}

/// The durable consumer's messages (the stream and consumer made if missing).
async fn subscribe(target: &Target) -> anyhow::Result<pull::Stream> {
    let client = async_nats::connect(&target.server).await.with_context(|| format!("cannot reach NATS at {}", target.server))?;
    let js = jetstream::new(client);
    let stream = js
        .get_or_create_stream(stream::Config { name: target.stream.clone(), subjects: vec![target.subject.clone()], ..Default::default() })
        .await
        .map_err(|e| anyhow!("JetStream stream {}: {e}", target.stream))?;
    let consumer = stream
        .get_or_create_consumer(
            &target.consumer,
            pull::Config {
                durable_name: Some(target.consumer.clone()),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(target.ack_wait),
                filter_subject: target.subject.clone(),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| anyhow!("JetStream consumer {}: {e}", target.consumer))?;
    consumer.messages().await.map_err(|e| anyhow!("JetStream consumer {}: {e}", target.consumer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let t = Target::parse("nats://127.0.0.1:4222/sensors.eve?stream=EVE&ack_wait=5").unwrap();
        assert_eq!(
            (t.server.as_str(), t.subject.as_str(), t.stream.as_str(), t.consumer.as_str(), t.ack_wait),
            ("127.0.0.1:4222", "sensors.eve", "EVE", "tallinn-detect", 5)
        );
        for bad in ["nats://127.0.0.1:4222", "http://x/y", "nats:///s", "nats://h/s?ack_wait=0", "nats://h/s?colour=red"] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }
}
