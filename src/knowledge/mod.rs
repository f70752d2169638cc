//! What Bedrock's error messages mean. The knowledge is data (families.toml): message families,
//! each with the words that identify it, the cause it reveals, and the remediation. `explain`
//! and the doctor's `invoke` check both classify through [`classify`], so a family added there
//! serves both.

mod extract;
mod lazy;
pub mod models;
mod normalize;
mod template;

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
/// (the `invoke` check): the exception code, the service's message and the HTTP status.
pub fn classify_error(
    code: Option<&str>,
    message: &str,
    http_status: Option<u16>,
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
    classify(&text)
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
        Ok(Catalog {
            families,
            contexts,
            causes,
            unknown: file.unknown,
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
        for family in &self.families {
            let Some(hit) = family.matches(norm, status) else {
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
            let ranked = RankedCause {
                cause: *cause,
                title: template::render(&spec.title, vars),
                confidence: if promote {
                    Confidence::Medium
                } else {
                    Confidence::Low
                },
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
    fn matches(&self, norm: &normalize::Normalized, status: Option<u16>) -> Option<Hit> {
        if self
            .excludes
            .iter()
            .any(|p| find_word(&norm.lower, p).is_some())
        {
            return None;
        }
        if !self
            .requires
            .iter()
            .all(|p| find_word(&norm.lower, p).is_some())
        {
            return None;
        }
        let mut words: Vec<String> = Vec::new();
        let mut add = |w: &str| {
            if !words.iter().any(|x| x.eq_ignore_ascii_case(w)) {
                words.push(w.to_string());
            }
        };
        for phrase in &self.phrases {
            if let Some(at) = find_word(&norm.lower, phrase) {
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

/// The first occurrence of `phrase` that does not start or end inside a longer word: the
/// Node error code `enotfound` must not match `ResourceNotFoundException`.
fn find_word(hay: &str, phrase: &str) -> Option<usize> {
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let p = phrase.as_bytes();
    let (Some(&first), Some(&last)) = (p.first(), p.last()) else {
        return None;
    };
    let h = hay.as_bytes();
    let mut from = 0;
    while let Some(rel) = hay.get(from..).and_then(|rest| rest.find(phrase)) {
        let at = from + rel;
        let end = at + p.len();
        let starts_ok = !is_word(first) || at == 0 || !is_word(h[at - 1]);
        let ends_ok = !is_word(last) || end == h.len() || !is_word(h[end]);
        if starts_ok && ends_ok {
            return Some(at);
        }
        from = at + 1;
        while from < h.len() && !hay.is_char_boundary(from) {
            from += 1;
        }
    }
    None
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

    /// The doctor's check ids a confirm command may name with --only.
    const CHECK_IDS: &[&str] = &[
        "config",
        "credentials",
        "identity",
        "model-catalog",
        "inference-profile",
        "model-access",
        "iam-permissions",
        "scp",
        "marketplace",
        "invoke",
        "throttling",
        "quotas",
    ];

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
        let heldout: Vec<Entry> =
            serde_json::from_str(include_str!("../../tests/data/explain_heldout.json")).unwrap();
        for e in corpus.iter().chain(&heldout) {
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
        for cmd in catalog().confirm_commands() {
            assert!(cmd.starts_with("bedrock-doctor"), "{cmd}");
            let words: Vec<&str> = cmd.split_whitespace().collect();
            for pair in words.windows(2) {
                if pair[0] == "--only" {
                    for id in pair[1].split(',') {
                        assert!(CHECK_IDS.contains(&id), "unknown check {id} in {cmd}");
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
    fn catalog_lifecycle_turns_a_bad_id_into_end_of_life() {
        let c = classify("An error occurred (ValidationException) when calling the InvokeModel operation: The provided model identifier is invalid. modelId=anthropic.claude-v2");
        let got: Vec<Cause> = c.causes.iter().map(|r| r.cause).collect();
        assert_eq!(got[..2], [Cause::ModelEndOfLife, Cause::ModelIdInvalid]);
        assert_eq!(c.causes[0].confidence, Confidence::Medium);
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
        let c = classify_error(Some("ThrottlingException"), "", Some(429));
        assert_eq!(c.top().map(|r| r.cause), Some(Cause::Throttled));
        let c = classify_error(
            Some("ValidationException"),
            "Invocation of model ID anthropic.claude-3-7-sonnet-20250219-v1:0 with on-demand throughput isn\u{2019}t supported.",
            Some(400),
        );
        assert_eq!(
            c.top().map(|r| r.cause),
            Some(Cause::InferenceProfileRequired)
        );
        assert!(c.causes[0].fix[0].contains("us.anthropic.claude-3-7-sonnet-20250219-v1:0"));
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
