//! bedrock-mantle: Bedrock's OpenAI- and Anthropic-compatible endpoint
//! (`https://bedrock-mantle.{region}.api.aws`). It has no SDK crate, so the doctor's one test
//! call is a request of its own: a minimal chat completion, with a Bedrock API key
//! (`Authorization: Bearer`) or signed with SigV4 for the service `bedrock-mantle`. Reading
//! its answer is the `mantle` check's (src/checks/mantle.rs).
//! Facts and their sources: src/catalog/SOURCES.md, "bedrock-mantle".

use bytes::Bytes;
use std::time::{Duration, Instant};

/// The SigV4 signing name of bedrock-mantle (its IAM prefix too).
pub const SIGNING_NAME: &str = "bedrock-mantle";

/// The OpenAI-compatible path most models are served on; some are on `/openai/v1` instead.
pub const CHAT_PATH: &str = "/v1/chat/completions";

/// How the call authenticates.
pub enum Auth {
    /// A Bedrock API key (AWS_BEARER_TOKEN_BEDROCK).
    ApiKey(String),
    /// The run's credentials, signed with SigV4.
    SigV4(aws_credential_types::Credentials),
}

/// What the endpoint answered.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub took_ms: u128,
}

/// The endpoint's base URL in `region`, or the override (a simulator, a VPC endpoint).
pub fn base_url(region: &str, override_url: Option<&str>) -> String {
    match override_url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => format!("https://bedrock-mantle.{region}.api.aws"),
    }
}

/// Whether an API key may be sent to `base`: https, or plain http on loopback (a simulator).
pub fn safe_for_a_key(base: &str) -> bool {
    if base.starts_with("https://") || base.starts_with("http://[::1]") {
        return true;
    }
    let host = base
        .strip_prefix("http://")
        .and_then(|rest| rest.split(['/', ':']).next())
        .unwrap_or("");
    host == "localhost" || host.starts_with("127.")
}

/// The minimal request: one user message, a few tokens (costs well under $0.001).
pub fn chat_body(model: &str) -> String {
    serde_json::json!({
        "model": model,
        "messages": [{ "role": "user", "content": "Hi" }],
        "max_tokens": 32,
    })
    .to_string()
}

/// One chat completion; Err when no HTTP answer came (connection, TLS, timeout, signing).
pub async fn chat_completion(
    base: &str,
    region: &str,
    model: &str,
    auth: &Auth,
    timeout: Duration,
) -> Result<Answer, String> {
    let url = format!("{base}{CHAT_PATH}");
    let body = chat_body(model);
    let mut request = http::Request::builder()
        .method("POST")
        .uri(&url)
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(Bytes::from(body.clone())))
        .map_err(|e| format!("cannot build the request to {url}: {e}"))?;
    match auth {
        Auth::ApiKey(key) => {
            let value = http::HeaderValue::from_str(&format!("Bearer {key}"))
                .map_err(|_| "the API key holds characters a header cannot".to_string())?;
            request.headers_mut().insert("authorization", value);
        }
        Auth::SigV4(credentials) => sign(&mut request, &body, region, credentials)?,
    }
    let client = client()?;
    let started = Instant::now();
    let call = async {
        use http_body_util::BodyExt;
        let response = client
            .request(request)
            .await
            .map_err(|e| format!("POST {url}: {}", crate::calls::error_chain(&e)))?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("POST {url}: the answer broke off: {e}"))?
            .to_bytes();
        Ok(Answer {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            took_ms: started.elapsed().as_millis(),
        })
    };
    match tokio::time::timeout(timeout, call).await {
        Ok(answer) => answer,
        Err(_) => Err(format!(
            "POST {url}: no answer within {:.1}s",
            timeout.as_secs_f64()
        )),
    }
}

type Connector = hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;

/// A client on one TLS connector for the process: the root certificates are read once,
/// whatever the number of models checked (the client itself is per call, so no connection
/// outlives the runtime that opened it).
fn client(
) -> Result<hyper_util::client::legacy::Client<Connector, http_body_util::Full<Bytes>>, String> {
    static CONNECTOR: std::sync::OnceLock<Result<Connector, String>> = std::sync::OnceLock::new();
    let connector = CONNECTOR
        .get_or_init(|| {
            Ok(hyper_rustls::HttpsConnectorBuilder::new()
                .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
                .map_err(|e| format!("no TLS root certificates on this machine: {e}"))?
                .https_or_http()
                .enable_http1()
                .build())
        })
        .clone()?;
    Ok(
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(connector),
    )
}

/// SigV4 for `bedrock-mantle`, with the SDK's own signer.
fn sign(
    request: &mut http::Request<http_body_util::Full<Bytes>>,
    body: &str,
    region: &str,
    credentials: &aws_credential_types::Credentials,
) -> Result<(), String> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings};
    let identity = credentials.clone().into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SIGNING_NAME)
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("cannot sign the request: {e}"))?
        .into();
    let uri = request.uri().to_string();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let signable = SignableRequest::new(
        "POST",
        &uri,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| format!("cannot sign the request: {e}"))?;
    let (instructions, _) = aws_sigv4::http_request::sign(signable, &params)
        .map_err(|e| format!("cannot sign the request: {e}"))?
        .into_parts();
    instructions.apply_to_request_http1x(request);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_goes_only_over_https_or_to_this_machine() {
        assert!(safe_for_a_key("https://bedrock-mantle.us-east-1.api.aws"));
        assert!(safe_for_a_key("http://127.0.0.1:4566"));
        assert!(safe_for_a_key("http://[::1]:4566"));
        assert!(!safe_for_a_key("http://proxy.internal:8080"));
    }

    #[test]
    fn the_endpoint_is_regional_unless_overridden() {
        assert_eq!(
            base_url("eu-west-1", None),
            "https://bedrock-mantle.eu-west-1.api.aws"
        );
        assert_eq!(
            base_url("eu-west-1", Some("http://127.0.0.1:4566/")),
            "http://127.0.0.1:4566"
        );
    }
}
