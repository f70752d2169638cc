//! Bedrock API keys (`AWS_BEARER_TOKEN_BEDROCK`): what kind of key it is, and for short-term
//! keys the region and the hours they are good for. The key itself is never kept or printed;
//! only these facts are.
//!
//! What AWS documents (api-keys-how.html, api-keys-generate.html):
//! - a long-term key is a service-specific credential of an IAM user: calls act as that user;
//! - a short-term key carries the permissions of the principal that generated it, lasts at
//!   most 12 hours (or the console session), and works only in the region it was made for.
//!
//! The formats are not specified by AWS's guides. Short-term keys are what AWS's token
//! generator libraries make (aws-bedrock-token-generator): `bedrock-api-key-` and the base64
//! of a SigV4-presigned `CallWithBearerToken` URL, whose query says the access key id, region,
//! signing time and lifetime. Long-term keys start with `ABSK` (AWS's own error for a
//! malformed key says a key "must start with pre-defined prefix").

use std::time::{Duration, SystemTime};

pub const SHORT_TERM_PREFIX: &str = "bedrock-api-key-";
pub const LONG_TERM_PREFIX: &str = "ABSK";

/// What the doctor can tell about a Bedrock API key.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiKey {
    ShortTerm(ShortTerm),
    LongTerm,
    /// Neither format: perhaps an access key id or a secret pasted by mistake.
    Unrecognised,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShortTerm {
    /// The region the key works in.
    pub region: String,
    /// The access key id of the principal that generated it (mask it before showing it).
    pub access_key_id: String,
    pub issued: SystemTime,
    pub expires: SystemTime,
}

impl ApiKey {
    pub fn read(token: &str) -> ApiKey {
        let token = token.trim();
        if let Some(encoded) = token.strip_prefix(SHORT_TERM_PREFIX) {
            return short_term(encoded).map_or(ApiKey::Unrecognised, ApiKey::ShortTerm);
        }
        if token.starts_with(LONG_TERM_PREFIX) && token.len() > 20 {
            return ApiKey::LongTerm;
        }
        ApiKey::Unrecognised
    }

    /// The value of the `bedrock:bearerTokenType` condition key for this key
    /// (api-keys-permissions.html).
    pub fn token_type(&self) -> Option<&'static str> {
        match self {
            ApiKey::ShortTerm(_) => Some("SHORT_TERM"),
            ApiKey::LongTerm => Some("LONG_TERM"),
            ApiKey::Unrecognised => None,
        }
    }
}

fn short_term(encoded: &str) -> Option<ShortTerm> {
    let url = aws_smithy_types::base64::decode(encoded).ok()?;
    let url = String::from_utf8(url).ok()?;
    let query = url.split_once('?')?.1;
    let mut credential = None;
    let mut date = None;
    let mut lifetime = None;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "X-Amz-Credential" => credential = Some(v.into_owned()),
            "X-Amz-Date" => date = Some(v.into_owned()),
            "X-Amz-Expires" => lifetime = v.parse::<u64>().ok(),
            _ => {}
        }
    }
    // AKID/YYYYMMDD/REGION/bedrock/aws4_request
    let credential = credential?;
    let mut scope = credential.split('/');
    let access_key_id = scope.next()?.to_string();
    let region = scope.nth(1)?.to_string();
    let issued = amz_date(&date?)?;
    Some(ShortTerm {
        region,
        access_key_id,
        issued,
        expires: issued + Duration::from_secs(lifetime?),
    })
}

/// `20261201T093000Z`
fn amz_date(s: &str) -> Option<SystemTime> {
    if s.len() != 16 || !s.is_char_boundary(8) {
        return None;
    }
    let rfc3339 = format!(
        "{}-{}-{}T{}:{}:{}Z",
        s.get(0..4)?,
        s.get(4..6)?,
        s.get(6..8)?,
        s.get(9..11)?,
        s.get(11..13)?,
        s.get(13..15)?
    );
    humantime::parse_rfc3339(&rfc3339).ok()
}

/// A short-term key of the shape AWS's generators make, for the simulator's demo client.
/// The signature is not a real one: only the simulator accepts it.
pub fn make_short_term(
    access_key_id: &str,
    region: &str,
    issued: SystemTime,
    lifetime: Duration,
) -> String {
    let stamp = humantime::format_rfc3339_seconds(issued).to_string();
    let compact: String = stamp
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    // 2026-12-01T09:30:00Z -> 20261201T093000Z
    let date = &compact[..8];
    let url = format!(
        "bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={access_key_id}%2F{date}%2F{region}%2Fbedrock%2Faws4_request&X-Amz-Date={compact}&X-Amz-Expires={}&X-Amz-SignedHeaders=host&X-Amz-Signature=00000000simulated&Version=1",
        lifetime.as_secs()
    );
    format!(
        "{SHORT_TERM_PREFIX}{}",
        aws_smithy_types::base64::encode(url)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_term_key_says_its_region_and_lifetime() {
        let issued = humantime::parse_rfc3339("2026-12-01T09:30:00Z").unwrap();
        let key = make_short_term(
            "AKIAEXAMPLE000000000",
            "eu-west-1",
            issued,
            Duration::from_secs(43200),
        );
        match ApiKey::read(&key) {
            ApiKey::ShortTerm(s) => {
                assert_eq!(s.region, "eu-west-1");
                assert_eq!(s.access_key_id, "AKIAEXAMPLE000000000");
                assert_eq!(s.issued, issued);
                assert_eq!(s.expires, issued + Duration::from_secs(12 * 3600));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(ApiKey::read(&key).token_type(), Some("SHORT_TERM"));
    }

    #[test]
    fn other_shapes() {
        assert_eq!(
            ApiKey::read("ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl"),
            ApiKey::LongTerm
        );
        assert_eq!(
            ApiKey::read("ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl").token_type(),
            Some("LONG_TERM")
        );
        for bad in [
            "AKIAEXAMPLE000000000",
            "bedrock-api-key-",
            "bedrock-api-key-!!!",
            "",
            "ABSK",
        ] {
            assert_eq!(ApiKey::read(bad), ApiKey::Unrecognised, "{bad}");
        }
        // base64 of a URL without the credential scope
        let no_scope = format!(
            "{SHORT_TERM_PREFIX}{}",
            aws_smithy_types::base64::encode("bedrock.amazonaws.com/?Action=CallWithBearerToken")
        );
        assert_eq!(ApiKey::read(&no_scope), ApiKey::Unrecognised);
    }
}
