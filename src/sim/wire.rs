//! The four wire protocols the doctor's services speak, as a simulator must answer them:
//! awsQuery (XML), restJson1, awsJson1_1 and rpcv2Cbor. Errors are shaped exactly as AWS
//! shapes them for each protocol, so SDKs raise the same typed errors.

use bytes::Bytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// sts, iam: form-encoded requests, XML responses.
    Query { xmlns: &'static str },
    /// bedrock, bedrock-runtime.
    RestJson,
    /// organizations, service quotas (1.1); cloudwatch for clients that prefer JSON (1.0).
    AwsJson { version: &'static str },
    /// cloudwatch.
    Cbor,
}

/// A response before faults and latency are applied.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// A body sent in parts, each after its pause (a paced event stream); empty: `body` at once.
    pub paced: Vec<(std::time::Duration, Bytes)>,
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: impl Into<Bytes>) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            paced: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

pub const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
pub const IAM_NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

impl Protocol {
    pub fn error(self, status: u16, code: &str, message: &str, request_id: &str) -> Reply {
        match self {
            Protocol::Query { xmlns } => {
                let kind = if status >= 500 { "Receiver" } else { "Sender" };
                let body = format!(
                    "<ErrorResponse xmlns=\"{xmlns}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
                    xml_escape(code),
                    xml_escape(message)
                );
                Reply::new(status, "text/xml", body)
            }
            Protocol::RestJson => {
                let body = serde_json::json!({ "message": message }).to_string();
                Reply::new(status, "application/json", body).header("x-amzn-errortype", code)
            }
            Protocol::AwsJson { version } => {
                let body = serde_json::json!({ "__type": code, "message": message }).to_string();
                Reply::new(status, &format!("application/x-amz-json-{version}"), body)
            }
            Protocol::Cbor => {
                let value = ciborium::Value::Map(vec![
                    (text("__type"), text(code)),
                    (text("message"), text(message)),
                ]);
                Reply::new(status, "application/cbor", cbor_bytes(&value))
                    .header("smithy-protocol", "rpc-v2-cbor")
            }
        }
    }

    /// A body that is not valid for the protocol (for the `malformed` fault).
    pub fn malformed(self) -> &'static str {
        match self {
            Protocol::Query { .. } => "<GetCallerIdentityResponse><Result><Arn>arn:aws:",
            Protocol::RestJson | Protocol::AwsJson { .. } => {
                "{\"modelSummaries\": [ {\"modelId\": tru"
            }
            Protocol::Cbor => "\u{00bf}\u{0061}",
        }
    }
}

/// A successful awsQuery response: `<{Op}Response><{Op}Result>inner</..>`.
pub fn query_ok(xmlns: &str, operation: &str, inner: &str, request_id: &str) -> Reply {
    let body = format!(
        "<{operation}Response xmlns=\"{xmlns}\"><{operation}Result>{inner}</{operation}Result><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{operation}Response>"
    );
    Reply::new(200, "text/xml", body)
}

pub fn json_ok(value: &serde_json::Value) -> Reply {
    Reply::new(200, "application/json", value.to_string())
}

pub fn awsjson_ok(version: &str, value: &serde_json::Value) -> Reply {
    Reply::new(
        200,
        &format!("application/x-amz-json-{version}"),
        value.to_string(),
    )
}

pub fn cbor_ok(value: &ciborium::Value) -> Reply {
    Reply::new(200, "application/cbor", cbor_bytes(value)).header("smithy-protocol", "rpc-v2-cbor")
}

/// One message of an event stream: an event (`:event-type`) or a modelled exception
/// (`:exception-type`), with a JSON payload.
pub enum StreamMessage {
    Event(&'static str, serde_json::Value),
    Exception(&'static str, String),
}

/// A streaming answer (ConverseStream, InvokeModelWithResponseStream): HTTP 200 and the
/// messages in the binary event-stream encoding (application/vnd.amazon.eventstream), which
/// the SDK reads one by one. Ending without a closing event is how a cut stream looks.
pub fn eventstream_ok(messages: &[StreamMessage]) -> Reply {
    eventstream(messages, Pace::default())
}

/// How a streamed answer is paced: nothing before the first token (message `first`), then
/// `first_token`, then `between` before each later message; `truncated` cuts the last
/// message's frame in half and ends the body there.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pace {
    pub first: usize,
    pub first_token: std::time::Duration,
    pub between: std::time::Duration,
    pub truncated: bool,
}

/// An event stream (AWS's binary event-stream framing, written by aws-smithy-eventstream).
pub fn eventstream(messages: &[StreamMessage], pace: Pace) -> Reply {
    use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
    let mut frames: Vec<Vec<u8>> = Vec::new();
    for m in messages {
        let (kind, type_header, name, payload) = match m {
            StreamMessage::Event(name, v) => ("event", ":event-type", *name, v.to_string()),
            StreamMessage::Exception(name, message) => (
                "exception",
                ":exception-type",
                *name,
                serde_json::json!({ "message": message }).to_string(),
            ),
        };
        let message = Message::new(payload.into_bytes())
            .add_header(Header::new(
                ":message-type",
                HeaderValue::String(kind.into()),
            ))
            .add_header(Header::new(type_header, HeaderValue::String(name.into())))
            .add_header(Header::new(
                ":content-type",
                HeaderValue::String("application/json".into()),
            ));
        let mut frame = Vec::new();
        aws_smithy_eventstream::frame::write_message_to(&message, &mut frame)
            .expect("an event-stream message within the size limits");
        frames.push(frame);
    }
    if pace.truncated {
        if let Some(last) = frames.last_mut() {
            last.truncate(last.len() / 2);
        }
    }
    let mut reply = Reply::new(200, "application/vnd.amazon.eventstream", frames.concat());
    if !pace.first_token.is_zero() || !pace.between.is_zero() || pace.truncated {
        reply.paced = frames
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                let wait = match i.cmp(&pace.first) {
                    std::cmp::Ordering::Less => std::time::Duration::ZERO,
                    std::cmp::Ordering::Equal => pace.first_token,
                    std::cmp::Ordering::Greater => pace.between,
                };
                (wait, Bytes::from(f))
            })
            .collect();
    }
    reply
}

pub fn text(s: &str) -> ciborium::Value {
    ciborium::Value::Text(s.to_string())
}

pub fn cbor_bytes(value: &ciborium::Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("writing CBOR to a Vec cannot fail");
    out
}

/// CBOR timestamps are tag 1 (epoch seconds).
pub fn cbor_time(epoch_secs: f64) -> ciborium::Value {
    ciborium::Value::Tag(1, Box::new(ciborium::Value::Float(epoch_secs)))
}

pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// `<Name>value</Name>`, escaped.
pub fn el(name: &str, value: &str) -> String {
    format!("<{name}>{}</{name}>", xml_escape(value))
}

/// Parsed `Name.member.N...` form parameters of an awsQuery request.
pub struct Form(pub Vec<(String, String)>);

impl Form {
    pub fn parse(body: &[u8]) -> Form {
        Form(form_urlencoded::parse(body).into_owned().collect())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Values of `Prefix.member.1`, `Prefix.member.2`, ... in order.
    pub fn list(&self, prefix: &str) -> Vec<String> {
        let mut items: Vec<(u32, String)> = self
            .0
            .iter()
            .filter_map(|(k, v)| {
                let n = k.strip_prefix(prefix)?.strip_prefix(".member.")?;
                Some((n.parse().ok()?, v.clone()))
            })
            .collect();
        items.sort();
        items.into_iter().map(|(_, v)| v).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_errors_are_error_responses() {
        let r = Protocol::Query { xmlns: STS_NS }.error(
            403,
            "InvalidClientTokenId",
            "bad <token>",
            "rid",
        );
        let body = String::from_utf8(r.body.to_vec()).unwrap();
        assert!(
            body.contains("<Code>InvalidClientTokenId</Code><Message>bad &lt;token&gt;</Message>")
        );
        assert_eq!(r.status, 403);
    }

    #[test]
    fn form_lists_are_ordered_by_index() {
        let f = Form::parse(
            b"ActionNames.member.2=b&ActionNames.member.1=a&Action=X&ActionNames.member.10=c",
        );
        assert_eq!(f.list("ActionNames"), ["a", "b", "c"]);
        assert_eq!(f.get("Action"), Some("X"));
    }
}
