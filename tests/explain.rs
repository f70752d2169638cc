//! The classifier against real messages: the research corpus (each entry with its source),
//! and messages written for this test in SDK shapes and wordings the corpus does not have.

use bedrock_doctor::causes::Cause;
use bedrock_doctor::knowledge::{self, Classification};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Deserialize)]
struct Entry {
    id: String,
    expected: String,
    #[serde(default)]
    also_acceptable: Vec<String>,
    sdk: String,
    source: String,
    synthetic: bool,
    text: String,
    #[serde(default)]
    extract: BTreeMap<String, String>,
    /// Which collection round a split message came from (none: round 2's held-out split).
    #[serde(default)]
    split_note: Option<String>,
}

fn corpus() -> Vec<Entry> {
    let raw = include_str!("data/explain_corpus.json");
    serde_json::from_str(raw).expect("corpus parses")
}

/// Messages written for this test, in SDK shapes (PHP, .NET, Ruby, Kotlin, Go v1, the AWS CLI,
/// Java client exceptions, Rust connector errors) and reason clauses the corpus does not have.
fn written() -> Vec<Entry> {
    let raw = include_str!("data/explain_written.json");
    serde_json::from_str(raw).expect("the written messages parse")
}

fn codes(c: &Classification) -> Vec<&'static str> {
    c.causes.iter().map(|r| r.cause.code()).collect()
}

/// The rule of the corpus: the expected cause first; or an `also_acceptable` cause first with
/// the expected one right behind it. `unknown` must be the honest unknown.
fn verdict(expected: &str, also: &[String], c: &Classification) -> Result<(), String> {
    let got = codes(c);
    if expected == "unknown" {
        return if c.is_unknown() {
            Ok(())
        } else {
            Err(format!("expected the honest unknown, got {got:?}"))
        };
    }
    match got.as_slice() {
        [first, ..] if *first == expected => Ok(()),
        [first, second, ..] if also.iter().any(|a| a == first) && *second == expected => Ok(()),
        _ => Err(format!(
            "expected {expected} (or {also:?} then it), got {got:?}"
        )),
    }
}

fn field<'a>(c: &'a Classification, name: &str) -> Option<&'a str> {
    c.extracted
        .fields()
        .into_iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, v)| v)
}

#[test]
fn every_corpus_message_is_classified() {
    let mut failures = Vec::new();
    let entries = corpus();
    for e in &entries {
        let c = knowledge::classify(&e.text);
        if let Err(msg) = verdict(&e.expected, &e.also_acceptable, &c) {
            failures.push(format!("{} [{}]: {msg}", e.id, e.sdk));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus messages misclassified:\n{}",
        failures.len(),
        entries.len(),
        failures.join("\n")
    );
}

#[test]
fn every_corpus_extraction_matches() {
    let mut failures = Vec::new();
    for e in &corpus() {
        let c = knowledge::classify(&e.text);
        for (name, want) in &e.extract {
            let got = field(&c, name);
            if got != Some(want.as_str()) {
                failures.push(format!("{}: {name} = {got:?}, want {want:?}", e.id));
            }
        }
    }
    assert!(failures.is_empty(), "extraction:\n{}", failures.join("\n"));
}

#[test]
fn written_messages_are_classified() {
    let entries = written();
    assert!(entries.len() >= 10);
    let mut failures = Vec::new();
    for e in &entries {
        let c = knowledge::classify(&e.text);
        if let Err(msg) = verdict(&e.expected, &e.also_acceptable, &c) {
            failures.push(format!("{} [{}]: {msg}", e.id, e.sdk));
        }
        for (name, want) in &e.extract {
            let got = field(&c, name);
            if got != Some(want.as_str()) {
                failures.push(format!("{}: {name} = {got:?}, want {want:?}", e.id));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems in {} written messages:\n{}",
        failures.len(),
        entries.len(),
        failures.join("\n")
    );
}

/// Causes only the checks find, from the control plane's answers: no wording of the runtime's
/// error for them was found published (a provisioned throughput not InService, a custom model
/// called by its own ARN; a knowledge base's status and ingestion jobs, which a failed query
/// does not name; an application's own settings file, which AWS never sees), so `explain`
/// has nothing to recognise them by.
const FOUND_ONLY_BY_CHECKS: &[&str] = &[
    "model-not-deployed",
    "knowledge-base-unavailable",
    "app-misconfigured",
];

/// Every cause code has several test messages, in the wording of at least two SDKs or tools.
#[test]
fn every_cause_is_covered_in_several_wordings() {
    let mut by_cause: BTreeMap<String, (usize, BTreeSet<String>)> = BTreeMap::new();
    for e in corpus().into_iter().chain(written()) {
        let slot = by_cause.entry(e.expected).or_default();
        slot.0 += 1;
        slot.1.insert(e.sdk);
    }
    for cause in Cause::ALL {
        if FOUND_ONLY_BY_CHECKS.contains(&cause.code()) {
            assert!(
                !by_cause.contains_key(cause.code()),
                "{cause} has messages now: take it off FOUND_ONLY_BY_CHECKS"
            );
            continue;
        }
        let (n, sdks) = by_cause.get(cause.code()).cloned().unwrap_or_default();
        assert!(
            n >= 3 && sdks.len() >= 2,
            "{cause}: {n} messages from {sdks:?}; add messages in other SDKs' wording"
        );
    }
}

#[test]
fn corpus_entries_name_their_source() {
    for e in &corpus() {
        assert!(
            e.source.starts_with("https://") || e.source.starts_with("synthetic"),
            "{} has no source",
            e.id
        );
        assert!(!e.text.trim().is_empty(), "{} has no text", e.id);
        if e.expected != "unknown" {
            e.expected.parse::<Cause>().unwrap();
        }
        for a in &e.also_acceptable {
            if a != "unknown" {
                a.parse::<Cause>().unwrap();
            }
        }
    }
}

/// Real messages collected for generalisation, split before any rule was written for them
/// (30% held out; round 2's seed 20261202 for the held-out split in use; docs/explain.md).
/// Rules are written from `explain_dev.json` only; `explain_heldout.json` is measured, never
/// studied.
fn split(name: &str) -> Vec<Entry> {
    let raw = match name {
        "dev" => include_str!("data/explain_dev.json"),
        _ => include_str!("data/explain_heldout.json"),
    };
    serde_json::from_str(raw).expect("split parses")
}

#[derive(Debug, Default)]
struct Score {
    n: usize,
    /// The first answer is the labelled cause (or, for `unknown`, the honest unknown).
    top1_strict: usize,
    /// The first answer is the labelled cause or one the thread leaves plausible.
    top1: usize,
    /// The labelled or a plausible cause is among the answers.
    anywhere: usize,
    /// A high-confidence first answer that is none of them.
    confident_wrong: usize,
    misses: Vec<String>,
}

impl Score {
    fn of(entries: &[Entry]) -> Score {
        let mut s = Score::default();
        for e in entries {
            let c = knowledge::classify(&e.text);
            let got = codes(&c);
            let ok = |code: &str| code == e.expected || e.also_acceptable.iter().any(|a| a == code);
            s.n += 1;
            let (strict, top1, anywhere) = match got.first() {
                None => {
                    let honest = ok("unknown");
                    (e.expected == "unknown", honest, honest)
                }
                Some(first) => (*first == e.expected, ok(first), got.iter().any(|g| ok(g))),
            };
            s.top1_strict += usize::from(strict);
            s.top1 += usize::from(top1);
            s.anywhere += usize::from(anywhere);
            let wrong_and_sure = !top1
                && c.causes
                    .first()
                    .is_some_and(|r| r.confidence == knowledge::Confidence::High);
            s.confident_wrong += usize::from(wrong_and_sure);
            if !top1 {
                s.misses.push(format!(
                    "{} [{}] expected {} got {got:?}",
                    e.id, e.sdk, e.expected
                ));
            }
        }
        s
    }

    fn ratio(&self, k: usize) -> f64 {
        k as f64 / self.n.max(1) as f64
    }

    fn line(&self, name: &str) -> String {
        format!(
            "{name}: {} messages, top-1 {:.3} (strict {:.3}), anywhere {:.3}, confident-wrong {:.3}",
            self.n,
            self.ratio(self.top1),
            self.ratio(self.top1_strict),
            self.ratio(self.anywhere),
            self.ratio(self.confident_wrong)
        )
    }
}

/// The generalisation figures of docs/explain.md: `cargo test --test explain generalisation
/// -- --nocapture` prints them. The floors are the figures reported there, so a change that
/// makes explain worse on unseen text fails here.
#[test]
fn generalisation_on_the_held_out_split() {
    let dev = Score::of(&split("dev"));
    let held_out = split("heldout");
    let held = Score::of(&held_out);
    println!("{}", dev.line("development split"));
    println!("{}", held.line("held-out split"));
    // Each round's held-out part on its own: a later round is text newer than every rule.
    let (round4, round2): (Vec<Entry>, Vec<Entry>) = held_out.into_iter().partition(|e| {
        e.split_note
            .as_deref()
            .is_some_and(|n| n.starts_with("round 4"))
    });
    println!("{}", Score::of(&round2).line("  of it round 2"));
    println!("{}", Score::of(&round4).line("  of it round 4"));
    if std::env::var_os("EXPLAIN_DEV_MISSES").is_some() {
        for m in &dev.misses {
            println!("  miss {m}");
        }
    }
    for (name, got, floor) in [
        ("held-out top-1", held.ratio(held.top1), HELD_OUT_TOP1),
        (
            "held-out anywhere",
            held.ratio(held.anywhere),
            HELD_OUT_ANYWHERE,
        ),
        ("development top-1", dev.ratio(dev.top1), DEV_TOP1),
    ] {
        assert!(got >= floor, "{name} fell to {got:.3} (reported: {floor})");
    }
    assert!(
        held.ratio(held.confident_wrong) <= HELD_OUT_CONFIDENT_WRONG,
        "confident-and-wrong answers on the held-out split rose to {:.3}",
        held.ratio(held.confident_wrong)
    );
}

const HELD_OUT_TOP1: f64 = 0.90;
const HELD_OUT_ANYWHERE: f64 = 0.90;
const HELD_OUT_CONFIDENT_WRONG: f64 = 0.015;
const DEV_TOP1: f64 = 0.95;

/// Every family of families.toml answers for at least one message of the corpus, the written
/// messages or the development split: no rule exists without a message it was made for.
#[test]
fn every_family_answers_some_message() {
    let mut used = BTreeSet::new();
    for e in corpus().into_iter().chain(written()).chain(split("dev")) {
        for r in knowledge::classify(&e.text).causes {
            used.insert(r.family);
        }
    }
    let unused: Vec<String> = knowledge::catalog()
        .families
        .iter()
        .map(|f| f.id.clone())
        .filter(|id| !used.contains(id))
        .collect();
    assert!(unused.is_empty(), "families no message answers: {unused:?}");
}

/// The size of the corpus of real messages (every file, both splits), per cause and per
/// wrapping: `cargo test --test explain corpus_size -- --nocapture` prints the table of
/// docs/explain.md.
#[test]
fn corpus_size() {
    let all: Vec<Entry> = corpus()
        .into_iter()
        .chain(written())
        .chain(split("dev"))
        .chain(split("heldout"))
        .collect();
    let real: Vec<&Entry> = all.iter().filter(|e| !e.synthetic).collect();
    let mut by_cause: BTreeMap<&str, (usize, BTreeSet<&str>)> = BTreeMap::new();
    let mut by_sdk: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &real {
        let slot = by_cause.entry(&e.expected).or_default();
        slot.0 += 1;
        slot.1.insert(&e.sdk);
        *by_sdk.entry(&e.sdk).or_default() += 1;
    }
    println!("{} messages, {} real", all.len(), real.len());
    for (cause, (n, sdks)) in &by_cause {
        println!("| `{cause}` | {n} | {} |", sdks.len());
    }
    let mut sdks: Vec<_> = by_sdk.into_iter().collect();
    sdks.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let line: Vec<String> = sdks.iter().map(|(s, n)| format!("{s} {n}")).collect();
    println!("{}", line.join(", "));
    assert!(real.len() >= 400, "{} real messages", real.len());
    for e in &real {
        assert!(e.source.starts_with("http"), "{}: {}", e.id, e.source);
    }
}
