//! The report as a person reads it, for every scenario of the library: the terminal table at
//! 80 and 120 columns and the Markdown summary, kept as snapshots (tests/snapshots/) so that
//! any change to the report is a diff seen in review. Accept a reviewed change with
//! `INSTA_UPDATE=always cargo test --test report_snapshots` (or `cargo insta review`).

mod common;

use bedrock_doctor::render::{markdown, table};
use bedrock_doctor::report::Report;
use bedrock_doctor::sim::scenario::LIBRARY;
use common::*;

/// The report with what changes from run to run made steady before it is rendered (so that
/// wrapping cannot change with the number of digits): times, the simulator's port, expiries.
fn steady(r: &Report) -> Report {
    let rules = [
        (r"\d+ ms\b", "<n> ms"),
        (r"\d+\.\ds\b", "<n>s"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:<port>"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>"),
    ];
    let mut text = serde_json::to_string(r).unwrap();
    for (pattern, with) in rules {
        text = regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&text, with)
            .into_owned();
    }
    let mut r: Report = serde_json::from_str(&text).unwrap();
    r.duration_ms = 0;
    for c in &mut r.checks {
        c.duration_ms = 0;
    }
    r
}

#[test]
fn every_scenario_reads_the_same_at_80_and_120_columns_and_in_markdown() {
    colored::control::set_override(false);
    // A fix placeholder the check did not fill prints as <NAME>.
    let unfilled = regex::Regex::new(r"<[A-Z][A-Z_]+>").unwrap();
    for (name, _) in LIBRARY {
        let env = Env::new();
        let o = run(env.cmd_with(&["demo", name, "--output", "json", "--fail-on", "never"]));
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        let r = steady(&report(&o));
        for width in [80u16, 120] {
            let style = table::Style {
                width: Some(width),
                verbose: false,
                quiet: false,
            };
            let text = table::render(&r, &style);
            for line in text.lines() {
                // Only a line that is one word (an ARN, a policy line) may be wider: it is
                // never cut.
                let whole_word_overflow = !line.trim().contains(' ');
                assert!(
                    line.chars().count() <= usize::from(width) || whole_word_overflow,
                    "{name} at {width}: too wide: {line}"
                );
            }
            assert!(
                !unfilled.is_match(&text),
                "{name}: unfilled fix placeholder:\n{text}"
            );
            insta::assert_snapshot!(format!("{name}-{width}"), text);
        }
        insta::assert_snapshot!(format!("{name}-markdown"), markdown::render(&r));
    }
}
