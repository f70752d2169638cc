//! Defence in depth: no secret may reach any output. Checks never put secrets in a report
//! on purpose; this scrubs every byte written to stdout and stderr of the values we know
//! are secret (secret keys, session tokens, Bedrock API keys), in case one slips through
//! an error message.

use aho_corasick::{AhoCorasick, MatchKind};
use std::io::Write;
use std::sync::{Arc, LazyLock, RwLock};

/// Every secret known so far, and the matcher that finds them all in one pass over a text.
/// An organization run registers three values per account entered, and the report it
/// scrubs grows with the accounts: a scan per secret made scrubbing quadratic.
struct Known {
    /// (secret, what to print instead).
    secrets: Vec<(String, String)>,
    /// Built from `secrets` when a text is next scrubbed; `None` once a secret is added.
    matcher: Option<Arc<Matcher>>,
}

struct Matcher {
    secrets: AhoCorasick,
    replacements: Vec<String>,
}

static KNOWN: RwLock<Known> = RwLock::new(Known {
    secrets: Vec::new(),
    matcher: None,
});

/// Values shorter than this are not treated as secrets (they would mangle normal text).
const MIN_LEN: usize = 8;

pub fn register(secret: &str) {
    register_as(secret, "<redacted>");
}

/// An access key id may be shown, but only masked.
pub fn register_key_id(key_id: &str) {
    register_as(key_id, &mask_key_id(key_id));
}

fn register_as(secret: &str, replacement: &str) {
    let secret = secret.trim();
    if secret.len() < MIN_LEN {
        return;
    }
    let mut known = KNOWN.write().unwrap_or_else(|p| p.into_inner());
    if !known.secrets.iter().any(|(s, _)| s == secret) {
        known
            .secrets
            .push((secret.to_string(), replacement.to_string()));
        known.matcher = None;
    }
}

/// The matcher for the secrets known now, built once per change of the list.
fn matcher() -> Option<Arc<Matcher>> {
    if let Some(m) = &KNOWN.read().unwrap_or_else(|p| p.into_inner()).matcher {
        return Some(m.clone());
    }
    let mut known = KNOWN.write().unwrap_or_else(|p| p.into_inner());
    if known.secrets.is_empty() {
        return None;
    }
    if known.matcher.is_none() {
        // Leftmost-longest: a secret that contains another is replaced whole.
        let secrets = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(known.secrets.iter().map(|(s, _)| s))
            // Only a pattern set past the crate's size limits fails, far beyond the three
            // values an account adds; not scrubbing is never the answer, so stop loudly.
            .expect("the known secrets fit one matcher");
        let replacements = known.secrets.iter().map(|(_, r)| r.clone()).collect();
        known.matcher = Some(Arc::new(Matcher {
            secrets,
            replacements,
        }));
    }
    known.matcher.clone()
}

/// Long-term (AKIA) and temporary (ASIA) access key ids. Credentials from a profile, a
/// credential process or SSO are only known once resolved, and the SDK logs their key id
/// (-vvv) as it resolves them: so any key id is masked, registered or not.
static KEY_ID: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b").expect("a valid pattern"));

pub fn scrub(text: &str) -> String {
    let mut out = match matcher() {
        Some(m) => m.secrets.replace_all(text, &m.replacements),
        None => text.to_string(),
    };
    if KEY_ID.is_match(&out) {
        out = KEY_ID
            .replace_all(&out, |m: &regex::Captures| mask_key_id(&m[0]))
            .into_owned();
    }
    out
}

/// stderr, scrubbed; for the log subscriber.
pub struct ScrubbedStderr;

impl Write for ScrubbedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(scrub(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Show enough of an access key id to recognise it, never the whole: AKIA…WXYZ.
pub fn mask_key_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 8 {
        return "****".to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// `http://user:pass@proxy:3128` -> `http://user:****@proxy:3128`.
pub fn mask_url_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let host_start = rest.find('/').unwrap_or(rest.len());
    match rest[..host_start].rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:****{}", &url[..scheme_end], user, &rest[at..])
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod mask_tests {
    #[test]
    fn a_key_id_of_any_characters_is_masked_without_panicking() {
        assert_eq!(super::mask_key_id("AKIAIOSFODNN7EXAMPLE"), "AKIA…MPLE");
        assert_eq!(super::mask_key_id("‹ваш ключ доступа›"), "‹ваш…упа›");
        assert_eq!(super::mask_key_id("short"), "****");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_key_ids_and_proxy_passwords() {
        assert_eq!(mask_key_id("AKIAIOSFODNN7EXAMPLE"), "AKIA…MPLE");
        assert_eq!(mask_key_id("short"), "****");
        assert_eq!(
            mask_url_password("http://bob:s3cret@proxy:3128"),
            "http://bob:****@proxy:3128"
        );
        assert_eq!(
            mask_url_password("http://proxy:3128/x@y"),
            "http://proxy:3128/x@y"
        );
        assert_eq!(mask_url_password("proxy:3128"), "proxy:3128");
    }

    #[test]
    fn scrubs_registered_values_only() {
        register("sEcReT-VaLuE-1234567890");
        register("short");
        register_key_id("AKIAIOSFODNN7EXAMPLE");
        let s = scrub("key=sEcReT-VaLuE-1234567890 short id=AKIAIOSFODNN7EXAMPLE");
        assert_eq!(s, "key=<redacted> short id=AKIA…MPLE");
    }

    #[test]
    fn a_secret_added_after_a_scrub_is_scrubbed_next_time() {
        register("first-secret-0000000000");
        assert_eq!(scrub("a first-secret-0000000000"), "a <redacted>");
        register("second-secret-111111111");
        assert_eq!(
            scrub("first-secret-0000000000 second-secret-111111111"),
            "<redacted> <redacted>"
        );
    }

    #[test]
    fn a_secret_that_contains_another_is_replaced_whole() {
        register_key_id("ASIAOVERLAPTEST00001");
        register("ASIAOVERLAPTEST00001/and-the-rest-of-a-token");
        assert_eq!(
            scrub("token ASIAOVERLAPTEST00001/and-the-rest-of-a-token, id ASIAOVERLAPTEST00001"),
            "token <redacted>, id ASIA…0001"
        );
    }

    #[test]
    fn masks_any_access_key_id_but_not_other_ids() {
        let s = scrub(
            "access_key_id: \"ASIAPROFILEKEY000111\", user AROAEXAMPLEROLEID:alice, AKIASHORT",
        );
        assert_eq!(
            s,
            "access_key_id: \"ASIA…0111\", user AROAEXAMPLEROLEID:alice, AKIASHORT"
        );
    }
}
