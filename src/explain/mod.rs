//! `bedrock-doctor explain`: error text in, ranked causes out. The knowledge lives in
//! crate::knowledge; this module reads the input and renders the answer.

pub mod confirm;

use crate::cli::{ExplainArgs, Output};
use crate::input;
use crate::knowledge::{self, Classification, Confidence};
use crate::report::exit;
use colored::Colorize;
use serde::{Deserialize, Serialize};
use std::io::IsTerminal;

/// One cause as `--output json` prints it. `code` is a cause code of docs/causes.md, or
/// `unknown` when the text revealed nothing the catalog knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonCause {
    pub code: String,
    pub title: String,
    pub confidence: Confidence,
    pub why: Vec<String>,
    pub fix: Vec<String>,
    pub confirm: String,
    /// The catalog family that matched; absent for `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
}

/// The `--output json` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonAnswer {
    /// Best first; never empty.
    pub causes: Vec<JsonCause>,
    pub extracted: knowledge::Extracted,
    /// Set when the model catalog the lifecycle facts come from is older than 120 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_note: Option<String>,
    /// With --confirm: each candidate checked against the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<confirm::Confirmation>,
}

pub fn to_json(c: &Classification) -> JsonAnswer {
    let mut causes: Vec<JsonCause> = c
        .causes
        .iter()
        .map(|r| JsonCause {
            code: r.cause.code().to_string(),
            title: r.title.clone(),
            confidence: r.confidence,
            why: r.why.clone(),
            fix: r.fix.clone(),
            confirm: r.confirm.clone(),
            family: Some(r.family.clone()),
        })
        .collect();
    if let Some(a) = &c.unknown {
        causes.push(JsonCause {
            code: "unknown".to_string(),
            title: a.title.clone(),
            confidence: Confidence::Low,
            why: a.why.clone(),
            fix: a.fix.clone(),
            confirm: a.confirm.clone(),
            family: None,
        });
    }
    JsonAnswer {
        causes,
        extracted: c.extracted.clone(),
        catalog_note: knowledge::models::stale_note(&crate::models::today()),
        confirm: None,
    }
}

/// Runs the command; returns the exit code.
pub fn run(args: &ExplainArgs) -> i32 {
    let text = match read_text(args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("bedrock-doctor: {e}");
            return exit::USAGE;
        }
    };
    let classification = knowledge::classify(&text);
    let confirmation = if args.confirm {
        match confirm::confirm(args, &classification) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("bedrock-doctor: {}", e.replace('\n', " "));
                return exit::USAGE;
            }
        }
    } else {
        None
    };
    let out = match args.output {
        Output::Json => {
            let mut answer = to_json(&classification);
            answer.confirm = confirmation;
            let mut s = serde_json::to_string_pretty(&answer)
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
            s.push('\n');
            s
        }
        Output::Table => {
            let mut s = render_text(&classification, width());
            if let Some(c) = &confirmation {
                s.push_str(&confirm::render(c, width()));
            }
            s
        }
    };
    crate::sink::print(&out);
    exit::HEALTHY
}

fn read_text(args: &ExplainArgs) -> Result<String, input::InputError> {
    let from_stdin = args.text.is_empty() || (args.text.len() == 1 && args.text[0] == "-");
    if !from_stdin {
        let joined = args.text.join(" ");
        if joined.trim().is_empty() {
            return Err(input::InputError("the error text argument is empty".into()));
        }
        if joined.len() as u64 > input::MAX_BYTES {
            return Err(input::InputError(
                "the error text argument is larger than the 10 MB limit".into(),
            ));
        }
        return Ok(joined);
    }
    if std::io::stdin().is_terminal() {
        return Err(input::InputError(
            "no error text: pass it as an argument or pipe it on stdin (see --help)".into(),
        ));
    }
    input::read_stdin(false)
}

fn width() -> usize {
    crate::sink::width()
        .map(usize::from)
        .unwrap_or(100)
        .clamp(60, 160)
}

const LABELS: [(&str, &str); 10] = [
    ("exception", "exception"),
    ("operation", "operation"),
    ("http_status", "HTTP status"),
    ("model_id", "model"),
    ("region", "region"),
    ("principal_arn", "principal"),
    ("action", "action"),
    ("resource_arn", "resource"),
    ("request_id", "request id"),
    ("policy_arn", "policy"),
];

/// The human answer: what the text revealed, then each cause with why, fix and confirm.
pub fn render_text(c: &Classification, width: usize) -> String {
    let mut out = String::new();
    let fields: Vec<(&str, &str)> = c
        .extracted
        .fields()
        .into_iter()
        .filter_map(|(name, v)| {
            let label = LABELS.iter().find(|(n, _)| *n == name)?.1;
            v.map(|v| (label, v))
        })
        .collect();
    if !fields.is_empty() {
        out.push_str(&format!("{}\n", "From the text".bold()));
        for (label, value) in fields {
            out.push_str(&format!("  {:<12} {value}\n", label.dimmed()));
        }
        out.push('\n');
    }

    if let Some(a) = &c.unknown {
        out.push_str(&format!(
            "{}  {}\n",
            "unknown".yellow().bold(),
            a.title.bold()
        ));
        section(&mut out, "why", &a.why, width);
        section(&mut out, "next", &a.fix, width);
        out.push_str(&format!("   {:<8} {}\n", "confirm".cyan(), a.confirm));
        return out;
    }

    let n = c.causes.len();
    out.push_str(&format!(
        "{}\n",
        if n == 1 {
            "Likely cause".to_string()
        } else {
            format!("Likely causes, best first ({n})")
        }
        .bold()
    ));
    for (i, r) in c.causes.iter().enumerate() {
        out.push('\n');
        let code = match r.confidence {
            Confidence::High => r.cause.code().red().bold(),
            Confidence::Medium => r.cause.code().yellow().bold(),
            Confidence::Low => r.cause.code().normal(),
        };
        out.push_str(&format!(
            "{}. {code}  {} confidence\n",
            i + 1,
            r.confidence.as_str()
        ));
        for line in wrap(&r.title, width.saturating_sub(3)) {
            out.push_str(&format!("   {line}\n"));
        }
        section(&mut out, "why", &r.why, width);
        section(&mut out, "fix", &r.fix, width);
        // One line, never wrapped: it is meant to be copied.
        out.push_str(&format!("   {:<8} {}\n", "confirm".cyan(), r.confirm));
    }
    if let Some(note) = knowledge::models::stale_note(&crate::models::today()) {
        out.push('\n');
        for line in wrap(&format!("note: {note}"), width) {
            out.push_str(&format!("{line}\n"));
        }
    }
    out
}

/// A labelled list: the first item on the label's line, the rest below, each wrapped with a
/// hanging indent.
fn section(out: &mut String, label: &str, items: &[String], width: usize) {
    const INDENT: usize = 12;
    let bullet = items.len() > 1;
    for (i, item) in items.iter().enumerate() {
        let head = if i == 0 {
            format!("   {:<8} ", label.cyan())
        } else {
            " ".repeat(INDENT)
        };
        let text = if bullet {
            format!("- {item}")
        } else {
            item.clone()
        };
        let avail = width.saturating_sub(INDENT + 2).max(30);
        for (j, line) in wrap(&text, avail).into_iter().enumerate() {
            if j == 0 {
                out.push_str(&head);
            } else {
                out.push_str(&" ".repeat(INDENT + if bullet { 2 } else { 0 }));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
}

/// Greedy word wrap; a word longer than the line (an ARN, a URL) stays whole.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed = if line.is_empty() {
            word.chars().count()
        } else {
            line.chars().count() + 1 + word.chars().count()
        };
        if needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_words_not_tokens() {
        assert_eq!(wrap("aaa bbb ccc", 7), vec!["aaa bbb", "ccc"]);
        let arn = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku";
        assert_eq!(wrap(&format!("on {arn} now"), 10), vec!["on", arn, "now"]);
    }

    #[test]
    fn json_always_has_a_cause() {
        colored::control::set_override(false);
        let c = knowledge::classify("KeyError: 'message'");
        let j = to_json(&c);
        assert_eq!(j.causes.len(), 1);
        assert_eq!(j.causes[0].code, "unknown");
        let text = render_text(&c, 80);
        assert!(text.contains("unknown  The text does not say why"));
    }

    #[test]
    fn text_shows_extracted_and_causes() {
        colored::control::set_override(false);
        let c = knowledge::classify("An error occurred (ThrottlingException) when calling the Converse operation (reached max retries: 4): Too many requests, please wait before trying again.");
        let text = render_text(&c, 100);
        assert!(text.contains("operation    Converse"), "{text}");
        assert!(text.contains("1. throttled  high confidence"), "{text}");
        assert!(
            text.contains("confirm  bedrock-doctor --model <MODEL_ID> --only throttling,quotas"),
            "{text}"
        );
    }
}
