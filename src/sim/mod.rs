//! The simulated AWS account: one loopback HTTP server that speaks the wire protocols of
//! every service the doctor calls, driven by a scenario (docs/simulator.md). It records
//! every request it serves, so tests can assert what the doctor did and did not call.

pub mod iam_eval;
pub mod scenario;
mod services;
pub use services::iam_action;
pub mod wire;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use scenario::{glob, Scenario};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use wire::{Protocol, Reply};

/// One request the simulator served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub service: String,
    pub operation: String,
    pub region: String,
    /// The access key id, masked, or `bearer` for an API key.
    pub identity: String,
    pub status: u16,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// 0 picks a free port.
    pub port: u16,
    /// Added to every response (on top of the scenario's own latency).
    pub latency: Option<Duration>,
    /// Append every request to this file as JSON lines.
    pub log: Option<PathBuf>,
}

pub struct Sim {
    scenario: Scenario,
    latency: Duration,
    log: Mutex<Vec<LogEntry>>,
    log_file: Option<Mutex<std::fs::File>>,
    fault_hits: Mutex<Vec<u32>>,
    request_count: AtomicU64,
    /// Sessions AssumeRole issued, by access key id: the account each acts in, as whom.
    sessions: Mutex<std::collections::HashMap<String, Arc<Scenario>>>,
    /// Per service: requests being answered now, and the most at once (a client's
    /// concurrency bound, seen from the server's side).
    in_flight: Mutex<std::collections::HashMap<String, (usize, usize)>>,
}

/// One request being answered, counted in `Sim::in_flight` until dropped (also when the
/// client hangs up mid-answer).
struct InFlight<'a> {
    sim: &'a Sim,
    service: String,
}

impl<'a> InFlight<'a> {
    fn enter(sim: &'a Sim, service: &str) -> InFlight<'a> {
        let mut counts = sim.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let c = counts.entry(service.to_string()).or_default();
        c.0 += 1;
        c.1 = c.1.max(c.0);
        InFlight {
            sim,
            service: service.to_string(),
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut counts = self.sim.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = counts.get_mut(&self.service) {
            c.0 = c.0.saturating_sub(1);
        }
    }
}

pub struct Running {
    pub addr: SocketAddr,
    pub sim: Arc<Sim>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn log(&self) -> Vec<LogEntry> {
        self.sim
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn stop(self) {
        self.task.abort();
    }

    /// The most requests of `service` (as the log names it) answered at once.
    pub fn peak_in_flight(&self, service: &str) -> usize {
        let counts = self.sim.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        counts.get(service).map_or(0, |c| c.1)
    }
}

/// Bind 127.0.0.1 and serve the scenario until the task is dropped or aborted.
pub async fn start(scenario: Scenario, options: Options) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port)).await?;
    let addr = listener.local_addr()?;
    let log_file = match &options.log {
        Some(p) => Some(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)?,
        )),
        None => None,
    };
    let latency = options
        .latency
        .unwrap_or(Duration::from_millis(scenario.latency_ms));
    let sim = Arc::new(Sim {
        fault_hits: Mutex::new(vec![0; scenario.faults.len()]),
        scenario,
        latency,
        log: Mutex::new(Vec::new()),
        log_file,
        request_count: AtomicU64::new(0),
        sessions: Mutex::new(Default::default()),
        in_flight: Mutex::new(Default::default()),
    });
    let served = sim.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let sim = served.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let sim = sim.clone();
                    async move { sim.handle(req).await }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(Running { addr, sim, task })
}

type Body = BoxBody<Bytes, std::io::Error>;

/// What the routing learnt about a request.
#[derive(Debug, Clone)]
pub struct Call {
    pub service: String,
    pub region: String,
    pub access_key: Option<String>,
    pub bearer: bool,
    /// What the Bedrock API key of a bearer call is (kind, region, lifetime).
    pub api_key: Option<crate::api_key::ApiKey>,
    /// InvokeModel's X-Amzn-Bedrock-Service-Tier header.
    pub service_tier_header: Option<String>,
    /// InvokeModel's X-Amzn-Bedrock-GuardrailIdentifier and -GuardrailVersion headers.
    pub guardrail_header: (Option<String>, Option<String>),
    pub method: String,
    pub path: String,
    pub query: String,
    pub target: Option<String>,
    pub body: Bytes,
}

impl Call {
    /// Query-string parameter, percent-decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// `Credential=AKID/20240101/us-east-1/sts/aws4_request` -> (key, region, service).
fn credential_scope(auth: &str) -> Option<(String, String, String)> {
    let cred = auth.split("Credential=").nth(1)?.split([',', ' ']).next()?;
    let mut parts = cred.split('/');
    let key = parts.next()?.to_string();
    let _date = parts.next()?;
    let region = parts.next()?.to_string();
    let service = parts.next()?.to_string();
    Some((key, region, service))
}

impl Sim {
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
    ) -> Result<Response<Body>, std::io::Error> {
        let (parts, incoming) = req.into_parts();
        let body = match incoming.collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => return Err(std::io::Error::other(e)),
        };
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let auth = header("authorization").unwrap_or_default();
        let path = parts.uri.path().to_string();
        let (access_key, region, service, bearer) = match credential_scope(&auth) {
            Some((k, r, s)) => (Some(k), r, s, false),
            // A Bedrock API key carries no region: the scenario's own region stands in; its
            // service is the one the path belongs to (bedrock-mantle's OpenAI and Anthropic
            // paths, else Bedrock's).
            None if auth.starts_with("Bearer ") => (
                None,
                self.scenario.region.clone(),
                if is_mantle_path(&path) {
                    "bedrock-mantle"
                } else {
                    "bedrock"
                }
                .to_string(),
                true,
            ),
            None => (None, self.scenario.region.clone(), String::new(), false),
        };
        let amz_date = header("x-amz-date");
        let call = Call {
            service,
            region,
            access_key,
            bearer,
            api_key: auth
                .strip_prefix("Bearer ")
                .map(crate::api_key::ApiKey::read),
            service_tier_header: header("x-amzn-bedrock-service-tier"),
            guardrail_header: (
                header("x-amzn-bedrock-guardrailidentifier"),
                header("x-amzn-bedrock-guardrailversion"),
            ),
            method: parts.method.to_string(),
            path,
            query: parts.uri.query().unwrap_or("").to_string(),
            target: header("x-amz-target"),
            body,
        };
        let n = self.request_count.fetch_add(1, Ordering::Relaxed);
        let request_id = format!("5e1f0000-0000-4000-8000-{n:012}");
        let (operation, protocol) = services::identify(&call);
        let reply = self.reply(
            &call,
            amz_date.as_deref(),
            protocol,
            &operation,
            &request_id,
        );
        let identity = if call.bearer {
            "bearer".to_string()
        } else {
            call.access_key
                .as_deref()
                .map(crate::secrets::mask_key_id)
                .unwrap_or_else(|| "anonymous".into())
        };
        let fault = self.take_fault(&call.service, &operation, &call.body);
        let status = match &fault {
            Some(f) if matches!(f.kind.as_str(), "blackhole" | "reset") => 0,
            Some(f) if f.kind.as_str() == "status" => f.status.unwrap_or(500),
            _ => reply.status,
        };
        self.record(LogEntry {
            service: call.service.clone(),
            operation: operation.clone(),
            region: call.region.clone(),
            identity,
            status,
        });
        let mut delay = self.latency;
        if let Some(f) = fault.as_ref().filter(|f| f.kind.as_str() == "latency") {
            delay += Duration::from_millis(f.ms);
        }
        if !delay.is_zero() {
            let _answering = InFlight::enter(&self, &call.service);
            tokio::time::sleep(delay).await;
        }
        let reply = match fault {
            None => reply,
            Some(f) => match f.kind.as_str() {
                "blackhole" => {
                    // Hold the connection open and never answer.
                    std::future::pending::<()>().await;
                    unreachable!()
                }
                "reset" => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "injected reset",
                    ))
                }
                "status" => protocol.error(
                    f.status.unwrap_or(500),
                    f.code.as_deref().unwrap_or("InternalFailure"),
                    f.message
                        .as_deref()
                        .unwrap_or("We encountered an internal error. Please try again."),
                    &request_id,
                ),
                "malformed" => Reply {
                    body: Bytes::from_static(protocol.malformed().as_bytes()),
                    paced: Vec::new(),
                    ..reply
                },
                "truncated" => return Ok(self.respond_truncated(reply, &request_id)),
                "drip" => {
                    return Ok(self.respond_drip(
                        reply,
                        Duration::from_millis(f.ms.max(50)),
                        &request_id,
                    ))
                }
                _ => reply,
            },
        };
        if !reply.paced.is_empty() {
            return Ok(self.respond_paced(reply, &request_id));
        }
        Ok(self.respond(
            reply,
            &request_id,
            Full::new(Bytes::new()).map_err(|e| match e {}).boxed(),
            true,
        ))
    }

    /// A streamed answer sent part by part, each after its pause (a scenario's first-token
    /// delay and chunk pacing), as a model streams.
    fn respond_paced(&self, mut reply: Reply, request_id: &str) -> Response<Body> {
        let parts = std::mem::take(&mut reply.paced);
        let stream = futures::stream::unfold(parts.into_iter(), |mut parts| async move {
            let (wait, bytes) = parts.next()?;
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            Some((Ok(Frame::data(bytes)), parts))
        });
        self.respond(reply, request_id, StreamBody::new(stream).boxed(), false)
    }

    fn respond(&self, reply: Reply, request_id: &str, stream: Body, whole: bool) -> Response<Body> {
        let date = self.aws_now();
        let mut builder = Response::builder()
            .status(reply.status)
            .header("date", httpdate::fmt_http_date(date))
            .header("x-amzn-requestid", request_id);
        for (k, v) in &reply.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let body = if whole {
            Full::new(reply.body)
                .map_err(|e: Infallible| match e {})
                .boxed()
        } else {
            stream
        };
        builder.body(body).unwrap_or_else(|_| {
            Response::new(Full::new(Bytes::new()).map_err(|e| match e {}).boxed())
        })
    }

    /// Announce the whole length, send half, then break the connection.
    fn respond_truncated(&self, reply: Reply, request_id: &str) -> Response<Body> {
        let half = reply.body.slice(..reply.body.len() / 2);
        let len = reply.body.len().to_string();
        let chunks: Vec<Result<Frame<Bytes>, std::io::Error>> = vec![
            Ok(Frame::data(half)),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "injected truncation",
            )),
        ];
        let body = StreamBody::new(futures::stream::iter(chunks)).boxed();
        self.respond(reply.header("content-length", len), request_id, body, false)
    }

    /// Send the body a few bytes at a time with a pause between.
    fn respond_drip(&self, reply: Reply, pause: Duration, request_id: &str) -> Response<Body> {
        let data = reply.body.clone();
        let stream = futures::stream::unfold(0usize, move |at| {
            let data = data.clone();
            async move {
                if at >= data.len() {
                    return None;
                }
                tokio::time::sleep(pause).await;
                let end = (at + 8).min(data.len());
                Some((Ok(Frame::data(data.slice(at..end))), end))
            }
        });
        let len = reply.body.len().to_string();
        self.respond(
            reply.header("content-length", len),
            request_id,
            StreamBody::new(stream).boxed(),
            false,
        )
    }

    fn take_fault(&self, service: &str, operation: &str, body: &[u8]) -> Option<scenario::Fault> {
        let mut hits = self.fault_hits.lock().unwrap_or_else(|p| p.into_inner());
        for (i, f) in self.scenario.faults.iter().enumerate() {
            let mentioned = f.when_request_contains.as_ref().is_none_or(|text| {
                body.windows(text.len().max(1))
                    .any(|w| w == text.as_bytes())
            });
            if glob(&f.service, service)
                && glob(&f.operation, operation)
                && mentioned
                && (f.times == 0 || hits[i] < f.times)
            {
                hits[i] += 1;
                return Some(f.clone());
            }
        }
        None
    }

    fn record(&self, entry: LogEntry) {
        if let Some(file) = &self.log_file {
            let mut f = file.lock().unwrap_or_else(|p| p.into_inner());
            if let Ok(line) = serde_json::to_string(&entry) {
                let _ = std::io::Write::write_all(&mut *f, format!("{line}\n").as_bytes());
            }
        }
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(entry);
    }

    fn reply(
        &self,
        call: &Call,
        amz_date: Option<&str>,
        protocol: Protocol,
        operation: &str,
        request_id: &str,
    ) -> Reply {
        if let Some(rejected) = self.check_signature_time(amz_date, protocol, request_id) {
            return rejected;
        }
        if let Some(rejected) = self.check_key(call, protocol, request_id) {
            return rejected;
        }
        let session = call.access_key.as_deref().and_then(|k| self.session(k));
        let s = session.as_deref().unwrap_or(&self.scenario);
        if let Some(policy) = &s.caller_policy {
            let action = services::iam_action(&call.service, operation);
            if !iam_eval::allows_action(policy, &action) {
                let (status, code) = match protocol {
                    Protocol::Query { .. } => (403, "AccessDenied"),
                    Protocol::AwsJson { .. } => (400, "AccessDeniedException"),
                    _ => (403, "AccessDeniedException"),
                };
                let msg = format!("User: {} is not authorized to perform: {action} because no identity-based policy allows the {action} action", s.identity.arn);
                return protocol.error(status, code, &msg, request_id);
            }
        }
        services::dispatch(self, s, call, operation, protocol, request_id)
    }

    /// The account and identity of a session AssumeRole issued.
    fn session(&self, access_key: &str) -> Option<Arc<Scenario>> {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(access_key)
            .cloned()
    }

    /// Record a session; its access key id is the next in a series, so every one is new.
    fn issue_session(&self, acting: Scenario) -> String {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let key = format!("ASIASIM{:013}", sessions.len() + 1);
        sessions.insert(key.clone(), Arc::new(acting));
        key
    }

    /// AWS's clock (the real one plus the scenario's offset).
    fn aws_now(&self) -> std::time::SystemTime {
        let now = std::time::SystemTime::now();
        let offset = self.scenario.identity.clock_offset_secs;
        if offset >= 0 {
            now + Duration::from_secs(offset as u64)
        } else {
            now - Duration::from_secs(offset.unsigned_abs())
        }
    }

    /// AWS refuses signatures dated more than 5 minutes from its own clock.
    fn check_signature_time(
        &self,
        amz_date: Option<&str>,
        protocol: Protocol,
        request_id: &str,
    ) -> Option<Reply> {
        let signed = parse_amz_date(amz_date?)?;
        let aws = self.aws_now();
        let off = aws
            .duration_since(signed)
            .or_else(|e| Ok::<_, ()>(e.duration()))
            .ok()?;
        if off <= Duration::from_secs(300) {
            return None;
        }
        let fmt = |t: std::time::SystemTime| {
            humantime::format_rfc3339_seconds(t)
                .to_string()
                .replace(['-', ':'], "")
        };
        let message = if signed < aws {
            format!(
                "Signature expired: {} is now earlier than {} ({} - 5 min.)",
                fmt(signed),
                fmt(aws - Duration::from_secs(300)),
                fmt(aws)
            )
        } else {
            format!(
                "Signature not yet current: {} is still later than {} ({} + 5 min.)",
                fmt(signed),
                fmt(aws + Duration::from_secs(300)),
                fmt(aws)
            )
        };
        let code = match protocol {
            Protocol::Query { .. } => "SignatureDoesNotMatch",
            _ => "InvalidSignatureException",
        };
        Some(protocol.error(403, code, &message, request_id))
    }

    /// The scenario's invalid and expired keys, answered as AWS answers them.
    fn check_key(&self, call: &Call, protocol: Protocol, request_id: &str) -> Option<Reply> {
        let key = call.access_key.as_deref()?;
        let id = &self.scenario.identity;
        let listed = |keys: &[String]| keys.iter().any(|k| k == "*" || k == key);
        if listed(&id.invalid_keys) {
            let (code, status) = match protocol {
                Protocol::Query { .. } => ("InvalidClientTokenId", 403),
                _ => ("UnrecognizedClientException", 403),
            };
            return Some(protocol.error(
                status,
                code,
                "The security token included in the request is invalid.",
                request_id,
            ));
        }
        if listed(&id.expired_keys) {
            let code = match protocol {
                Protocol::Query { .. } => "ExpiredToken",
                _ => "ExpiredTokenException",
            };
            return Some(protocol.error(
                400,
                code,
                "The security token included in the request is expired",
                request_id,
            ));
        }
        None
    }
}

/// bedrock-mantle's paths: OpenAI-compatible (`/v1/...`, `/openai/v1/...`) and Anthropic's.
fn is_mantle_path(path: &str) -> bool {
    ["/v1/", "/openai/v1/", "/anthropic/v1/"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// `20240101T120000Z` -> a time.
fn parse_amz_date(s: &str) -> Option<std::time::SystemTime> {
    if s.len() != 16 {
        return None;
    }
    let iso = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &s.get(0..4)?,
        &s.get(4..6)?,
        &s.get(6..8)?,
        &s.get(9..11)?,
        &s.get(11..13)?,
        &s.get(13..15)?
    );
    humantime::parse_rfc3339(&iso).ok()
}

/// `bedrock-doctor sim serve`: run until Ctrl-C.
pub async fn serve_forever(scenario: Scenario, options: Options) -> std::io::Result<()> {
    let name = scenario.name.clone();
    let running = start(scenario, options).await?;
    let mut out = tokio::io::stdout();
    let line = format!(
        "bedrock-doctor simulator: scenario `{name}` listening on {}\n\
         point a client at it: export AWS_ENDPOINT_URL={} AWS_ACCESS_KEY_ID=AKIASIMULATOR0000000 AWS_SECRET_ACCESS_KEY=simulated AWS_REGION=us-east-1\n",
        running.url(),
        running.url()
    );
    out.write_all(line.as_bytes()).await?;
    out.flush().await?;
    let _ = tokio::signal::ctrl_c().await;
    running.stop();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_credential_scope() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/eu-west-1/bedrock/aws4_request, SignedHeaders=host, Signature=abc";
        assert_eq!(
            credential_scope(auth),
            Some(("AKIAEXAMPLE".into(), "eu-west-1".into(), "bedrock".into()))
        );
        assert_eq!(credential_scope("Bearer xyz"), None);
    }
}
