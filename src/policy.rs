//! Just enough of IAM policy evaluation to name the SCP statement that denies a call:
//! Effect Deny, Action/NotAction with wildcards, Resource/NotResource, and the conditions
//! SCPs use for Bedrock (aws:RequestedRegion, aws:PrincipalArn with the String*/Arn*
//! operators, their Not forms and IfExists).

use serde_json::Value;

/// The request being evaluated.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub region: &'a str,
    pub principal_arn: &'a str,
}

/// A statement that denies the request.
#[derive(Debug, Clone, PartialEq)]
pub struct Denial {
    /// The statement's Sid, or its position (`statement 2`) when it has none.
    pub statement: String,
    /// True when the statement denies because of aws:RequestedRegion.
    pub by_region: bool,
    /// The statement as JSON, for the person to read.
    pub text: String,
}

/// IAM wildcard match: `*` any run, `?` one character; case-insensitive (actions are).
///
/// Greedy, remembering only the last `*`: when a later part fails, that star takes one more
/// character. At most len(pattern) x len(text) steps; trying every split of every star instead
/// took exponential time (`*a*a*a*a*b` against 200 `a`s: 23 s), and the check's deadline
/// cannot interrupt a loop that never yields.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    if pattern.len() > 2048 || text.len() > 2048 {
        return false;
    }
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    // (pattern index after the last `*`, text index where that star's run ends)
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                pi += 1;
                star = Some((pi, ti));
            }
            Some(&c) if c == b'?' || c.eq_ignore_ascii_case(&t[ti]) => {
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

fn matches_any(patterns: &[String], text: &str) -> bool {
    patterns.iter().any(|p| wildcard(p, text))
}

/// Does the statement's Action / NotAction cover the action?
fn covers(stmt: &Value, key: &str, not_key: &str, value: &str) -> bool {
    if stmt.get(key).is_some() {
        matches_any(&strings(stmt.get(key)), value)
    } else if stmt.get(not_key).is_some() {
        !matches_any(&strings(stmt.get(not_key)), value)
    } else {
        // SCPs always name an action; a missing Resource means all resources.
        key == "Resource"
    }
}

/// Evaluate the Condition block; unknown operators or keys make the statement not apply
/// (we never claim a denial we cannot show). Returns (applies, depends on region).
fn conditions(stmt: &Value, req: &Request) -> (bool, bool) {
    let Some(Value::Object(ops)) = stmt.get("Condition") else {
        return (true, false);
    };
    let mut by_region = false;
    for (op, keys) in ops {
        let Value::Object(keys) = keys else {
            return (false, false);
        };
        let (base, if_exists) = match op.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (op.as_str(), false),
        };
        let _ = if_exists;
        for (key, wanted) in keys {
            let actual = match key.to_ascii_lowercase().as_str() {
                "aws:requestedregion" => {
                    by_region = true;
                    req.region
                }
                "aws:principalarn" => req.principal_arn,
                _ => return (false, false),
            };
            let wanted = strings(Some(wanted));
            let exact = wanted.iter().any(|w| w == actual);
            let exact_ci = wanted.iter().any(|w| w.eq_ignore_ascii_case(actual));
            let like = matches_any(&wanted, actual);
            let ok = match base {
                "StringEquals" | "ArnEquals" => exact,
                "StringNotEquals" | "ArnNotEquals" => !exact,
                "StringEqualsIgnoreCase" => exact_ci,
                "StringNotEqualsIgnoreCase" => !exact_ci,
                "StringLike" | "ArnLike" => like,
                "StringNotLike" | "ArnNotLike" => !like,
                _ => return (false, false),
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

/// Does an identity policy allow the action (on any resource)? Explicit denies win; an
/// unreadable document allows nothing.
pub fn allows(document: &str, action: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<Value>(document) else {
        return false;
    };
    let statements = match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s @ Value::Object(_)) => vec![s.clone()],
        _ => return false,
    };
    let hits = |effect: &str| {
        statements.iter().any(|st| {
            st.get("Effect").and_then(Value::as_str) == Some(effect)
                && covers(st, "Action", "NotAction", action)
        })
    };
    hits("Allow") && !hits("Deny")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(region: &str) -> Request<'static> {
        let region: &'static str = Box::leak(region.to_string().into_boxed_str());
        Request {
            action: "bedrock:InvokeModel",
            resource: "arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
            region,
            principal_arn: "arn:aws:iam::111122223333:role/app",
        }
    }

    #[test]
    fn identity_policy_allows() {
        let p = r#"{"Statement":[{"Effect":"Allow","Action":["bedrock:List*","sts:GetCallerIdentity"],"Resource":"*"},{"Effect":"Deny","Action":"bedrock:ListInferenceProfiles","Resource":"*"}]}"#;
        assert!(allows(p, "bedrock:ListFoundationModels"));
        assert!(!allows(p, "bedrock:ListInferenceProfiles"));
        assert!(!allows(p, "iam:GetRole"));
        assert!(!allows("nonsense", "sts:GetCallerIdentity"));
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
        assert_eq!(d[0].statement, "DenyOutsideUsEast1");
        assert!(d[0].by_region);
        assert!(denials(scp, &req("us-east-1")).is_empty());
    }

    #[test]
    fn action_lists_resources_and_principal_exceptions() {
        let scp = r#"{"Statement":[{"Effect":"Deny","Action":"bedrock:InvokeModel*","Resource":"arn:aws:bedrock:*::foundation-model/anthropic.*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/ml-*"}}}]}"#;
        assert_eq!(denials(scp, &req("us-east-1"))[0].statement, "statement 1");
        let mut r = req("us-east-1");
        r.principal_arn = "arn:aws:iam::111122223333:role/ml-team";
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
