//! Regexes compiled on first need, and only needed when a literal they require occurs in the
//! text. Compiling all of the catalog's and the extractor's regexes would cost most of explain's
//! time budget; a typical message needs a handful of them.

use regex::Regex;
use std::sync::OnceLock;

#[derive(Debug)]
pub struct LazyRegex {
    pattern: String,
    /// Lowercase literals; the regex can only match when one of them occurs in the text.
    /// Empty: always run.
    triggers: Vec<String>,
    compiled: OnceLock<Option<Regex>>,
}

impl LazyRegex {
    /// `triggers` as written (any case); they are compared with the lowercased text.
    pub fn new(pattern: impl Into<String>, triggers: &[&str]) -> Self {
        LazyRegex {
            pattern: pattern.into(),
            triggers: triggers.iter().map(|t| t.to_ascii_lowercase()).collect(),
            compiled: OnceLock::new(),
        }
    }

    /// A regex whose trigger is derived from the pattern itself (see [`required_literal`]).
    pub fn derived(pattern: &str, case_insensitive: bool) -> Self {
        let triggers: Vec<String> = required_literal(pattern).into_iter().collect();
        let full = if case_insensitive {
            format!("(?i){pattern}")
        } else {
            pattern.to_string()
        };
        LazyRegex {
            pattern: full,
            triggers,
            compiled: OnceLock::new(),
        }
    }

    #[cfg(test)]
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    #[cfg(test)]
    pub fn triggers(&self) -> &[String] {
        &self.triggers
    }

    /// Compiles now, so a test can prove every pattern of the catalog is valid.
    #[cfg(test)]
    pub fn compile(&self) -> Result<&Regex, String> {
        self.regex().ok_or_else(|| match Regex::new(&self.pattern) {
            Err(e) => e.to_string(),
            Ok(_) => "unknown".into(),
        })
    }

    fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| Regex::new(&self.pattern).ok())
            .as_ref()
    }

    /// The regex, when the text (given lowercased as `lower`) could match it.
    pub fn for_text(&self, lower: &str) -> Option<&Regex> {
        let possible =
            self.triggers.is_empty() || self.triggers.iter().any(|t| lower.contains(t.as_str()));
        if possible {
            self.regex()
        } else {
            None
        }
    }
}

/// The longest run of literal text every match must contain: characters outside groups and
/// classes, not made optional by a quantifier, in a pattern without a top-level `|`. None when
/// there is no run of at least three characters; then the regex always runs.
pub fn required_literal(pattern: &str) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut runs: Vec<String> = Vec::new();
    let mut run = String::new();
    let mut depth = 0usize;
    let mut i = 0;
    let flush = |run: &mut String, runs: &mut Vec<String>| {
        if !run.is_empty() {
            runs.push(std::mem::take(run));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let optional_next = matches!(next, Some('?' | '*' | '{'));
        match c {
            '\\' => {
                let Some(e) = next else { break };
                i += 1;
                let literal = !e.is_ascii_alphanumeric();
                if depth == 0 && literal {
                    let quantified = matches!(chars.get(i + 1), Some('?' | '*' | '{'));
                    if quantified {
                        flush(&mut run, &mut runs);
                    } else {
                        run.push(e);
                    }
                } else {
                    flush(&mut run, &mut runs);
                }
            }
            '[' => {
                flush(&mut run, &mut runs);
                // Skip the class, escapes included.
                i += 1;
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    i += 1;
                }
                while i < chars.len() && chars[i] != ']' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            '(' => {
                flush(&mut run, &mut runs);
                depth += 1;
            }
            ')' => {
                flush(&mut run, &mut runs);
                depth = depth.saturating_sub(1);
            }
            '|' if depth == 0 => return None,
            '.' | '^' | '$' | '+' | '*' | '?' | '{' | '}' | '|' => {
                flush(&mut run, &mut runs);
                // A counted repetition: skip to its end.
                if c == '{' {
                    while i < chars.len() && chars[i] != '}' {
                        i += 1;
                    }
                }
            }
            _ if depth == 0 => {
                if optional_next {
                    flush(&mut run, &mut runs);
                } else {
                    run.push(c);
                }
            }
            _ => {}
        }
        i += 1;
    }
    flush(&mut run, &mut runs);
    runs.into_iter()
        .filter(|r| r.trim().chars().count() >= 3)
        .max_by_key(|r| r.len())
        .map(|r| r.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        let lit = |p| required_literal(p);
        assert_eq!(
            lit("because no [a-z -]*polic(?:y|ies) allows?\\b").as_deref(),
            Some("because no ")
        );
        assert_eq!(
            lit("(?:do not|don't) have access to (?:the|this) model").as_deref(),
            Some(" have access to ")
        );
        assert_eq!(
            lit("signature expired: \\d{8}t\\d{6}z").as_deref(),
            Some("signature expired: ")
        );
        assert_eq!(lit("a|b"), None);
        assert_eq!(
            lit("https?://bedrock\\.[a-z0-9-]+\\.amazonaws\\.com/model/").as_deref(),
            Some(".amazonaws.com/model/")
        );
        assert_eq!(lit("colou?r").as_deref(), Some("colo"));
        assert_eq!(lit("a?b"), None);
        assert_eq!(lit("abcd?e").as_deref(), Some("abc"));
        assert_eq!(
            lit("\\bapi key (?:is )?(?:invalid|expired)").as_deref(),
            Some("api key ")
        );
    }

    #[test]
    fn triggers_gate() {
        let r = LazyRegex::new(r"when calling the (\w+) operation", &["when calling the"]);
        assert!(r.for_text("nothing here").is_none());
        assert!(r
            .for_text("x when calling the converse operation")
            .is_some());
    }
}
