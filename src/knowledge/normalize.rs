//! Pasted error text arrives in every shape: JSON inside JSON with escaped quotes, Python
//! reprs, line-wrapped terminal output inside box-drawing borders, Markdown, URL-encoded
//! model ids. The catalog is written against one canonical form, produced here, so a
//! phrase matches however the wrapper printed it.

use super::lazy::LazyRegex;
use std::sync::OnceLock;

/// The canonical form of one pasted text.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// Escapes undone, decorations dropped, whitespace collapsed, secrets masked; case kept.
    pub text: String,
    /// `text` with ASCII letters lowercased. Same byte offsets as `text`, so a phrase found
    /// here can be quoted from `text` as the user wrote it.
    pub lower: String,
    /// Secret values that were masked, so the caller can keep them out of every output.
    pub secrets: Vec<String>,
}

pub const MASK: &str = "<redacted>";

pub fn normalize(raw: &str) -> Normalized {
    let mut text = unescape_repeatedly(raw);
    text = decode_entities(&text);
    text = join_wrapped_urls(&text);
    text = map_chars(&text);
    text = strip_markdown(&text);
    text = collapse_whitespace(&text);
    let (text, secrets) = mask_secrets(&text);
    let lower = text.to_ascii_lowercase();
    Normalized {
        text,
        lower,
        secrets,
    }
}

/// JSON embedded in JSON (LiteLLM, proxies, Lambda logs) escapes quotes and newlines once per
/// level; three passes cover every nesting seen in the wild.
fn unescape_repeatedly(raw: &str) -> String {
    let mut text = raw.to_string();
    for _ in 0..3 {
        if !text.contains('\\') {
            break;
        }
        let next = unescape_once(&text);
        if next == text {
            break;
        }
        text = next;
    }
    text
}

fn unescape_once(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('n') | Some('r') => {
                chars.next();
                out.push('\n');
            }
            Some('t') => {
                chars.next();
                out.push(' ');
            }
            Some(q @ ('"' | '\'' | '/' | '\\')) => {
                chars.next();
                out.push(q);
            }
            Some('u') => {
                // \uXXXX as in JSON; anything malformed stays as written.
                let mut look = chars.clone();
                look.next();
                let hex: String = look.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(decoded) if hex.len() == 4 => {
                        out.push(decoded);
                        chars = look;
                    }
                    _ => out.push('\\'),
                }
            }
            _ => out.push('\\'),
        }
    }
    out
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') && !s.contains('%') {
        return s.to_string();
    }
    // Only what real pastes carry: HTML-escaped quotes from web pages, and the URL-encoded
    // `:` and `/` of model ids and ARNs in endpoint URLs.
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .replace("%3A", ":")
        .replace("%3a", ":")
        .replace("%2F", "/")
        .replace("%2f", "/")
}

/// A quoted URL broken over two lines by a terminal (`.../claude-3\n-5-sonnet.../converse"`)
/// is joined back, so the model id inside it survives whitespace collapsing.
fn join_wrapped_urls(s: &str) -> String {
    static RE: OnceLock<LazyRegex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        LazyRegex::new(
            r#""(https?://[^\s"]+)[ \t]*\r?\n[ \t]*([^\s"]+")"#,
            &["://"],
        )
    });
    match re.for_text(s) {
        Some(re) if s.contains('\n') => re.replace_all(s, "\"$1$2"),
        _ => s.to_string(),
    }
}

fn map_chars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' | '\u{00B4}' => out.push('\''),
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => out.push('"'),
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => {
                out.push('-')
            }
            '\u{2026}' => out.push_str("..."),
            '\u{00A0}' | '\u{2007}' | '\u{202F}' => out.push(' '),
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}' => {}
            // Box drawing and block elements: the borders of TUIs (Claude Code, crush) that
            // split a sentence over several framed lines.
            '\u{2500}'..='\u{259F}' | '\u{23A0}'..='\u{23BF}' => out.push(' '),
            '`' => {}
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `**bold**` from Markdown is dropped, but not the `**` or `***` that people use to hide
/// an account id (`arn:aws:sts::**:assumed-role/...`), which is content.
fn strip_markdown(s: &str) -> String {
    if !s.contains("**") {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut remove = vec![false; bytes.len()];
    let mut i = 0;
    while i + 1 < bytes.len() {
        let opens = bytes[i] == b'*'
            && bytes[i + 1] == b'*'
            && (i == 0 || bytes[i - 1] != b'*')
            && bytes
                .get(i + 2)
                .is_some_and(|b| *b != b'*' && !b.is_ascii_whitespace());
        if !opens {
            i += 1;
            continue;
        }
        // The closing marker must be on the same line.
        let mut j = i + 2;
        let mut closed = None;
        while j + 1 < bytes.len() && bytes[j] != b'\n' {
            if bytes[j] == b'*'
                && bytes[j + 1] == b'*'
                && !bytes[j - 1].is_ascii_whitespace()
                && bytes[j - 1] != b'*'
                && bytes.get(j + 2).is_none_or(|b| *b != b'*')
            {
                closed = Some(j);
                break;
            }
            j += 1;
        }
        match closed {
            Some(j) => {
                remove[i] = true;
                remove[i + 1] = true;
                remove[j] = true;
                remove[j + 1] = true;
                i = j + 2;
            }
            None => i += 2,
        }
    }
    // Only ASCII `*` bytes are removed, so the result stays valid UTF-8.
    let kept: Vec<u8> = bytes
        .iter()
        .zip(remove)
        .filter(|(_, r)| !r)
        .map(|(b, _)| *b)
        .collect();
    String::from_utf8(kept).unwrap_or_else(|_| s.to_string())
}

fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Secret access keys, session tokens, SigV4 signatures and Bedrock API keys are replaced by
/// `<redacted>` before anything can quote them.
fn mask_secrets(s: &str) -> (String, Vec<String>) {
    static RE: OnceLock<Vec<LazyRegex>> = OnceLock::new();
    let patterns = RE.get_or_init(|| {
        vec![
            LazyRegex::new(
                r#"(?i)secret[_-]?access[_-]?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})"#,
                // Every spelling the pattern allows (`secret_accessKey` too) contains this.
                &["secret"],
            ),
            LazyRegex::new(
                r#"(?i)(?:session|security)[_-]?token["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{16,})"#,
                &[
                    "session_token",
                    "security_token",
                    "session-token",
                    "security-token",
                    "sessiontoken",
                    "securitytoken",
                ],
            ),
            LazyRegex::new(r"(?i)Signature=([0-9a-f]{64})", &["signature="]),
            LazyRegex::new(
                r"(?i)Authorization\s*[:=]\s*Bearer\s+([A-Za-z0-9._~+/=-]{12,})",
                &["bearer"],
            ),
            LazyRegex::new(r"\b(ABSK[A-Za-z0-9+/=]{20,})", &["absk"]),
            LazyRegex::new(
                r"\b(bedrock-api-key-[A-Za-z0-9+/=._-]{20,})",
                &["bedrock-api-key-"],
            ),
        ]
    });
    let lower = s.to_ascii_lowercase();
    let mut found: Vec<String> = Vec::new();
    for re in patterns {
        let Some(re) = re.for_text(&lower) else {
            continue;
        };
        for m in re.group_all(s, 1) {
            if m != MASK && !found.iter().any(|f| f == m) {
                found.push(m.to_string());
            }
        }
    }
    let mut out = s.to_string();
    // Longest first, so a secret that contains another is replaced whole.
    found.sort_by_key(|f| std::cmp::Reverse(f.len()));
    for f in &found {
        out = out.replace(f.as_str(), MASK);
    }
    (out, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_nested_json() {
        let n = normalize(
            r#"{"message":"litellm: {\"message\":\"The security token included\\nin the request is invalid.\"}"}"#,
        );
        assert!(n
            .text
            .contains(r#"{"message":"The security token included in the request is invalid."}"#));
    }

    #[test]
    fn joins_wrapped_sentences_and_drops_borders() {
        let n = normalize("│   API Error: 403 is    │\n│   not authorized to perform:  │");
        assert_eq!(n.text, "API Error: 403 is not authorized to perform:");
    }

    #[test]
    fn curly_quotes_and_backticks() {
        let n = normalize("throughput isn\u{2019}t supported. `aws-marketplace:Subscribe`");
        assert_eq!(
            n.text,
            "throughput isn't supported. aws-marketplace:Subscribe"
        );
    }

    #[test]
    fn markdown_bold_goes_but_masked_accounts_stay() {
        let n = normalize("arn:aws:bedrock:**eu-west-3**::foundation-model/x and arn:aws:sts::**:assumed-role/r/s and arn:aws:iam::***:user/****");
        assert_eq!(n.text, "arn:aws:bedrock:eu-west-3::foundation-model/x and arn:aws:sts::**:assumed-role/r/s and arn:aws:iam::***:user/****");
    }

    #[test]
    fn wrapped_url_is_joined() {
        let n = normalize("Read timeout on endpoint URL:\n\"https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-3\n-5-sonnet-20240620-v1%3A0/converse\"\nTraceback");
        assert!(
            n.text.contains(
                "/model/us.anthropic.claude-3-5-sonnet-20240620-v1:0/converse\" Traceback"
            ),
            "{}",
            n.text
        );
    }

    #[test]
    fn secrets_are_masked() {
        let n = normalize("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY1 and Authorization: AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/us-east-1/bedrock/aws4_request, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        assert!(!n.text.contains("wJalrXUtnFEMI"));
        assert!(!n.text.contains("0123456789abcdef0123"));
        assert_eq!(n.secrets.len(), 2);
        assert!(n.text.contains("Credential=AKIAEXAMPLE/20240101/us-east-1"));
    }

    #[test]
    fn every_spelling_of_the_secret_key_is_masked() {
        for name in ["secret_accessKey", "SECRET-ACCESS_KEY", "secretAccessKey"] {
            let n = normalize(&format!(
                "{name}: \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY1\""
            ));
            assert!(!n.text.contains("wJalrXUtnFEMI"), "{name}: {}", n.text);
        }
    }

    #[test]
    fn lower_keeps_offsets() {
        let n = normalize("Ünïcode ValidationException: Input is too long");
        assert_eq!(n.text.len(), n.lower.len());
        let at = n.lower.find("input is too long").unwrap();
        assert_eq!(&n.text[at..at + 17], "Input is too long");
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// One line, single spaces, and `lower` at the same offsets as `text`, whatever came in.
        #[test]
        fn the_canonical_form_is_one_line_with_the_same_offsets(raw in any::<String>()) {
            let n = normalize(&raw);
            prop_assert_eq!(&n.lower, &n.text.to_ascii_lowercase());
            prop_assert!(!n.text.contains("  "), "{:?}", n.text);
            prop_assert!(!n.text.chars().any(|c| c.is_whitespace() && c != ' '), "{:?}", n.text);
            prop_assert_eq!(n.text.trim(), n.text.as_str());
        }

        /// A secret access key is masked wherever it sits and however it is quoted.
        #[test]
        fn secret_keys_never_survive(
            before in "(?s).{0,30}",
            after in "[ ,;\n].{0,30}",
            key_name in "(aws_|AWS_)?(secret|SECRET|Secret)(_|-)?(access|ACCESS|Access)(_|-)?(key|KEY|Key)",
            sep in "(\"?: ?\"|=|= )",
            secret in "[A-Za-z0-9/+=]{40}",
        ) {
            let n = normalize(&format!("{before}{key_name}{sep}{secret}{after}"));
            prop_assert!(!n.text.contains(&secret), "{:?}", n.text);
            prop_assert!(n.secrets.contains(&secret));
        }
    }
}
