//! Regexes compiled on first need, and only needed when a literal they require occurs in the
//! text. Compiling all of the catalog's and the extractor's regexes would cost most of explain's
//! time budget; a typical message needs a handful of them.

use regex::bytes::{Regex, RegexBuilder};
use std::sync::OnceLock;

/// Patterns run on normalised text whose every fact is ASCII, so classes and case folding are
/// ASCII-only (`unicode(false)`, on bytes): Unicode `\w` and case tables made compiling each
/// pattern several times slower.
fn build(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).unicode(false).build()
}

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
    pub fn compile(&self) -> Result<Matcher<'_>, String> {
        match self.regex() {
            Some(r) => Ok(Matcher(r)),
            None => Err(build(&self.pattern)
                .err()
                .map_or_else(|| "did not compile".to_string(), |e| e.to_string())),
        }
    }

    fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| build(&self.pattern).ok())
            .as_ref()
    }

    /// The regex, when the text (given lowercased as `lower`) could match it.
    pub fn for_text(&self, lower: &str) -> Option<Matcher<'_>> {
        let possible =
            self.triggers.is_empty() || self.triggers.iter().any(|t| lower.contains(t.as_str()));
        if possible {
            self.regex().map(Matcher)
        } else {
            None
        }
    }
}

/// A compiled regex, used on `&str` text; matches are widened to character boundaries so
/// a byte-level match never splits a character.
#[derive(Clone, Copy)]
pub struct Matcher<'r>(&'r Regex);

fn slice(text: &str, mut start: usize, mut end: usize) -> &str {
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    &text[start..end]
}

impl<'r> Matcher<'r> {
    #[cfg(test)]
    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text.as_bytes())
    }

    /// Byte range of the first match.
    pub fn find(&self, text: &str) -> Option<(usize, usize)> {
        self.0.find(text.as_bytes()).map(|m| (m.start(), m.end()))
    }

    /// Groups of the first match (index 0 is the whole match).
    pub fn captures<'t>(&self, text: &'t str) -> Option<Vec<Option<&'t str>>> {
        let caps = self.0.captures(text.as_bytes())?;
        Some(
            caps.iter()
                .map(|g| g.map(|m| slice(text, m.start(), m.end())))
                .collect(),
        )
    }

    /// Group `n` of the first match.
    pub fn group<'t>(&self, text: &'t str, n: usize) -> Option<&'t str> {
        self.captures(text)?.get(n).copied().flatten()
    }

    /// Group `n` of every match, in order.
    pub fn group_all<'t>(&self, text: &'t str, n: usize) -> Vec<&'t str> {
        self.0
            .captures_iter(text.as_bytes())
            .filter_map(|c| c.get(n).map(|m| slice(text, m.start(), m.end())))
            .collect()
    }

    /// Every match replaced by `$1$2...` style `replacement`.
    pub fn replace_all(&self, text: &str, replacement: &str) -> String {
        let out = self.0.replace_all(text.as_bytes(), replacement.as_bytes());
        String::from_utf8_lossy(&out).into_owned()
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
