//! Pulls the facts an error text reveals (operation, model id, region, principal, resource,
//! action, HTTP status, request id, exception name) out of the normalised text. Each field
//! has an ordered list of shapes, most specific first: the SDK wrappers of
//! /tmp/research/explain-families.md §0 print the same fact in different places.

use regex::Regex;
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
}

impl Extracted {
    /// (name, value) of every field, in display order.
    pub fn fields(&self) -> [(&'static str, Option<&str>); 9] {
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
        ]
    }

    pub fn is_empty(&self) -> bool {
        self.fields().iter().all(|(_, v)| v.is_none())
    }
}

struct Patterns {
    operation: Vec<Regex>,
    url: Regex,
    http_status: Vec<Regex>,
    request_id: Regex,
    model_id: Vec<Regex>,
    model_scan: Regex,
    region: Vec<Regex>,
    region_scan: Regex,
    principal: Vec<Regex>,
    resource: Vec<Regex>,
    action: Regex,
    exception: Vec<Regex>,
    exception_scan: Regex,
}

fn compile(patterns: &[&str]) -> Vec<Regex> {
    patterns
        .iter()
        .map(|p| Regex::new(p).expect("static regex"))
        .collect()
}

const UUID: &str = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const REGION: &str = r"(?:us|eu|ap|sa|ca|me|af|il|mx|cn)(?:-gov|-isob?)?-(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-\d";

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        operation: compile(&[
            r"when calling the (\w+) operation",
            r"operation error [A-Za-z ]+?: (\w+),",
            r#"Error executing "(\w+)""#,
            r"\b(InvokeModel|InvokeModelWithResponseStream|Converse|ConverseStream|ApplyGuardrail|CountTokens|StartAsyncInvoke|ListFoundationModels|GetFoundationModel|ListInferenceProfiles|GetInferenceProfile)Command\b",
        ]),
        // The runtime's REST paths: /model/{modelId}/{operation}; the id may be an ARN.
        url: Regex::new(r#"/model/(arn:[^\s"'<>]+?|[^/\s"'<>?]+)/(invoke-with-response-stream|invoke|converse-stream|converse|count-tokens)\b"#)
            .expect("static regex"),
        http_status: compile(&[
            r#"(?i)status[ _-]?code["']?\s*[:=(]\s*(?:http_status_)?["']?([1-5]\d\d)\b"#,
            r#"(?i)\bhttp[ _]status["']?\s*[:=_]?\s*([1-5]\d\d)\b"#,
            r"(?i)\bAPI Error(?: \([^)]*\))?:? ([1-5]\d\d)\b",
            r"(?i)\bAn error occurred \(([1-5]\d\d)\)",
            r"(?i)\b([1-5]\d\d) (?:Forbidden|Bad Request|Too Many Requests|Service Unavailable|Not Found|Unauthorized|Internal Server Error|Bad Gateway|Gateway Time-?out|Request Time-?out|Failed Dependency)\b",
            r"(?i)\brequest rejected \(([1-5]\d\d)\)",
            r"(?i)\bgot \(([1-5]\d\d),",
            r"(?i)\b(?:upstream|error code|request failed|error):? ([1-5]\d\d)\b",
            r"(?i)\bHTTP(?:/[\d.]+)? ([1-5]\d\d)\b",
            r"(?i)\w(?:Exception|Error): ([1-5]\d\d)\b",
            r#""(?:status|code)"\s*:\s*"?([1-5]\d\d)"?\s*[,}]"#,
            r"^([1-5]\d\d) [A-Z]",
        ]),
        request_id: Regex::new(&format!(
            r#"(?i)request[ _-]?id["']?\s*[:=]\s*["']?({UUID})"#
        ))
        .expect("static regex"),
        model_id: compile(&[
            r"(?i)Invocation of model ID (\S+?) with",
            r"(?i)Value '([^']+)' at 'modelId'",
            r#"(?i)\bmodel[_ ]?id(?:entifier)?["']?\s*[:=]\s*["']?([A-Za-z0-9][\w.:/-]*[\w])"#,
            r#"(?i)["']model["']\s*[:=]\s*["']([A-Za-z0-9][\w.:/-]*[\w])["']"#,
            r"\bAPI Error \(([A-Za-z0-9][\w.:-]*)\):",
        ]),
        // A provider-prefixed id anywhere; the look-behind substitute keeps `docs.aws.amazon.com`
        // and `email@amazon.com` out.
        model_scan: Regex::new(
            r"(?:^|[^\w.@/-])((?:(?:us|us-gov|eu|apac|jp|au|ca|global)\.)?(?:anthropic|amazon|meta|mistral|cohere|ai21|stability|deepseek|openai|qwen|writer|twelvelabs|luma|google|minimax|moonshot|moonshotai|nvidia|zai)\.[a-z0-9][a-z0-9-]*(?:[.:][a-z0-9-]+)*)",
        )
        .expect("static regex"),
        region: compile(&[
            &format!(r"(?i)\bbedrock(?:-runtime|-agent-runtime|-agent)?(?:-fips)?\.({REGION})\.amazonaws\.com"),
            &format!(r"\barn:aws[\w-]*:bedrock:({REGION}):"),
            &format!(r#"(?i)\bregion(?:[_ ]?name)?["']?\s*[:=]\s*["']?({REGION})\b"#),
            &format!(r"/\d{{8}}/({REGION})/bedrock/aws4_request"),
        ]),
        region_scan: Regex::new(&format!(r"(?:^|[^\w-])({REGION})\b")).expect("static regex"),
        principal: compile(&[
            r"\bUser: (arn:aws[\w-]*:(?:iam|sts)::[^\s]+)",
            r"\b(arn:aws[\w-]*:(?:iam|sts)::[^\s:]*:(?:user|role|assumed-role|federated-user|root)\b[^\s]*)",
        ]),
        resource: compile(&[
            r"\bon resource: (arn:[^\s]+)",
            r"\b(arn:aws[\w-]*:bedrock:[^\s]+)",
        ]),
        action: Regex::new(r"\bperform: ([\w-]+:[\w*]+)").expect("static regex"),
        exception: compile(&[
            r"An error occurred \(([A-Za-z]\w+)\)",
            r#"(?i)x-amzn-ErrorType["']?\s*[:=]\s*["']?([A-Za-z]\w+)"#,
            r#"(?i):exception-type["']?\s*[:=]\s*["']?([A-Za-z]\w+)"#,
            r#"\bcode: (?:Some\()?"([A-Za-z]\w+)""#,
            r#""(?:name|errorType|__type|type)"\s*:\s*"([A-Za-z]\w*(?:Exception|Error))""#,
        ]),
        exception_scan: Regex::new(r"\b([A-Za-z]\w*(?:Exception|Error))\b").expect("static regex"),
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

fn first_capture(res: &[Regex], text: &str) -> Option<String> {
    res.iter()
        .find_map(|re| re.captures(text).and_then(|c| c.get(1)))
        .map(|m| m.as_str().to_string())
}

/// ARNs and ids are quoted, bracketed or end a sentence; that punctuation is not part of them.
fn trim_token(s: &str) -> String {
    s.trim_end_matches(['.', ',', ';', ')', '"', '\'', ']', '}', '\\', '`', '|'])
        .trim_start_matches(['"', '\'', '(', '['])
        .to_string()
}

/// A usable region: a real region name, not `<region>` or `*`.
fn region_of_arn(arn: &str) -> Option<String> {
    let region = arn.split(':').nth(3)?;
    let p = patterns();
    let whole = p.region_scan.captures(region).and_then(|c| c.get(1))?;
    (whole.as_str() == region).then(|| region.to_string())
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
    if let Some(found) = first_capture(&p.exception, text) {
        if !WRAPPER_EXCEPTIONS.contains(&found.as_str()) {
            return Some(upper_first(&found));
        }
    }
    let known = KNOWN_EXCEPTIONS
        .iter()
        .filter_map(|name| lower.find(&name.to_ascii_lowercase()).map(|at| (at, *name)))
        .min_by_key(|(at, _)| *at);
    if let Some((_, name)) = known {
        return Some(name.to_string());
    }
    p.exception_scan
        .captures_iter(text)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str())
        .find(|name| !WRAPPER_EXCEPTIONS.contains(name))
        .map(upper_first)
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
    let url = p.url.captures(text);

    let operation = first_capture(&p.operation, text).or_else(|| {
        url.as_ref()
            .and_then(|c| c.get(2))
            .map(|m| operation_of_url(m.as_str()).to_string())
    });

    let http_status = p
        .http_status
        .iter()
        .find_map(|re| re.captures(text).and_then(|c| c.get(1)))
        .map(|m| m.as_str().to_string());

    let request_id = p
        .request_id
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_ascii_lowercase());

    let principal_arn = first_capture(&p.principal, text).map(|s| trim_token(&s));
    let resource_arn = first_capture(&p.resource, text).map(|s| trim_token(&s));
    let action = p
        .action
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| trim_token(m.as_str()));

    let model_id = first_capture(&p.model_id, text)
        .map(|s| trim_token(&s))
        .filter(|s| !s.is_empty() && !s.starts_with('<'))
        .or_else(|| {
            url.as_ref()
                .and_then(|c| c.get(1))
                .map(|m| trim_token(m.as_str()))
        })
        .or_else(|| resource_arn.as_deref().and_then(model_of_arn))
        .or_else(|| {
            p.model_scan
                .captures_iter(text)
                .filter_map(|c| c.get(1))
                .map(|m| trim_token(m.as_str()))
                .find(|id| looks_like_model_id(id))
        });

    let region = first_capture(&p.region, text)
        .or_else(|| resource_arn.as_deref().and_then(region_of_arn))
        .or_else(|| {
            p.region_scan
                .captures(text)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().to_string())
        });

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
    fn lambda_uuid_is_not_a_request_id() {
        let e = ex("[ERROR]\t2024-08-14T20:22:05.431Z\t930587f4-631c-4afc-81dd-840def9cc233\tAn error occurred");
        assert_eq!(e.request_id, None);
    }
}
