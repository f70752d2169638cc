//! Just enough of IAM policy evaluation to name the SCP statement that denies a call:
//! Effect Deny, Action/NotAction with wildcards, Resource/NotResource, and the String*/Arn*
//! condition operators (their Not forms and IfExists) on the keys the doctor knows about the
//! request (aws:RequestedRegion, aws:PrincipalArn, bedrock:InferenceProfileArn, ...).
//!
//! AWS's rules (IAM User Guide: reference_policies_elements_action.html,
//! reference_policies_elements_resource.html, reference-arns.html,
//! reference_policies_elements_condition_operators.html): actions compare case-insensitively;
//! resource ARNs and String/Arn condition values case-sensitively; an ARN pattern is matched
//! part by part, so `*` never runs across a `:`; ArnEquals takes wildcards like ArnLike.

use serde_json::Value;

/// The request being evaluated: its action, resource and the condition keys the doctor
/// knows (key names compare case-insensitively, as in IAM).
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub context: Vec<(&'a str, &'a str)>,
}

impl<'a> Request<'a> {
    fn value(&self, key: &str) -> Option<&'a str> {
        self.context
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| *v)
    }
}

/// A statement that denies the request.
#[derive(Debug, Clone, PartialEq)]
pub struct Denial {
    /// The statement's Sid, or its position (`statement 2`) when it has none.
    pub statement: String,
    /// True when the statement's condition is on aws:RequestedRegion, so the region is why.
    pub by_region: bool,
    /// The statement as JSON, for the person to read.
    pub text: String,
}

impl Denial {
    /// How a person finds the statement: `statement DenyBedrock` or `statement 2`.
    pub fn label(&self) -> String {
        if self.statement.starts_with("statement ") {
            self.statement.clone()
        } else {
            format!("statement {}", self.statement)
        }
    }
}

/// IAM wildcard match for actions: `*` any run, `?` one character, case-insensitive.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    wildcard_with(pattern, text, true)
}

/// Wildcard match that keeps case, as AWS does for ARNs and condition values.
pub fn wildcard_exact(pattern: &str, text: &str) -> bool {
    wildcard_with(pattern, text, false)
}

/// Greedy, remembering only the last `*`: when a later part fails, that star takes one more
/// character. At most len(pattern) x len(text) steps; trying every split of every star instead
/// took exponential time (`*a*a*a*a*b` against 200 `a`s: 23 s), and the check's deadline
/// cannot interrupt a loop that never yields.
fn wildcard_with(pattern: &str, text: &str, fold_case: bool) -> bool {
    if pattern.len() > 2048 || text.len() > 2048 {
        return false;
    }
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let same = |a: u8, b: u8| {
        if fold_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut pi, mut ti) = (0, 0);
    // (pattern index after the last `*`, text index where that star's run ends)
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                pi += 1;
                star = Some((pi, ti));
            }
            Some(&c) if c == b'?' || same(c, t[ti]) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((after, end)) => {
                    pi = after;
                    ti = end + 1;
                    star = Some((after, end + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// An Arn condition operator's pattern against an ARN: "each of the six colon-delimited
/// components of the ARN is checked separately", case-sensitively.
pub fn arn_match(pattern: &str, arn: &str) -> bool {
    let pattern_parts: Vec<&str> = pattern.splitn(6, ':').collect();
    let arn_parts: Vec<&str> = arn.splitn(6, ':').collect();
    pattern_parts.len() == 6
        && arn_parts.len() == 6
        && pattern_parts
            .iter()
            .zip(&arn_parts)
            .all(|(p, a)| wildcard_exact(p, a))
}

/// A Resource element against an ARN. Wildcards stay inside their colon-separated segment,
/// except a `*` that is the segment's last character, which "can expand to match beyond the
/// colon boundaries" (reference_policies_elements_resource.html).
pub fn resource_match(pattern: &str, arn: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if pattern.len() > 2048 || arn.len() > 2048 {
        return false;
    }
    let mut re = String::from("^");
    let chars: Vec<char> = pattern.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        match c {
            '*' if matches!(chars.get(i + 1), None | Some(':')) => re.push_str(".*"),
            '*' => re.push_str("[^:]*"),
            '?' => re.push_str("[^:]"),
            other => re.push_str(&regex::escape(&other.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).is_ok_and(|r| r.is_match(arn))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

/// Does the statement's Action / NotAction (or Resource / NotResource) cover the value?
fn covers(stmt: &Value, key: &str, not_key: &str, value: &str) -> bool {
    let hit = |patterns: Vec<String>| {
        patterns.iter().any(|p| {
            if key == "Action" {
                wildcard(p, value)
            } else {
                resource_match(p, value)
            }
        })
    };
    if stmt.get(key).is_some() {
        hit(strings(stmt.get(key)))
    } else if stmt.get(not_key).is_some() {
        !hit(strings(stmt.get(not_key)))
    } else {
        // SCPs always name an action; a missing Resource means all resources.
        key == "Resource"
    }
}

/// The condition keys the doctor knows for a Bedrock request: when one is missing from a
/// request's context, the request does not carry it (e.g. bedrock:InferenceProfileArn on an
/// on-demand call).
pub const MODELED_KEYS: [&str; 3] = [
    "aws:RequestedRegion",
    "aws:PrincipalArn",
    "bedrock:InferenceProfileArn",
];

fn is_operator(base: &str) -> bool {
    matches!(
        base,
        "StringEquals"
            | "StringNotEquals"
            | "StringEqualsIgnoreCase"
            | "StringNotEqualsIgnoreCase"
            | "StringLike"
            | "StringNotLike"
            | "ArnEquals"
            | "ArnLike"
            | "ArnNotEquals"
            | "ArnNotLike"
    )
}

/// Evaluate the Condition block. A key the doctor does not know for this request, or an
/// operator it does not evaluate, makes the statement not apply: we never claim a denial we
/// cannot show. Returns (applies, depends on region).
fn conditions(stmt: &Value, req: &Request) -> (bool, bool) {
    let Some(Value::Object(ops)) = stmt.get("Condition") else {
        return (true, false);
    };
    let by_region = ops.values().any(|keys| {
        keys.as_object().is_some_and(|k| {
            k.keys()
                .any(|k| k.eq_ignore_ascii_case("aws:RequestedRegion"))
        })
    });
    for (op, keys) in ops {
        let Value::Object(keys) = keys else {
            return (false, by_region);
        };
        let (base, if_exists) = match op.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (op.as_str(), false),
        };
        for (key, wanted) in keys {
            let Some(actual) = req.value(key) else {
                // A key the doctor models but the request does not carry is absent, as AWS
                // would see it: IfExists and the negated operators hold, the others do not.
                // Any other key is unknown to the doctor: the statement does not apply.
                let known_absent = MODELED_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key));
                let negated = base.contains("Not");
                if known_absent && (if_exists || negated) && is_operator(base) {
                    continue;
                }
                return (false, by_region);
            };
            let wanted = strings(Some(wanted));
            let exact = wanted.iter().any(|w| w == actual);
            let exact_ci = wanted.iter().any(|w| w.eq_ignore_ascii_case(actual));
            let like = wanted.iter().any(|w| wildcard_exact(w, actual));
            let arn_like = wanted.iter().any(|w| arn_match(w, actual));
            let ok = match base {
                "StringEquals" => exact,
                "StringNotEquals" => !exact,
                "StringEqualsIgnoreCase" => exact_ci,
                "StringNotEqualsIgnoreCase" => !exact_ci,
                "StringLike" => like,
                "StringNotLike" => !like,
                "ArnEquals" | "ArnLike" => arn_like,
                "ArnNotEquals" | "ArnNotLike" => !arn_like,
                _ => return (false, by_region),
            };
            if !ok {
                return (false, by_region);
            }
        }
    }
    (true, by_region)
}

/// The Deny statements of a policy document that deny the request.
pub fn denials(document: &str, req: &Request) -> Vec<Denial> {
    let Ok(doc) = serde_json::from_str::<Value>(document) else {
        return vec![];
    };
    let statements = match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s @ Value::Object(_)) => vec![s.clone()],
        _ => return vec![],
    };
    let mut out = Vec::new();
    for (i, stmt) in statements.iter().enumerate() {
        if stmt.get("Effect").and_then(Value::as_str) != Some("Deny") {
            continue;
        }
        if !covers(stmt, "Action", "NotAction", req.action)
            || !covers(stmt, "Resource", "NotResource", req.resource)
        {
            continue;
        }
        let (applies, by_region) = conditions(stmt, req);
        if applies {
            let statement = stmt
                .get("Sid")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("statement {}", i + 1));
            out.push(Denial {
                statement,
                by_region,
                text: stmt.to_string(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(region: &str) -> Request<'static> {
        let region: &'static str = Box::leak(region.to_string().into_boxed_str());
        Request {
            action: "bedrock:InvokeModel",
            resource: "arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
            context: vec![
                ("aws:RequestedRegion", region),
                ("aws:PrincipalArn", "arn:aws:iam::111122223333:role/app"),
            ],
        }
    }

    #[test]
    fn arns_keep_case_and_stars_stay_in_their_part() {
        let fm = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0";
        assert!(resource_match(
            "arn:aws:bedrock:*::foundation-model/amazon.*",
            fm
        ));
        assert!(!resource_match(
            "arn:aws:bedrock:*::foundation-model/AMAZON.*",
            fm
        ));
        // the account `*` may be empty, but a region `us-*` never matches the Region-less ARN
        assert!(resource_match(
            "arn:aws:bedrock:*:*:foundation-model/*",
            "arn:aws:bedrock:::foundation-model/x"
        ));
        assert!(!resource_match(
            "arn:aws:bedrock:us-*:*:foundation-model/*",
            "arn:aws:bedrock:::foundation-model/x"
        ));
        // a star inside a segment stays there; one that ends a segment may run on
        assert!(!resource_match(
            "arn:aws:bedrock:u*1:*:*",
            "arn:aws:bedrock:us:1:x:y"
        ));
        assert!(resource_match("arn:aws:bedrock:us-*", fm));
        // the Arn condition operators compare the six parts separately
        assert!(arn_match(
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::111122223333:role/app"
        ));
        assert!(!arn_match(
            "arn:aws:iam::*",
            "arn:aws:iam::111122223333:role/app"
        ));
        assert!(wildcard_exact("arn:aws:bedrock:*", fm) && !wildcard_exact("ARN:*", fm));
    }

    #[test]
    fn arn_equals_takes_wildcards_and_string_conditions_keep_case() {
        let scp = r#"{"Statement":[{"Effect":"Deny","Action":"bedrock:*","Resource":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*:role/app"}}}]}"#;
        assert_eq!(denials(scp, &req("us-east-1")).len(), 1);
        let upper = r#"{"Statement":[{"Effect":"Deny","Action":"bedrock:*","Resource":"*","Condition":{"StringLike":{"aws:RequestedRegion":"US-*"}}}]}"#;
        assert!(denials(upper, &req("us-east-1")).is_empty());
    }

    #[test]
    fn the_unspecified_region_of_a_global_call_is_outside_every_region_list() {
        let scp = r#"{"Statement":[{"Sid":"RegionLock","Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","us-west-2"]}}}]}"#;
        let d = denials(scp, &req("unspecified"));
        assert_eq!(d.len(), 1);
        assert!(d[0].by_region);
        assert_eq!(d[0].label(), "statement RegionLock");
        // exempting global profiles by bedrock:InferenceProfileArn takes the deny away
        let exempt = r#"{"Statement":[{"Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1"]},"StringNotLikeIfExists":{"bedrock:InferenceProfileArn":"arn:aws:bedrock:*:*:inference-profile/global.*"}}}]}"#;
        let mut r = req("unspecified");
        r.context.push((
            "bedrock:InferenceProfileArn",
            "arn:aws:bedrock:us-east-1:111122223333:inference-profile/global.x",
        ));
        assert!(denials(exempt, &r).is_empty());
        // without a profile the key is absent, so the IfExists exemption does not apply
        assert_eq!(denials(exempt, &req("unspecified")).len(), 1);
        // a condition on a key the doctor does not know never claims a denial
        let unknown = exempt.replace("bedrock:InferenceProfileArn", "aws:SourceVpce");
        assert!(denials(&unknown, &req("unspecified")).is_empty());
    }

    #[test]
    fn a_blanket_deny_is_not_about_the_region() {
        let scp =
            r#"{"Statement":[{"Effect":"Deny","Action":"bedrock:InvokeModel*","Resource":"*"}]}"#;
        let d = denials(scp, &req("us-west-2"));
        assert_eq!(d.len(), 1);
        assert!(!d[0].by_region);
        assert_eq!(d[0].label(), "statement 1");
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("bedrock:Invoke*", "bedrock:InvokeModel"));
        assert!(wildcard("BEDROCK:invokemodel", "bedrock:InvokeModel"));
        assert!(wildcard("bedrock:?nvokeModel", "bedrock:InvokeModel"));
        assert!(!wildcard("bedrock:List*", "bedrock:InvokeModel"));
        assert!(wildcard("*", ""));
        assert!(wildcard("a*b*c", "aXbYc") && !wildcard("a*b*c", "aXbY"));
        assert!(wildcard("*?", "x") && !wildcard("*?", ""));
    }

    #[test]
    fn many_stars_cannot_stall_the_check() {
        // Exponential before: every split of every star was tried.
        let pattern = "*a".repeat(12) + "*b";
        assert!(!wildcard(&pattern, &"a".repeat(2000)));
        assert!(wildcard(&pattern, &("a".repeat(2000) + "b")));
    }

    #[test]
    fn region_lock_with_not_action_denies_other_regions_only() {
        let scp = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideUsEast1","Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1"]}}}]}"#;
        let d = denials(scp, &req("us-east-2"));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].label(), "statement DenyOutsideUsEast1");
        assert!(d[0].by_region);
        assert!(denials(scp, &req("us-east-1")).is_empty());
    }

    #[test]
    fn action_lists_resources_and_principal_exceptions() {
        let scp = r#"{"Statement":[{"Effect":"Deny","Action":"bedrock:InvokeModel*","Resource":"arn:aws:bedrock:*::foundation-model/anthropic.*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/ml-*"}}}]}"#;
        assert_eq!(denials(scp, &req("us-east-1"))[0].statement, "statement 1");
        let mut r = req("us-east-1");
        r.context[1].1 = "arn:aws:iam::111122223333:role/ml-team";
        assert!(denials(scp, &r).is_empty());
        r.action = "bedrock:ListFoundationModels";
        assert!(denials(scp, &r).is_empty());
    }

    #[test]
    fn allows_unknown_conditions_and_garbage_never_claim_a_denial() {
        let unknown = r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
        assert!(denials(unknown, &req("us-east-1")).is_empty());
        assert!(denials("not json", &req("us-east-1")).is_empty());
        let allow = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        assert!(denials(allow, &req("us-east-1")).is_empty());
    }
}
