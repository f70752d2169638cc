//! Pulls the facts an error text reveals (operation, model id, region, principal, resource,
//! action, HTTP status, request id, exception name) out of the normalised text. Each field
//! has an ordered list of shapes, most specific first: the SDK wrappers of
//! /tmp/research/explain-families.md §0 print the same fact in different places.

use super::lazy::LazyRegex;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extracted {
    pub exception: Option<String>,
    pub operation: Option<String>,
    pub http_status: Option<String>,
    pub model_id: Option<String>,
    pub region: Option<String>,
    pub principal_arn: Option<String>,
    pub action: Option<String>,
    pub resource_arn: Option<String>,
    pub request_id: Option<String>,
    /// The SCP, RCP or policy that IAM names as the one that denied (newer IAM messages do).
    #[serde(default)]
    pub policy_arn: Option<String>,
}

impl Extracted {
    /// (name, value) of every field, in display order.
    pub fn fields(&self) -> [(&'static str, Option<&str>); 10] {
        [
            ("exception", self.exception.as_deref()),
            ("operation", self.operation.as_deref()),
            ("http_status", self.http_status.as_deref()),
            ("model_id", self.model_id.as_deref()),
            ("region", self.region.as_deref()),
            ("principal_arn", self.principal_arn.as_deref()),
            ("action", self.action.as_deref()),
            ("resource_arn", self.resource_arn.as_deref()),
            ("request_id", self.request_id.as_deref()),
            ("policy_arn", self.policy_arn.as_deref()),
        ]
    }

    pub fn is_empty(&self) -> bool {
        self.fields().iter().all(|(_, v)| v.is_none())
    }
}

struct Patterns {
    operation: Vec<LazyRegex>,
    url: LazyRegex,
    http_status: Vec<LazyRegex>,
    request_id: LazyRegex,
    model_id: Vec<LazyRegex>,
    model_scan: LazyRegex,
    region: Vec<LazyRegex>,
    region_scan: LazyRegex,
    principal: Vec<LazyRegex>,
    resource: Vec<LazyRegex>,
    action: LazyRegex,
    policy: LazyRegex,
    exception: Vec<LazyRegex>,
}

const UUID: &str = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const REGION: &str = r"(?:us|eu|ap|sa|ca|me|af|il|mx|cn)(?:-gov|-isob?)?-(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-\d";
/// Every region name contains one of these.
const REGION_TRIGGERS: &[&str] = &["-east-", "-west-", "-north", "-south", "-central-"];
const PROVIDERS: &[&str] = &[
    "anthropic.",
    "amazon.",
    "meta.",
    "mistral.",
    "cohere.",
    "ai21.",
    "stability.",
    "deepseek.",
    "openai.",
    "qwen.",
    "writer.",
    "twelvelabs.",
    "luma.",
    "google.",
    "minimax.",
    "moonshot.",
    "moonshotai.",
    "nvidia.",
    "zai.",
];

fn lazy(pattern: &str, triggers: &[&str]) -> LazyRegex {
    LazyRegex::new(pattern, triggers)
}

/// Each regex carries the literals one of which its matches must contain (lowercase), so a
/// message compiles only the few it could match.
fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        operation: vec![
            lazy(r"when calling the (\w+) operation", &["when calling the"]),
            lazy(r"operation error [A-Za-z ]+?: (\w+),", &["operation error"]),
            lazy(r#"Error executing "(\w+)""#, &["error executing \""]),
            lazy(
                r"\b(InvokeModel|InvokeModelWithResponseStream|Converse|ConverseStream|ApplyGuardrail|CountTokens|StartAsyncInvoke|ListFoundationModels|GetFoundationModel|ListInferenceProfiles|GetInferenceProfile)Command\b",
                &["command"],
            ),
        ],
        // The runtime's REST paths: /model/{modelId}/{operation}; the id may be an ARN.
        url: lazy(
            r#"/model/(arn:[^\s"'<>]+?|[^/\s"'<>?]+)/(invoke-with-response-stream|invoke|converse-stream|converse|count-tokens)\b"#,
            &["/model/"],
        ),
        http_status: vec![
            lazy(
                r#"(?i)status[ _-]?code["']?\s*[:=(]?\s*(?:http_status_)?["']?([1-5]\d\d)\b"#,
                &["statuscode", "status code", "status_code", "status-code"],
            ),
            lazy(
                r#"(?i)\bhttp[ _]status["']?\s*[:=_]?\s*([1-5]\d\d)\b"#,
                &["http status", "http_status"],
            ),
            lazy(r"(?i)\bAPI Error(?: \([^)]*\))?:? ([1-5]\d\d)\b", &["api error"]),
            // Claude Code: `API Error (503 Too many connections, ...)`.
            lazy(r"(?i)\bAPI Error \(([1-5]\d\d)\b", &["api error ("]),
            lazy(r"(?i)\bAn error occurred \(([1-5]\d\d)\)", &["an error occurred ("]),
            lazy(
                r"(?i)\b([1-5]\d\d) (?:Forbidden|Bad Request|Too Many Requests|Service Unavailable|Not Found|Unauthorized|Internal Server Error|Bad Gateway|Gateway Time-?out|Request Time-?out|Failed Dependency)\b",
                &[
                    "forbidden", "bad request", "too many requests", "service unavailable",
                    "not found", "unauthorized", "internal server error", "bad gateway",
                    "gateway time", "request time", "failed dependency",
                ],
            ),
            lazy(r"(?i)\brequest rejected \(([1-5]\d\d)\)", &["request rejected ("]),
            lazy(r"(?i)\bgot \(([1-5]\d\d),", &["got ("]),
            lazy(
                r"(?i)\b(?:upstream|error code|request failed|error):? ([1-5]\d\d)\b",
                &["upstream", "error code", "request failed", "error"],
            ),
            lazy(r"(?i)\bHTTP(?:/[\d.]+)? ([1-5]\d\d)\b", &["http"]),
            lazy(r"(?i)\w(?:Exception|Error): ([1-5]\d\d)\b", &["exception: ", "error: "]),
            lazy(
                r#""(?:status|code)"\s*:\s*"?([1-5]\d\d)"?\s*[,}]"#,
                &["\"status\"", "\"code\""],
            ),
        ],
        request_id: lazy(
            &format!(r#"(?i)request[ _-]?id["']?\s*[:=]\s*["']?({UUID})"#),
            &["requestid", "request id", "request_id", "request-id"],
        ),
        model_id: vec![
            lazy(r"(?i)Invocation of model ID (\S+?) with", &["invocation of model id "]),
            lazy(r"(?i)Value '([^']+)' at 'modelId'", &["' at 'modelid'"]),
            lazy(
                r#"(?i)\bmodel[_ ]?id(?:entifier)?["']?\s*[:=]\s*["']?([A-Za-z0-9][\w.:/-]*[\w])"#,
                &["modelid", "model_id", "model id"],
            ),
            lazy(
                r#"(?i)["']model["']\s*[:=]\s*["']([A-Za-z0-9][\w.:/-]*[\w])["']"#,
                &["\"model\"", "'model'"],
            ),
            lazy(r"\bAPI Error \(([A-Za-z0-9][\w.:-]*)\):", &["api error ("]),
        ],
        // A provider-prefixed id anywhere; the look-behind substitute keeps `docs.aws.amazon.com`
        // and `email@amazon.com` out.
        model_scan: lazy(
            r"(?:^|[^\w.@/-])((?:(?:us|us-gov|eu|apac|jp|au|ca|global)\.)?(?:anthropic|amazon|meta|mistral|cohere|ai21|stability|deepseek|openai|qwen|writer|twelvelabs|luma|google|minimax|moonshot|moonshotai|nvidia|zai)\.[a-z0-9][a-z0-9-]*(?:[.:][a-z0-9-]+)*)",
            PROVIDERS,
        ),
        region: vec![
            lazy(
                &format!(r"(?i)\bbedrock(?:-runtime|-agent-runtime|-agent)?(?:-fips)?\.({REGION})\.amazonaws\.com"),
                &["amazonaws.com"],
            ),
            lazy(&format!(r"\barn:aws[\w-]*:bedrock:({REGION}):"), &["arn:aws"]),
            lazy(
                &format!(r#"(?i)\bregion(?:[_ ]?name)?["']?\s*[:=]\s*["']?({REGION})\b"#),
                &["region"],
            ),
            lazy(&format!(r"/\d{{8}}/({REGION})/bedrock/aws4_request"), &["aws4_request"]),
        ],
        region_scan: lazy(&format!(r"(?:^|[^\w-])({REGION})\b"), REGION_TRIGGERS),
        principal: vec![
            lazy(r"\bUser: (arn:aws[\w-]*:(?:iam|sts)::[^\s]+)", &["user: arn:"]),
            lazy(
                r"\b(arn:aws[\w-]*:(?:iam|sts)::[^\s:]*:(?:user|role|assumed-role|federated-user|root)\b[^\s]*)",
                &[":sts::", ":iam::"],
            ),
        ],
        resource: vec![
            lazy(r"\bon resource: (arn:[^\s]+)", &["on resource: arn:"]),
            lazy(r"\b(arn:aws[\w-]*:bedrock:[^\s]+)", &[":bedrock:"]),
        ],
        action: lazy(r"\bperform: ([\w-]+:[\w*]+)", &["perform: "]),
        policy: lazy(
            r"\b(?:policy|polic(?:y|ies)): (arn:aws[\w-]*:(?:organizations|iam)::[^\s]+)",
            &["policy: arn:", "policies: arn:"],
        ),
        exception: vec![
            lazy(r"An error occurred \(([A-Za-z]\w+)\)", &["an error occurred ("]),
            lazy(
                r#"(?i)x-amzn-ErrorType["']?\s*[:=]\s*["']?([A-Za-z]\w+)"#,
                &["x-amzn-errortype"],
            ),
            lazy(
                r#"(?i):exception-type["']?\s*[:=]\s*["']?([A-Za-z]\w+)"#,
                &[":exception-type"],
            ),
            lazy(r#"\bcode: (?:Some\()?"([A-Za-z]\w+)""#, &["code: "]),
            lazy(
                r#""(?:name|errorType|__type|type)"\s*:\s*"([A-Za-z]\w*(?:Exception|Error))""#,
                &["exception\"", "error\""],
            ),
        ],
    })
}

/// AWS service and SDK exception names; found anywhere, even glued to the next word
/// (`AccessDeniedExceptionModel access is denied`).
const KNOWN_EXCEPTIONS: &[&str] = &[
    "AccessDeniedException",
    "ValidationException",
    "ThrottlingException",
    "ResourceNotFoundException",
    "ServiceUnavailableException",
    "InternalServerException",
    "ModelTimeoutException",
    "ModelNotReadyException",
    "ModelErrorException",
    "ModelStreamErrorException",
    "ServiceQuotaExceededException",
    "ConflictException",
    "ExpiredTokenException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnknownOperationException",
    "UnauthorizedOperation",
    "NoCredentialsError",
    "NoRegionError",
    "UnknownServiceError",
    "ParamValidationError",
    "TokenRetrievalError",
    "ReadTimeoutError",
    "ConnectTimeoutError",
    "EndpointConnectionError",
    "CredentialsProviderError",
    "SdkClientException",
];

/// Wrapper classes that say nothing about the AWS error inside them.
const WRAPPER_EXCEPTIONS: &[&str] = &[
    "Error",
    "Exception",
    "ValueError",
    "TypeError",
    "KeyError",
    "RuntimeError",
    "ClientError",
    "EventStreamError",
    "ServiceError",
    "BadRequestError",
    "APIConnectionError",
    "AuthenticationError",
    "HTTPStatusError",
    "AI_APICallError",
    "AgentGenerationError",
    "UnexpectedHTTPResponseError",
    "BaseInferenceToolkitError",
    "AggregateError",
    "SdkServiceException",
    "AwsServiceException",
];

fn capture<'t>(re: &LazyRegex, text: &'t str, lower: &str) -> Option<&'t str> {
    re.for_text(lower)?.group(text, 1)
}

fn first_capture(res: &[LazyRegex], text: &str, lower: &str) -> Option<String> {
    res.iter()
        .find_map(|re| capture(re, text, lower))
        .map(str::to_string)
}

/// ARNs and ids are quoted, bracketed or end a sentence; that punctuation is not part of them.
fn trim_token(s: &str) -> String {
    s.trim_end_matches(['.', ',', ';', ')', '"', '\'', ']', '}', '\\', '`', '|'])
        .trim_start_matches(['"', '\'', '(', '['])
        .to_string()
}

/// A real region name (`us-east-1`, `us-gov-west-1`), not `<region>`, `*` or `**`.
fn is_region(s: &str) -> bool {
    const AREAS: &[&str] = &["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "cn"];
    const WAYS: &[&str] = &[
        "north",
        "south",
        "east",
        "west",
        "central",
        "northeast",
        "northwest",
        "southeast",
        "southwest",
    ];
    let parts: Vec<&str> = s.split('-').collect();
    let (area, rest) = match parts.split_first() {
        Some((a, r)) => (*a, r),
        None => return false,
    };
    let rest = match rest.first() {
        Some(&"gov") | Some(&"iso") | Some(&"isob") => &rest[1..],
        _ => rest,
    };
    AREAS.contains(&area)
        && rest.len() == 2
        && WAYS.contains(&rest[0])
        && !rest[1].is_empty()
        && rest[1].bytes().all(|b| b.is_ascii_digit())
}

fn region_of_arn(arn: &str) -> Option<String> {
    let region = arn.split(':').nth(3)?;
    is_region(region).then(|| region.to_string())
}

fn model_of_arn(arn: &str) -> Option<String> {
    let (_, tail) = arn.split_once(":foundation-model/").or_else(|| {
        arn.split_once(":inference-profile/")
            .or_else(|| arn.split_once(":provisioned-model/"))
            .or_else(|| arn.split_once(":custom-model/"))
    })?;
    let id = trim_token(tail);
    (!id.is_empty()).then_some(id)
}

/// `429 Too many tokens...`: a status code opening the text, as CLIs print it.
fn status_at_start(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let ok = b.len() > 5
        && (b'1'..=b'5').contains(&b[0])
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b[3] == b' '
        && b[4].is_ascii_uppercase();
    ok.then(|| text[..3].to_string())
}

fn operation_of_url(suffix: &str) -> &'static str {
    match suffix {
        "invoke" => "InvokeModel",
        "invoke-with-response-stream" => "InvokeModelWithResponseStream",
        "converse" => "Converse",
        "converse-stream" => "ConverseStream",
        _ => "CountTokens",
    }
}

fn looks_like_model_id(id: &str) -> bool {
    let name = id.split_once('.').map(|(_, n)| n).unwrap_or(id);
    name.contains('-') || name.chars().any(|c| c.is_ascii_digit())
}

fn exception(text: &str, lower: &str) -> Option<String> {
    let p = patterns();
    if let Some(found) = first_capture(&p.exception, text, lower) {
        if !WRAPPER_EXCEPTIONS.contains(&found.as_str()) {
            return Some(upper_first(&found));
        }
    }
    if let Some(name) = first_known_exception(lower) {
        return Some(name.to_string());
    }
    exception_words(text, lower)
        .into_iter()
        .find(|name| !WRAPPER_EXCEPTIONS.contains(name))
        .map(upper_first)
}

/// The known exception name that occurs first in the text (on a tie, the one listed first),
/// in one pass over the text rather than one per name.
fn first_known_exception(lower: &str) -> Option<&'static str> {
    static AC: OnceLock<Option<aho_corasick::AhoCorasick>> = OnceLock::new();
    let ac = AC.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(KNOWN_EXCEPTIONS.iter().map(|n| n.to_ascii_lowercase()))
            .ok()
    });
    let m = ac.as_ref()?.find(lower)?;
    Some(KNOWN_EXCEPTIONS[m.pattern().as_usize()])
}

/// Words ending in Exception or Error (`FooException`, `validationException`), in order.
fn exception_words<'t>(text: &'t str, lower: &str) -> Vec<&'t str> {
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = lower.as_bytes();
    let mut found: Vec<(usize, &'t str)> = Vec::new();
    for suffix in ["exception", "error"] {
        let mut from = 0;
        while let Some(rel) = lower.get(from..).and_then(|r| r.find(suffix)) {
            let end = from + rel + suffix.len();
            from = end;
            if end < bytes.len() && is_word(bytes[end]) {
                continue;
            }
            let mut start = end - suffix.len();
            while start > 0 && is_word(bytes[start - 1]) {
                start -= 1;
            }
            let word = &text[start..end];
            // A bare `Error` / `[ERROR]` names no exception.
            let named = end - start > suffix.len();
            if named
                && word.as_bytes()[0].is_ascii_alphabetic()
                && !found.iter().any(|(at, _)| *at == start)
            {
                found.push((start, word));
            }
        }
    }
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, w)| w).collect()
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// `text` and `lower` are the two forms of [`super::normalize::Normalized`].
pub fn extract(text: &str, lower: &str) -> Extracted {
    let p = patterns();
    let url = p.url.for_text(lower).and_then(|re| re.captures(text));
    let url_part = |n: usize| url.as_ref().and_then(|c| c.get(n).copied().flatten());

    let operation = first_capture(&p.operation, text, lower)
        .or_else(|| url_part(2).map(|m| operation_of_url(m).to_string()));

    let http_status = first_capture(&p.http_status, text, lower).or_else(|| status_at_start(text));

    let request_id = capture(&p.request_id, text, lower).map(str::to_ascii_lowercase);

    let principal_arn = first_capture(&p.principal, text, lower).map(|s| trim_token(&s));
    let resource_arn = first_capture(&p.resource, text, lower).map(|s| trim_token(&s));
    let action = capture(&p.action, text, lower).map(trim_token);
    let policy_arn = capture(&p.policy, text, lower).map(trim_token);

    let model_id = first_capture(&p.model_id, text, lower)
        .map(|s| trim_token(&s))
        .filter(|s| !s.is_empty() && !s.starts_with('<'))
        .or_else(|| url_part(1).map(trim_token))
        .or_else(|| resource_arn.as_deref().and_then(model_of_arn))
        .or_else(|| {
            p.model_scan
                .for_text(lower)?
                .group_all(text, 1)
                .into_iter()
                .map(trim_token)
                .find(|id| looks_like_model_id(id))
        });

    // Hostnames are case-insensitive (`bedrock-runtime.US-WEST-2.amazonaws.com`); region names
    // are lowercase, and the confirm command passes this one to --region.
    let region = first_capture(&p.region, text, lower)
        .or_else(|| resource_arn.as_deref().and_then(region_of_arn))
        .or_else(|| capture(&p.region_scan, text, lower).map(str::to_string))
        .map(|r| r.to_ascii_lowercase());

    Extracted {
        exception: exception(text, lower),
        operation,
        http_status,
        model_id,
        region,
        principal_arn,
        action,
        resource_arn,
        request_id,
        policy_arn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::normalize::normalize;

    fn ex(raw: &str) -> Extracted {
        let n = normalize(raw);
        extract(&n.text, &n.lower)
    }

    #[test]
    fn botocore_iam_denial() {
        let e = ex("botocore.errorfactory.AccessDeniedException: An error occurred (AccessDeniedException) when calling the InvokeModel operation: User: arn:aws:sts::123456789012:assumed-role/app/i-1 is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0 because no identity-based policy allows the bedrock:InvokeModel action");
        assert_eq!(e.exception.as_deref(), Some("AccessDeniedException"));
        assert_eq!(e.operation.as_deref(), Some("InvokeModel"));
        assert_eq!(
            e.principal_arn.as_deref(),
            Some("arn:aws:sts::123456789012:assumed-role/app/i-1")
        );
        assert_eq!(e.action.as_deref(), Some("bedrock:InvokeModel"));
        assert_eq!(
            e.model_id.as_deref(),
            Some("anthropic.claude-3-haiku-20240307-v1:0")
        );
        assert_eq!(e.region.as_deref(), Some("us-east-1"));
    }

    #[test]
    fn denying_policy() {
        let e = ex("User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:eu-west-3::foundation-model/x.y-v1:0 with an explicit deny in a service control policy: arn:aws:organizations::999988887777:policy/o-abcd1234/service_control_policy/p-regiondeny.");
        assert_eq!(
            e.policy_arn.as_deref(),
            Some("arn:aws:organizations::999988887777:policy/o-abcd1234/service_control_policy/p-regiondeny")
        );
    }

    #[test]
    fn url_shapes() {
        let e = ex(
            r#"ReadTimeoutError: Read timeout on endpoint URL: "https://bedrock-runtime.eu-west-3.amazonaws.com/model/eu.amazon.nova-lite-v1%3A0/converse-stream""#,
        );
        assert_eq!(e.model_id.as_deref(), Some("eu.amazon.nova-lite-v1:0"));
        assert_eq!(e.operation.as_deref(), Some("ConverseStream"));
        assert_eq!(e.region.as_deref(), Some("eu-west-3"));
        assert_eq!(e.exception.as_deref(), Some("ReadTimeoutError"));
    }

    #[test]
    fn no_false_model_from_docs_urls() {
        let e = ex("see https://docs.aws.amazon.com/bedrock/latest/userguide/security-iam.html or mail support@amazon.com");
        assert_eq!(e.model_id, None);
    }

    #[test]
    fn regions_and_exception_words() {
        assert!(
            is_region("us-east-1") && is_region("us-gov-west-1") && is_region("ap-southeast-7")
        );
        assert!(!is_region("<region>") && !is_region("us-east") && !is_region("eu-west-x"));
        let t =
            "[ERROR] ValueError: x. An AccessDeniedException and validationException, not Errors";
        assert_eq!(
            exception_words(t, &t.to_ascii_lowercase()),
            vec!["ValueError", "AccessDeniedException", "validationException"]
        );
    }

    #[test]
    fn lambda_uuid_is_not_a_request_id() {
        let e = ex("[ERROR]\t2024-08-14T20:22:05.431Z\t930587f4-631c-4afc-81dd-840def9cc233\tAn error occurred");
        assert_eq!(e.request_id, None);
    }

    #[test]
    fn regions_are_lowercased() {
        let e =
            ex("ValidationException at https://bedrock-runtime.US-WEST-2.amazonaws.com/model/x");
        assert_eq!(e.region.as_deref(), Some("us-west-2"));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::knowledge::normalize::normalize;
    use proptest::prelude::*;

    fn ex(raw: &str) -> Extracted {
        let n = normalize(raw);
        extract(&n.text, &n.lower)
    }

    /// Model ids as Bedrock spells them: a known provider, a name, an optional version.
    fn model_ids() -> impl Strategy<Value = String> {
        (
            proptest::sample::select(PROVIDERS),
            "[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,8}){0,3}",
            proptest::option::of("-v[1-9]:[0-9]"),
        )
            .prop_map(|(provider, name, version)| {
                format!("{provider}{name}{}", version.unwrap_or_default())
            })
    }

    fn regions() -> impl Strategy<Value = String> {
        proptest::sample::select(crate::models::bedrock_regions().to_vec())
    }

    const OPERATIONS: &[&str] = &[
        "InvokeModel",
        "InvokeModelWithResponseStream",
        "Converse",
        "ConverseStream",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Every fact put into a botocore IAM denial comes back out, as written.
        #[test]
        fn a_botocore_denial_gives_back_every_fact(
            op in proptest::sample::select(OPERATIONS),
            account in "[0-9]{12}",
            role in "[A-Za-z][A-Za-z0-9_-]{0,15}[A-Za-z0-9]",
            session in "[a-z0-9]{1,12}",
            region in regions(),
            model in model_ids(),
        ) {
            let principal = format!("arn:aws:sts::{account}:assumed-role/{role}/{session}");
            let resource = format!("arn:aws:bedrock:{region}::foundation-model/{model}");
            let text = format!("botocore.errorfactory.AccessDeniedException: An error occurred (AccessDeniedException) when calling the {op} operation: User: {principal} is not authorized to perform: bedrock:{op} on resource: {resource} because no identity-based policy allows the bedrock:{op} action");
            let e = ex(&text);
            prop_assert_eq!(e.exception.as_deref(), Some("AccessDeniedException"));
            prop_assert_eq!(e.operation.as_deref(), Some(op));
            prop_assert_eq!(e.principal_arn.as_deref(), Some(principal.as_str()));
            prop_assert_eq!(e.action, Some(format!("bedrock:{op}")));
            prop_assert_eq!(e.resource_arn.as_deref(), Some(resource.as_str()));
            prop_assert_eq!(e.region.as_deref(), Some(region.as_str()));
            prop_assert_eq!(e.model_id.as_deref(), Some(model.as_str()));
        }

        /// The runtime URL an SDK prints on a timeout names the model, operation and region.
        #[test]
        fn a_runtime_url_gives_back_model_operation_and_region(
            region in regions(),
            model in model_ids(),
            (suffix, op) in proptest::sample::select(vec![
                ("invoke", "InvokeModel"),
                ("invoke-with-response-stream", "InvokeModelWithResponseStream"),
                ("converse", "Converse"),
                ("converse-stream", "ConverseStream"),
            ]),
            upper_host in any::<bool>(),
        ) {
            // Hosts are case-insensitive; an encoded `:` is how URLs carry the version.
            let host = format!("bedrock-runtime.{region}.amazonaws.com");
            let host = if upper_host { host.to_ascii_uppercase() } else { host };
            let url = format!("https://{host}/model/{}/{suffix}", model.replace(':', "%3A"));
            let e = ex(&format!("ReadTimeoutError: Read timeout on endpoint URL: \"{url}\""));
            prop_assert_eq!(e.model_id.as_deref(), Some(model.as_str()));
            prop_assert_eq!(e.operation.as_deref(), Some(op));
            prop_assert_eq!(e.region.as_deref(), Some(region.as_str()));
        }

        /// Whatever the text, a region the extractor reports is a real region name (usable
        /// as --region in the confirm command), and every field is a single line.
        #[test]
        fn extracted_regions_are_region_names(
            noise in "(?s).{0,40}",
            area in "(us|eu|ap|sa|ca|me|af|il|mx|cn|US|EU|AP)",
            way in "(north|south|east|west|central|northeast|southeast|EAST|West)",
            n in 1u8..10,
            shape in 0usize..4,
        ) {
            let r = format!("{area}-{way}-{n}");
            let text = match shape {
                0 => format!("{noise} region: {r} {noise}"),
                1 => format!("{noise} https://bedrock.{r}.amazonaws.com/ {noise}"),
                2 => format!("{noise} arn:aws:bedrock:{r}::foundation-model/x {noise}"),
                _ => format!("{noise} in {r} {noise}"),
            };
            let e = ex(&text);
            if let Some(region) = &e.region {
                prop_assert!(is_region(region), "{:?} from {:?}", region, text);
                prop_assert!(crate::aws::region_looks_valid(region), "{:?}", region);
            }
            for (name, value) in e.fields() {
                prop_assert!(!value.unwrap_or("").contains('\n'), "{} has a newline", name);
            }
        }

        #[test]
        fn extract_never_panics(text in any::<String>()) {
            let _ = ex(&text);
        }
    }
}
