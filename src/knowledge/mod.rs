//! What Bedrock's error messages mean. The knowledge is data (families.toml): message families,
//! each with the words that identify it, the cause it reveals, and the remediation. `explain`
//! and the doctor's `invoke` check both classify through [`classify`], so a family added there
//! serves both.

mod extract;
mod lazy;
pub mod models;
mod normalize;
pub mod template;

pub use extract::Extracted;

use crate::causes::Cause;
use lazy::LazyRegex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

const FAMILIES_TOML: &str = include_str!("families.toml");

/// How many causes a classification lists at most.
const MAX_CAUSES: usize = 4;

/// How far below its family a cause listed in `also` ranks.
const ALSO_PENALTY: i64 = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// One likely cause, with the evidence and what to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedCause {
    pub cause: Cause,
    pub title: String,
    pub confidence: Confidence,
    /// The words of the text that matched, as written there.
    pub why: Vec<String>,
    pub fix: Vec<String>,
    /// The bedrock-doctor command that confirms this cause against the account.
    pub confirm: String,
    /// The catalog family that matched (for `also` causes: the family that suggested them).
    pub family: String,
}

/// What to do when nothing in the text was recognised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advice {
    pub title: String,
    pub why: Vec<String>,
    pub fix: Vec<String>,
    pub confirm: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// Best first. Empty when nothing was recognised; then `unknown` says what to do.
    pub causes: Vec<RankedCause>,
    pub extracted: Extracted,
    pub unknown: Option<Advice>,
}

impl Classification {
    pub fn is_unknown(&self) -> bool {
        self.causes.is_empty()
    }

    pub fn top(&self) -> Option<&RankedCause> {
        self.causes.first()
    }
}

/// Classifies any text: a message, a log excerpt, a stack trace, a JSON error body.
pub fn classify(text: &str) -> Classification {
    let norm = normalize::normalize(text);
    for secret in &norm.secrets {
        crate::secrets::register(secret);
    }
    let extracted = extract::extract(&norm.text, &norm.lower);
    catalog().classify(&norm, extracted)
}

/// Classifies an SDK error by its parts, for callers that hold a structured error
/// (the `invoke` check): the exception code, the service's message and the HTTP status, and
/// the region and model the call went to, which fill the fix where the message is silent.
pub fn classify_error(
    code: Option<&str>,
    message: &str,
    http_status: Option<u16>,
    call: (&str, &str),
) -> Classification {
    let mut text = String::new();
    if let Some(code) = code {
        text.push_str(code);
        text.push_str(": ");
    }
    text.push_str(message);
    if let Some(status) = http_status {
        text.push_str(&format!(" (HTTP status: {status})"));
    }
    let norm = normalize::normalize(&text);
    for secret in &norm.secrets {
        crate::secrets::register(secret);
    }
    let mut extracted = extract::extract(&norm.text, &norm.lower);
    let (region, model_id) = call;
    let known = |v: &str| (!v.is_empty()).then(|| v.to_string());
    extracted.region = extracted.region.or_else(|| known(region));
    extracted.model_id = extracted.model_id.or_else(|| known(model_id));
    catalog().classify(&norm, extracted)
}

// ---- the catalog file ----------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    unknown: UnknownSpec,
    cause: BTreeMap<String, CauseSpec>,
    family: Vec<FamilySpec>,
    #[serde(default)]
    context: Vec<ContextSpec>,
}

/// A cause that follows from what the model catalog knows about the extracted model id,
/// rather than from the words of the message.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextSpec {
    pub id: String,
    /// `end-of-life` or `legacy`: the lifecycle the model must have.
    pub lifecycle: String,
    pub cause: String,
    /// When the best cause from the words is one of these, this cause goes first instead.
    #[serde(default)]
    pub promote_over: Vec<String>,
    /// When nothing was recognised but the text names one of these exceptions, this is the answer.
    #[serde(default)]
    pub answers_unknown_for: Vec<String>,
    pub title: String,
    pub why: String,
    pub fix: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnknownSpec {
    title: String,
    fix: Vec<String>,
    confirm: String,
    #[serde(default)]
    exception: Vec<ExceptionAdvice>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExceptionAdvice {
    names: Vec<String>,
    fix: Vec<String>,
    confirm: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CauseSpec {
    fix: Vec<String>,
    confirm: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FamilySpec {
    id: String,
    cause: String,
    title: String,
    priority: u8,
    confidence: Confidence,
    #[serde(default)]
    phrases: Vec<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    status: Vec<u16>,
    #[serde(default)]
    requires: Vec<String>,
    #[serde(default)]
    excludes: Vec<String>,
    #[serde(default)]
    also: Vec<String>,
    fix: Option<Vec<String>>,
    confirm: Option<String>,
}

/// One message family, compiled.
#[derive(Debug)]
pub struct Family {
    pub id: String,
    pub cause: Cause,
    pub title: String,
    pub priority: u8,
    pub confidence: Confidence,
    pub phrases: Vec<String>,
    regexes: Vec<LazyRegex>,
    pub status: Vec<u16>,
    pub requires: Vec<String>,
    pub excludes: Vec<String>,
    pub also: Vec<Cause>,
    pub fix: Option<Vec<String>>,
    pub confirm: Option<String>,
}

#[derive(Debug)]
pub struct Catalog {
    pub families: Vec<Family>,
    pub contexts: Vec<(Cause, ContextSpec)>,
    causes: BTreeMap<Cause, CauseSpec>,
    unknown: UnknownSpec,
    phrases: PhraseIndex,
}

/// The embedded catalog, parsed once per process. Its validity is a test of this crate
/// (`catalog_loads`), so failing here is a build defect, not a user error.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        Catalog::parse(FAMILIES_TOML)
            .unwrap_or_else(|e| panic!("src/knowledge/families.toml is invalid: {e}"))
    })
}

impl Catalog {
    pub fn parse(source: &str) -> Result<Catalog, String> {
        let file: CatalogFile = toml::from_str(source).map_err(|e| e.to_string())?;
        let mut causes = BTreeMap::new();
        for (code, spec) in file.cause {
            let cause: Cause = code.parse()?;
            causes.insert(cause, spec);
        }
        let mut families = Vec::with_capacity(file.family.len());
        for f in file.family {
            let cause: Cause = f
                .cause
                .parse()
                .map_err(|e| format!("family {}: {e}", f.id))?;
            // Compiled on first use, and only for texts that contain the regex's literal.
            let regexes = f
                .regexes
                .iter()
                .map(|r| LazyRegex::derived(r, true))
                .collect();
            let also = f
                .also
                .iter()
                .map(|c| {
                    c.parse::<Cause>()
                        .map_err(|e| format!("family {}: {e}", f.id))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let lower = |v: Vec<String>| v.into_iter().map(|p| p.to_lowercase()).collect();
            families.push(Family {
                id: f.id,
                cause,
                title: f.title,
                priority: f.priority,
                confidence: f.confidence,
                phrases: lower(f.phrases),
                regexes,
                status: f.status,
                requires: lower(f.requires),
                excludes: lower(f.excludes),
                also,
                fix: f.fix,
                confirm: f.confirm,
            });
        }
        let mut contexts = Vec::new();
        for c in file.context {
            let cause: Cause = c
                .cause
                .parse()
                .map_err(|e| format!("context {}: {e}", c.id))?;
            for code in &c.promote_over {
                code.parse::<Cause>()
                    .map_err(|e| format!("context {}: {e}", c.id))?;
            }
            if c.lifecycle != "end-of-life" && c.lifecycle != "legacy" {
                return Err(format!(
                    "context {}: unknown lifecycle {}",
                    c.id, c.lifecycle
                ));
            }
            contexts.push((cause, c));
        }
        let phrases = PhraseIndex::new(
            families
                .iter()
                .flat_map(|f| f.phrases.iter().chain(&f.requires).chain(&f.excludes)),
        )?;
        Ok(Catalog {
            families,
            contexts,
            causes,
            unknown: file.unknown,
            phrases,
        })
    }

    /// Default fix and confirm command of a cause.
    pub fn cause_defaults(&self, cause: Cause) -> Option<(&[String], &str)> {
        self.causes
            .get(&cause)
            .map(|s| (s.fix.as_slice(), s.confirm.as_str()))
    }

    /// Every template string of the catalog, for the placeholder test.
    pub fn templates(&self) -> Vec<&str> {
        let mut out: Vec<&str> = vec![&self.unknown.title, &self.unknown.confirm];
        out.extend(self.unknown.fix.iter().map(String::as_str));
        for e in &self.unknown.exception {
            out.push(&e.confirm);
            out.extend(e.fix.iter().map(String::as_str));
        }
        for spec in self.causes.values() {
            out.push(&spec.confirm);
            out.extend(spec.fix.iter().map(String::as_str));
        }
        for f in &self.families {
            out.push(&f.title);
            if let Some(c) = &f.confirm {
                out.push(c);
            }
            out.extend(f.fix.iter().flatten().map(String::as_str));
        }
        for (_, c) in &self.contexts {
            out.push(&c.title);
            out.push(&c.why);
            out.extend(c.fix.iter().flatten().map(String::as_str));
        }
        out
    }

    /// Every confirm command of the catalog.
    pub fn confirm_commands(&self) -> Vec<&str> {
        let mut out: Vec<&str> = vec![&self.unknown.confirm];
        out.extend(self.unknown.exception.iter().map(|e| e.confirm.as_str()));
        out.extend(self.causes.values().map(|s| s.confirm.as_str()));
        out.extend(self.families.iter().filter_map(|f| f.confirm.as_deref()));
        out
    }

    fn classify(&self, norm: &normalize::Normalized, extracted: Extracted) -> Classification {
        let mut vars = template::Vars::from_extracted(&extracted);
        let lifecycle = extracted.model_id.as_deref().and_then(models::lifecycle);
        vars.set_lifecycle(lifecycle.as_ref(), models::as_of());
        if let (Some(m), Some(r)) = (&extracted.model_id, &extracted.region) {
            if models::offered_in(m, r) {
                vars = vars.with("catalog_offered", "yes");
            }
        }
        let status: Option<u16> = extracted
            .http_status
            .as_deref()
            .and_then(|s| s.parse().ok());

        struct Candidate<'a> {
            score: i64,
            cause: Cause,
            family: &'a Family,
            primary: bool,
            why: Vec<String>,
        }
        let mut candidates: Vec<Candidate> = Vec::new();
        let found = self.phrases.scan(&norm.lower);
        for family in &self.families {
            let Some(hit) = family.matches(norm, &found, status) else {
                continue;
            };
            let longest = hit.words.iter().map(|w| w.len()).max().unwrap_or(0) as i64;
            let base = i64::from(family.priority) * 1000;
            let quoted: Vec<String> = hit.words.iter().map(|w| format!("\"{w}\"")).collect();
            let mut why = quoted.clone();
            if hit.by_status {
                why.push(format!("HTTP status {}", status.unwrap_or_default()));
            }
            candidates.push(Candidate {
                score: base + longest.min(999),
                cause: family.cause,
                family,
                primary: true,
                why,
            });
            for also in &family.also {
                let evidence = match quoted.first() {
                    Some(words) => {
                        format!("{words} is also what Bedrock says when this is the cause")
                    }
                    None => "the same status is also returned for this cause".to_string(),
                };
                candidates.push(Candidate {
                    score: base - ALSO_PENALTY * 1000,
                    cause: *also,
                    family,
                    primary: false,
                    why: vec![evidence],
                });
            }
        }
        candidates.sort_by_key(|c| std::cmp::Reverse(c.score));

        let mut causes: Vec<RankedCause> = Vec::new();
        for c in candidates {
            if causes.iter().any(|r| r.cause == c.cause) {
                continue;
            }
            let (default_fix, default_confirm) = self.cause_defaults(c.cause).unwrap_or((&[], ""));
            let (title, confidence, fix, confirm) = if c.primary {
                (
                    template::render(&c.family.title, &vars),
                    c.family.confidence,
                    c.family.fix.as_deref().unwrap_or(default_fix),
                    c.family.confirm.as_deref().unwrap_or(default_confirm),
                )
            } else {
                (
                    upper_first(c.cause.title()),
                    Confidence::Low,
                    default_fix,
                    default_confirm,
                )
            };
            causes.push(RankedCause {
                cause: c.cause,
                title,
                confidence,
                why: c.why,
                fix: template::render_lines(fix, &vars),
                confirm: template::render_command(confirm, &vars),
                family: c.family.id.clone(),
            });
        }

        if let Some(lc) = &lifecycle {
            self.apply_context(lc, &extracted, &vars, &mut causes);
        }
        causes.truncate(MAX_CAUSES);

        let unknown = causes
            .is_empty()
            .then(|| self.unknown_advice(&extracted, &vars));
        Classification {
            causes,
            extracted,
            unknown,
        }
    }

    /// The model's lifecycle adds a cause: first when the words only said "bad id" (what Bedrock
    /// answers for a removed model), or when nothing was recognised; otherwise last, as a note.
    fn apply_context(
        &self,
        lifecycle: &models::Lifecycle,
        extracted: &Extracted,
        vars: &template::Vars,
        causes: &mut Vec<RankedCause>,
    ) {
        let kind = match lifecycle {
            models::Lifecycle::EndOfLife { .. } => "end-of-life",
            models::Lifecycle::Legacy { .. } => "legacy",
        };
        for (cause, spec) in self.contexts.iter().filter(|(_, c)| c.lifecycle == kind) {
            if causes.iter().any(|r| r.cause == *cause) {
                continue;
            }
            let top = causes.first().map(|r| r.cause.code());
            let promote = match top {
                Some(code) => spec.promote_over.iter().any(|p| p == code),
                None => extracted.exception.as_deref().is_some_and(|e| {
                    spec.answers_unknown_for
                        .iter()
                        .any(|a| a.eq_ignore_ascii_case(e))
                }),
            };
            if top.is_none() && !promote {
                // An unrecognised text stays an honest unknown.
                continue;
            }
            let (default_fix, default_confirm) = self.cause_defaults(*cause).unwrap_or((&[], ""));
            // Promoted over "bad id" words, it is as sure as those words (they are what
            // Bedrock says for a removed model): a list ranked best first never shows a
            // lower confidence above a higher one.
            let confidence = match (promote, causes.first()) {
                (true, Some(top)) => top.confidence,
                (true, None) => Confidence::Medium,
                (false, _) => Confidence::Low,
            };
            let ranked = RankedCause {
                cause: *cause,
                title: template::render(&spec.title, vars),
                confidence,
                why: vec![template::render(&spec.why, vars)],
                fix: template::render_lines(spec.fix.as_deref().unwrap_or(default_fix), vars),
                confirm: template::render_command(default_confirm, vars),
                family: spec.id.clone(),
            };
            if promote {
                causes.insert(0, ranked);
            } else {
                // Kept visible even when the list is full: it is a fact, not a guess.
                if causes.len() >= MAX_CAUSES {
                    causes.truncate(MAX_CAUSES - 1);
                }
                causes.push(ranked);
            }
        }
    }

    fn unknown_advice(&self, extracted: &Extracted, vars: &template::Vars) -> Advice {
        let mut why = Vec::new();
        match (&extracted.exception, &extracted.http_status) {
            (Some(e), Some(s)) => why.push(format!(
                "the text names {e} (HTTP {s}) but none of the messages that tell its causes apart"
            )),
            (Some(e), None) => why.push(format!(
                "the text names {e} but none of the messages that tell its causes apart"
            )),
            (None, Some(s)) => why.push(format!(
                "the text shows HTTP status {s} but no message the catalog knows"
            )),
            (None, None) => {
                why.push("no known Bedrock, IAM or SDK error message was found in the text".into())
            }
        }
        let by_exception = extracted.exception.as_deref().and_then(|e| {
            self.unknown
                .exception
                .iter()
                .find(|a| a.names.iter().any(|n| n.eq_ignore_ascii_case(e)))
        });
        let (mut fix, confirm) = match by_exception {
            Some(a) => (a.fix.clone(), a.confirm.as_str()),
            None => (Vec::new(), self.unknown.confirm.as_str()),
        };
        fix.extend(self.unknown.fix.iter().cloned());
        Advice {
            title: template::render(&self.unknown.title, vars),
            why,
            fix: template::render_lines(&fix, vars),
            confirm: template::render_command(confirm, vars),
        }
    }
}

struct Hit {
    /// The matched words as written in the text.
    words: Vec<String>,
    by_status: bool,
}

impl Family {
    fn matches(
        &self,
        norm: &normalize::Normalized,
        found: &Found,
        status: Option<u16>,
    ) -> Option<Hit> {
        if self.excludes.iter().any(|p| found.at(p).is_some()) {
            return None;
        }
        if !self.requires.iter().all(|p| found.at(p).is_some()) {
            return None;
        }
        let mut words: Vec<String> = Vec::new();
        let mut add = |w: &str| {
            if !words.iter().any(|x| x.eq_ignore_ascii_case(w)) {
                words.push(w.to_string());
            }
        };
        for phrase in &self.phrases {
            if let Some(at) = found.at(phrase) {
                // `lower` only differs from `text` in ASCII case, so the offsets agree.
                add(norm.text.get(at..at + phrase.len()).unwrap_or(phrase));
            }
        }
        for re in &self.regexes {
            if let Some((start, end)) = re.for_text(&norm.lower).and_then(|r| r.find(&norm.text)) {
                add(whole_words(&norm.text, start, end));
            }
        }
        let by_status = status.is_some_and(|s| self.status.contains(&s));
        if words.is_empty() && !by_status {
            return None;
        }
        // A phrase contained in a longer matched phrase adds nothing to the evidence.
        let all = words.clone();
        words.retain(|w| {
            !all.iter().any(|o| {
                o.len() > w.len() && o.to_ascii_lowercase().contains(&w.to_ascii_lowercase())
            })
        });
        words.truncate(4);
        Some(Hit { words, by_status })
    }
}

/// A regex match widened to whole words, so evidence never ends in `polic` of `policy`.
fn whole_words(text: &str, start: usize, end: usize) -> &str {
    let b = text.as_bytes();
    let is_word = |i: usize| {
        b.get(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    };
    let (mut s, mut e) = (start, end);
    if e > s && is_word(e - 1) {
        while is_word(e) {
            e += 1;
        }
    }
    if e > s && is_word(s) {
        while s > 0 && is_word(s - 1) {
            s -= 1;
        }
    }
    text.get(s..e).unwrap_or(&text[start..end])
}

/// Does the match `hay[at..end]` neither start nor end inside a longer word? The Node error
/// code `enotfound` must not match `ResourceNotFoundException`.
fn whole_word_at(hay: &[u8], at: usize, end: usize) -> bool {
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let (Some(&first), Some(&last)) = (hay.get(at), end.checked_sub(1).and_then(|e| hay.get(e)))
    else {
        return false;
    };
    let starts_ok = !is_word(first) || at == 0 || !is_word(hay[at - 1]);
    let ends_ok = !is_word(last) || end == hay.len() || !is_word(hay[end]);
    starts_ok && ends_ok
}

/// The first occurrence of `phrase` as whole words (see [`whole_word_at`]), one phrase at a
/// time: the reference [`PhraseIndex`] is tested against.
#[cfg(test)]
fn find_word(hay: &str, phrase: &str) -> Option<usize> {
    if phrase.is_empty() {
        return None;
    }
    let mut from = 0;
    while let Some(rel) = hay.get(from..).and_then(|rest| rest.find(phrase)) {
        let at = from + rel;
        if whole_word_at(hay.as_bytes(), at, at + phrase.len()) {
            return Some(at);
        }
        from = at + 1;
        while from < hay.len() && !hay.is_char_boundary(from) {
            from += 1;
        }
    }
    None
}

/// Every phrase of the catalog (phrases, requires, excludes), searched for in one pass over
/// the text. Searching for each of the few hundred phrases in turn made explain take over a
/// minute on a 10 MB paste (debug build), the largest input it accepts.
#[derive(Debug)]
struct PhraseIndex {
    automaton: aho_corasick::AhoCorasick,
    ids: BTreeMap<String, usize>,
}

/// Where each phrase of the catalog first occurs as whole words in one text.
struct Found<'c> {
    ids: &'c BTreeMap<String, usize>,
    first: Vec<Option<usize>>,
}

impl Found<'_> {
    fn at(&self, phrase: &str) -> Option<usize> {
        self.ids.get(phrase).and_then(|&i| self.first[i])
    }
}

impl PhraseIndex {
    fn new<'a>(phrases: impl Iterator<Item = &'a String>) -> Result<PhraseIndex, String> {
        let mut ids = BTreeMap::new();
        let mut list: Vec<&str> = Vec::new();
        for p in phrases.filter(|p| !p.is_empty()) {
            if !ids.contains_key(p) {
                ids.insert(p.clone(), list.len());
                list.push(p);
            }
        }
        let automaton = aho_corasick::AhoCorasick::new(&list)
            .map_err(|e| format!("the catalog's phrases: {e}"))?;
        Ok(PhraseIndex { automaton, ids })
    }

    fn scan(&self, hay: &str) -> Found<'_> {
        let mut first = vec![None; self.ids.len()];
        // Overlapping, so `access denied` inside `not access denied` and the like are all seen;
        // matches come in order of their end, so a phrase's first hit is its leftmost one.
        for m in self.automaton.find_overlapping_iter(hay) {
            let slot = &mut first[m.pattern().as_usize()];
            if slot.is_none() && whole_word_at(hay.as_bytes(), m.start(), m.end()) {
                *slot = Some(m.start());
            }
        }
        Found {
            ids: &self.ids,
            first,
        }
    }
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_evidence_is_whole_words() {
        let t = "with an explicit deny in a service control policy: arn";
        let at = t.find("explicit").unwrap();
        let end = t.find("polic").unwrap() + 5;
        assert_eq!(
            whole_words(t, at, end),
            "explicit deny in a service control policy"
        );
        assert_eq!(whole_words("é ab", 3, 4), "ab");
    }

    #[test]
    fn phrases_match_whole_words() {
        assert_eq!(
            find_word("getaddrinfo enotfound host", "enotfound"),
            Some(12)
        );
        assert_eq!(find_word("resourcenotfoundexception", "enotfound"), None);
        assert_eq!(
            find_word("x resourcenotfound enotfound", "enotfound"),
            Some(19)
        );
        assert_eq!(find_word("readtimeouterror", "timeouterror"), None);
        assert_eq!(
            find_word(
                "unknown service: 'bedrock-runtime'",
                "unknown service: 'bedrock"
            ),
            Some(0)
        );
        assert_eq!(find_word("é enotfound", "enotfound"), Some(3));
    }

    #[test]
    fn catalog_loads() {
        let c = Catalog::parse(FAMILIES_TOML).unwrap();
        assert!(c.families.len() > 30);
        for f in &c.families {
            for r in &f.regexes {
                r.compile()
                    .unwrap_or_else(|e| panic!("family {}: {}: {e}", f.id, r.pattern()));
            }
        }
    }

    /// Gating a regex by its literal must never hide a match: on every corpus text, a regex
    /// that matches (run without the gate) has its trigger in the text.
    #[test]
    fn regex_triggers_never_hide_a_match() {
        #[derive(serde::Deserialize)]
        struct Entry {
            text: String,
        }
        let corpus: Vec<Entry> =
            serde_json::from_str(include_str!("../../tests/data/explain_corpus.json")).unwrap();
        let written: Vec<Entry> =
            serde_json::from_str(include_str!("../../tests/data/explain_written.json")).unwrap();
        let dev: Vec<Entry> =
            serde_json::from_str(include_str!("../../tests/data/explain_dev.json")).unwrap();
        for e in corpus.iter().chain(&written).chain(&dev) {
            let n = normalize::normalize(&e.text);
            for f in &catalog().families {
                for r in &f.regexes {
                    let matched = r.compile().unwrap().is_match(&n.text);
                    if matched && !r.triggers().is_empty() {
                        assert!(
                            r.triggers().iter().any(|t| n.lower.contains(t.as_str())),
                            "{}: trigger {:?} absent but {} matches",
                            f.id,
                            r.triggers(),
                            r.pattern()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_cause_has_default_remediation() {
        let c = catalog();
        for cause in Cause::ALL {
            let (fix, confirm) = c
                .cause_defaults(*cause)
                .unwrap_or_else(|| panic!("[cause.{cause}] missing from families.toml"));
            assert!(
                !fix.is_empty() && confirm.starts_with("bedrock-doctor"),
                "{cause}"
            );
        }
    }

    #[test]
    fn family_ids_unique_and_phrases_canonical() {
        let c = catalog();
        let mut ids = std::collections::BTreeSet::new();
        for f in &c.families {
            assert!(ids.insert(f.id.as_str()), "duplicate family id {}", f.id);
            assert!(
                !f.phrases.is_empty() || !f.regexes.is_empty() || !f.status.is_empty(),
                "{} matches nothing",
                f.id
            );
            for p in f.phrases.iter().chain(&f.requires).chain(&f.excludes) {
                // Phrases are matched against normalised text: ASCII, lowercase, single spaces.
                assert!(
                    p.is_ascii() && !p.contains("  ") && p.trim() == p,
                    "{}: {p:?}",
                    f.id
                );
                assert!(
                    !p.contains('`') && !p.contains('\u{2019}'),
                    "{}: {p:?}",
                    f.id
                );
            }
            assert!(
                !f.also.contains(&f.cause),
                "{} lists its own cause in also",
                f.id
            );
        }
    }

    #[test]
    fn templates_use_known_placeholders() {
        for t in catalog().templates() {
            let line = t
                .strip_prefix("if:")
                .or_else(|| t.strip_prefix("unless:"))
                .map(|rest| {
                    let (name, text) = rest.split_once(' ').unwrap_or((rest, ""));
                    assert!(template::NAMES.contains(&name), "condition {name} in {t}");
                    text
                })
                .unwrap_or(t);
            for part in template::parse(line) {
                if let Err(p) = part {
                    assert!(template::NAMES.contains(&p.name), "{{{}}} in {t}", p.name);
                }
            }
        }
    }

    #[test]
    fn confirm_commands_name_real_checks() {
        let registered: Vec<String> = crate::checks::all()
            .iter()
            .map(|c| c.meta.id.clone())
            .collect();
        for cmd in catalog().confirm_commands() {
            assert!(cmd.starts_with("bedrock-doctor"), "{cmd}");
            let words: Vec<&str> = cmd.split_whitespace().collect();
            for pair in words.windows(2) {
                if pair[0] == "--only" {
                    for id in pair[1].split(',') {
                        assert!(
                            registered.iter().any(|r| r == id),
                            "unknown check {id} in {cmd}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn unknown_is_honest() {
        let c = classify("AccessDeniedException: 403");
        assert!(c.is_unknown());
        let advice = c.unknown.unwrap();
        assert!(advice.why[0].contains("AccessDeniedException"));
        assert!(advice.confirm.contains("iam-permissions"));
        let c = classify("everything is fine, nothing to see");
        assert!(c.is_unknown());
    }

    #[test]
    fn an_explicit_deny_lists_the_principals_own_kind_of_policies() {
        let deny = |who: &str| {
            classify(&format!("AccessDeniedException: User: {who} is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0 with an explicit deny in an identity-based policy"))
        };
        let c = deny("arn:aws:iam::111122223333:user/ci");
        assert!(
            c.causes[0].fix[0].contains("list-attached-user-policies --user-name ci"),
            "{:?}",
            c.causes[0].fix
        );
        let c = deny("arn:aws:sts::111122223333:assumed-role/app/session");
        assert!(
            c.causes[0].fix[0].contains("list-attached-role-policies --role-name app"),
            "{:?}",
            c.causes[0].fix
        );
    }

    #[test]
    fn a_bad_id_the_catalog_lists_there_points_at_what_was_sent() {
        let c = classify("ValidationException: The provided model identifier is invalid. modelId=amazon.nova-lite-v1:0 region us-east-1");
        assert_eq!(c.causes[0].cause, Cause::ModelIdInvalid);
        assert!(
            c.causes[0].fix[0].contains("lists amazon.nova-lite-v1:0 in us-east-1"),
            "{:?}",
            c.causes[0].fix
        );
        let c = classify("ValidationException: The provided model identifier is invalid. modelId=amazon.nova-lyte-v1:0 region us-east-1");
        assert!(
            !c.causes[0].fix.iter().any(|f| f.contains("looks right")),
            "{:?}",
            c.causes[0].fix
        );
    }

    #[test]
    fn catalog_lifecycle_turns_a_bad_id_into_end_of_life() {
        let c = classify("An error occurred (ValidationException) when calling the InvokeModel operation: The provided model identifier is invalid. modelId=anthropic.claude-v2");
        let got: Vec<Cause> = c.causes.iter().map(|r| r.cause).collect();
        assert_eq!(got[..2], [Cause::ModelEndOfLife, Cause::ModelIdInvalid]);
        assert_eq!(c.causes[0].confidence, c.causes[1].confidence);
        assert!(
            c.causes[0].why[0].contains("end of life since 2025-07-21"),
            "{:?}",
            c.causes[0].why
        );
        assert!(c.causes[0].fix[0].contains("anthropic.claude-sonnet-4-5-20250929-v1:0"));

        // Words that say something else keep their rank; the lifecycle is a note at the end.
        let c = classify("ReadTimeoutError: Read timeout on endpoint URL: \"https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-v2/invoke\"");
        assert_eq!(c.causes[0].cause, Cause::ModelTimeout);
        assert_eq!(
            c.causes.last().map(|r| r.cause),
            Some(Cause::ModelEndOfLife)
        );

        // Nothing recognised but a model-shaped 404: the lifecycle is the answer.
        let c = classify("ResourceNotFoundException: 404 for meta.llama2-70b-chat-v1");
        assert_eq!(c.top().map(|r| r.cause), Some(Cause::ModelEndOfLife));
        // ... but not without such an exception: that stays unknown.
        assert!(classify("ERR_HTTP2_STREAM_CANCEL meta.llama2-70b-chat-v1").is_unknown());
    }

    #[test]
    fn classify_error_parts() {
        let c = classify_error(Some("ThrottlingException"), "", Some(429), ("", ""));
        assert_eq!(c.top().map(|r| r.cause), Some(Cause::Throttled));
        let c = classify_error(
            Some("ValidationException"),
            "Invocation of model ID anthropic.claude-3-7-sonnet-20250219-v1:0 with on-demand throughput isn\u{2019}t supported.",
            Some(400),
            ("eu-west-1", "us.amazon.nova-lite-v1:0"),
        );
        assert_eq!(
            c.top().map(|r| r.cause),
            Some(Cause::InferenceProfileRequired)
        );
        // The message's own model wins over the call's.
        assert!(c.causes[0].fix[0].contains("us.anthropic.claude-3-7-sonnet-20250219-v1:0"));
        // Where the message is silent, the call's region fills the fix.
        let c = classify_error(
            Some("ValidationException"),
            "The guardrail identifier or version provided in the request does not exist.",
            Some(400),
            ("eu-west-1", "amazon.nova-lite-v1:0"),
        );
        assert_eq!(c.top().map(|r| r.cause), Some(Cause::GuardrailUnavailable));
        assert!(
            c.causes[0].fix[0].contains("--region eu-west-1"),
            "{:?}",
            c.causes[0].fix
        );
    }

    #[test]
    fn empty_and_odd_input_never_panics() {
        for text in [
            "",
            " ",
            "\\",
            "\\u12",
            "{",
            "**",
            "é\u{2019}",
            "%3A%2F",
            "\u{0}\u{1}",
        ] {
            let _ = classify(text);
        }
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    /// Catalog phrases glued to words, separators and non-ASCII letters, so that phrases occur
    /// inside words, at their edges, overlapping and more than once.
    fn phrase_soup() -> impl Strategy<Value = String> {
        let phrases: Vec<String> = catalog().phrases.ids.keys().cloned().collect();
        let piece = prop_oneof![
            proptest::sample::select(phrases),
            "[a-z0-9_]{1,5}",
            proptest::sample::select(vec![" ", "-", "'", ": ", "\u{e9}", "(", ")", "."])
                .prop_map(str::to_string),
        ];
        proptest::collection::vec(piece, 0..10).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The one-pass index finds each phrase exactly where a search for it alone does.
        #[test]
        fn the_phrase_index_agrees_with_a_search_per_phrase(text in phrase_soup()) {
            let index = &catalog().phrases;
            let found = index.scan(&text);
            for phrase in index.ids.keys() {
                prop_assert_eq!(found.at(phrase), find_word(&text, phrase), "{:?}", phrase);
            }
        }

        /// Explain's promises, for any text: an answer or an honest unknown (never both,
        /// never neither), at most MAX_CAUSES distinct causes, evidence quoted from the text,
        /// and the same answer every time.
        #[test]
        fn classification_is_honest(text in prop_oneof![phrase_soup(), any::<String>()]) {
            let c = classify(&text);
            prop_assert_eq!(c.causes.is_empty(), c.unknown.is_some());
            prop_assert!(c.causes.len() <= MAX_CAUSES);
            for (i, r) in c.causes.iter().enumerate() {
                prop_assert!(!c.causes[..i].iter().any(|o| o.cause == r.cause), "{:?} twice", r.cause);
            }
            let lower = normalize::normalize(&text).lower;
            for r in &c.causes {
                let primary = catalog().families.iter().any(|f| f.id == r.family && f.cause == r.cause);
                for why in r.why.iter().filter(|_| primary) {
                    if let Some(quoted) = why.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
                        prop_assert!(lower.contains(&quoted.to_ascii_lowercase()), "{:?} not in {:?}", quoted, lower);
                    }
                }
            }
            prop_assert_eq!(classify(&text), c);
        }
    }
}
