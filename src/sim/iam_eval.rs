//! The simulator's own IAM policy evaluator. It shares no code with the doctor's matcher
//! (src/policy.rs), so a matcher bug cannot pass on both sides of a test: the simulator
//! decides from the policy documents in a scenario, and the doctor must explain that decision.
//!
//! Written from the IAM User Guide (sources in src/catalog/SOURCES.md, "IAM evaluation"):
//! - actions match case-insensitively, resource ARNs case-sensitively
//!   (reference_policies_elements_action.html, reference_policies_elements_resource.html);
//! - a Resource pattern is matched part by part at its colons, and only a `*` that ends a
//!   part may run across a `:` (reference_policies_elements_resource.html); the Arn condition
//!   operators compare the six ARN parts separately;
//! - String and Arn condition operators compare case-sensitively, `ArnEquals` takes the same
//!   wildcards as `ArnLike`; a key missing from the request makes a positive operator false and
//!   a negated one true; `...IfExists` makes a missing key true
//!   (reference_policies_elements_condition_operators.html);
//! - several keys in one operator, and several operators, must all hold; several values for
//!   one key are ORed (reference_policies_condition-logic-multiple-context-keys-or-values.html).

use serde_json::Value;
use std::collections::BTreeMap;

/// The request context: condition keys (lower-cased) and their values.
pub type Context = BTreeMap<String, Vec<String>>;

/// One request to authorize.
pub struct Ask<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub context: &'a Context,
}

/// What one policy document says about a request.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Verdict {
    /// Sid (or 1-based position) of a Deny statement that applies.
    pub denied_by: Option<String>,
    /// Sid (or position) of an Allow statement that applies.
    pub allowed_by: Option<String>,
    /// Condition keys the policy asked about that the request did not carry.
    pub missing: Vec<String>,
}

/// Evaluate one policy document. An unreadable document says nothing (neither allows nor
/// denies): the scenario tests catch such a document, the evaluator never guesses.
pub fn evaluate(document: &str, ask: &Ask) -> Verdict {
    let mut verdict = Verdict::default();
    for (position, statement) in statements(document).iter().enumerate() {
        let name = statement
            .get("Sid")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| (position + 1).to_string());
        if !element_matches(statement, "Action", "NotAction", |p| {
            action_matches(p, ask.action)
        }) || !element_matches(statement, "Resource", "NotResource", |p| {
            resource_matches(p, ask.resource)
        }) {
            continue;
        }
        if !conditions_hold(
            statement.get("Condition"),
            ask.context,
            &mut verdict.missing,
        ) {
            continue;
        }
        match statement.get("Effect").and_then(Value::as_str) {
            Some("Deny") if verdict.denied_by.is_none() => verdict.denied_by = Some(name),
            Some("Allow") if verdict.allowed_by.is_none() => verdict.allowed_by = Some(name),
            _ => {}
        }
    }
    verdict.missing.sort();
    verdict.missing.dedup();
    verdict
}

/// Does the document allow the action on some resource, with no statement denying it
/// outright? The simulator's gate for the doctor's own calls (a scenario's `caller_policy`),
/// where the resource of a read-only call is not worth modelling.
pub fn allows_action(document: &str, action: &str) -> bool {
    let statements = statements(document);
    let effect_for = |effect: &str| {
        statements.iter().any(|st| {
            st.get("Effect").and_then(Value::as_str) == Some(effect)
                && element_matches(st, "Action", "NotAction", |p| action_matches(p, action))
        })
    };
    effect_for("Allow") && !effect_for("Deny")
}

/// The statements of a policy document (one, or a list); none for anything unreadable.
fn statements(document: &str) -> Vec<Value> {
    match serde_json::from_str::<Value>(document) {
        Ok(Value::Object(mut doc)) => match doc.remove("Statement") {
            Some(Value::Array(list)) => list,
            Some(one @ Value::Object(_)) => vec![one],
            _ => vec![],
        },
        _ => vec![],
    }
}

fn values(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(Value::Bool(true)) => vec!["true"],
        Some(Value::Bool(false)) => vec!["false"],
        _ => vec![],
    }
}

/// Action/NotAction or Resource/NotResource. A statement without a Resource element covers
/// every resource (identity policies always have one; this is for tests' short documents).
fn element_matches(
    statement: &Value,
    key: &str,
    not_key: &str,
    hit: impl Fn(&str) -> bool,
) -> bool {
    if let Some(v) = statement.get(key) {
        values(Some(v)).into_iter().any(&hit)
    } else if let Some(v) = statement.get(not_key) {
        !values(Some(v)).into_iter().any(&hit)
    } else {
        key == "Resource"
    }
}

/// `*` matches any run (including none), `?` one character. Iterative two-pointer matching:
/// linear in practice, never exponential.
fn glob_match(pattern: &[char], text: &[char], fold_case: bool) -> bool {
    let same = |a: char, b: char| {
        if fold_case {
            a.to_lowercase().eq(b.to_lowercase())
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == '*' {
            backtrack = Some((p + 1, t));
            p += 1;
        } else if p < pattern.len() && (pattern[p] == '?' || same(pattern[p], text[t])) {
            p += 1;
            t += 1;
        } else if let Some((after_star, star_text)) = backtrack {
            p = after_star;
            t = star_text + 1;
            backtrack = Some((after_star, star_text + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

fn glob(pattern: &str, text: &str, fold_case: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob_match(&p, &t, fold_case)
}

pub fn action_matches(pattern: &str, action: &str) -> bool {
    glob(pattern, action, true)
}

/// The Resource element: the pattern is matched part by part, split at every colon; a part
/// that ends in `*` may run on across colons ("If the * wildcard is the last character of a
/// resource ARN segment, it can expand to match beyond the colon boundaries":
/// reference_policies_elements_resource.html); any other `*` or `?` stays inside its part.
pub fn resource_matches(pattern: &str, resource: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let p: Vec<&str> = pattern.split(':').collect();
    let r: Vec<&str> = resource.split(':').collect();
    parts_match(&p, &r)
}

fn parts_match(pattern: &[&str], text: &[&str]) -> bool {
    match (pattern.split_first(), text.is_empty()) {
        (None, empty) => empty,
        (Some(_), true) => false,
        (Some((first, rest)), false) => {
            if first.ends_with('*') {
                // take one part, or several joined by their colons
                (1..=text.len()).any(|n| {
                    glob(first, &text[..n].join(":"), false) && parts_match(rest, &text[n..])
                })
            } else {
                glob(first, text[0], false) && parts_match(rest, &text[1..])
            }
        }
    }
}

/// The Arn condition operators: "Each of the six colon-delimited components of the ARN is
/// checked separately" (reference_policies_elements_condition_operators.html).
pub fn arn_condition_matches(pattern: &str, value: &str) -> bool {
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let v: Vec<&str> = value.splitn(6, ':').collect();
    p.len() == 6 && v.len() == 6 && p.iter().zip(&v).all(|(a, b)| glob(a, b, false))
}

/// Every operator and every key in it must hold.
fn conditions_hold(block: Option<&Value>, context: &Context, missing: &mut Vec<String>) -> bool {
    let Some(block) = block else { return true };
    let Value::Object(operators) = block else {
        return false;
    };
    operators.iter().all(|(operator, keys)| {
        let Value::Object(keys) = keys else {
            return false;
        };
        keys.iter().all(|(key, wanted)| {
            let present = context.get(&key.to_ascii_lowercase());
            if present.is_none() {
                missing.push(key.clone());
            }
            operator_holds(operator, present.map(Vec::as_slice), &values(Some(wanted)))
        })
    })
}

fn operator_holds(operator: &str, present: Option<&[String]>, wanted: &[&str]) -> bool {
    let (set, rest) = if let Some(r) = operator.strip_prefix("ForAnyValue:") {
        ("any", r)
    } else if let Some(r) = operator.strip_prefix("ForAllValues:") {
        ("all", r)
    } else {
        ("single", operator)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(b) => (b, true),
        None => (rest, false),
    };
    if base == "Null" {
        // Null: true means "the key is absent".
        let want_absent = wanted
            .first()
            .is_some_and(|w| w.eq_ignore_ascii_case("true"));
        return want_absent == present.is_none();
    }
    let (positive, negated) = match base
        .strip_prefix("StringNot")
        .or_else(|| base.strip_prefix("ArnNot"))
    {
        Some(_) => (base.replacen("Not", "", 1), true),
        None => (base.to_string(), false),
    };
    let one = |value: &str| -> Option<bool> {
        let hit = |w: &&str| match positive.as_str() {
            "StringEquals" => Some(*w == value),
            "StringEqualsIgnoreCase" => Some(w.to_lowercase() == value.to_lowercase()),
            "StringLike" => Some(glob(w, value, false)),
            "ArnEquals" | "ArnLike" => Some(arn_condition_matches(w, value)),
            "Bool" => Some(w.eq_ignore_ascii_case(value)),
            _ => None,
        };
        let mut any = false;
        for w in wanted {
            any |= hit(w)?;
        }
        Some(any)
    };
    let Some(present) = present else {
        // A missing key: IfExists holds; a negated operator holds; a positive one fails;
        // ForAllValues over nothing holds.
        return if_exists || negated || set == "all";
    };
    let mut results = Vec::new();
    for value in present {
        match one(value) {
            Some(r) => results.push(r),
            None => return false, // an operator this evaluator does not know never applies
        }
    }
    let holds = match set {
        "all" => results.iter().all(|r| *r),
        _ => results.iter().any(|r| *r),
    };
    if negated {
        !holds
    } else {
        holds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(pairs: &[(&str, &str)]) -> Context {
        let mut c = Context::new();
        for (k, v) in pairs {
            c.entry(k.to_ascii_lowercase())
                .or_default()
                .push(v.to_string());
        }
        c
    }

    fn verdict(doc: &str, action: &str, resource: &str, pairs: &[(&str, &str)]) -> Verdict {
        let c = ctx(pairs);
        evaluate(
            doc,
            &Ask {
                action,
                resource,
                context: &c,
            },
        )
    }

    #[test]
    fn actions_fold_case_resources_do_not() {
        let doc = r#"{"Statement":[{"Effect":"Allow","Action":"BEDROCK:invoke*","Resource":"arn:aws:bedrock:*::foundation-model/amazon.*"}]}"#;
        let fm = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0";
        assert!(verdict(doc, "bedrock:InvokeModel", fm, &[])
            .allowed_by
            .is_some());
        let upper = "arn:aws:bedrock:us-east-1::foundation-model/AMAZON.nova-lite-v1:0";
        assert!(verdict(doc, "bedrock:InvokeModel", upper, &[])
            .allowed_by
            .is_none());
    }

    #[test]
    fn a_star_stays_inside_its_arn_part_unless_it_ends_it() {
        assert!(resource_matches(
            "arn:aws:bedrock:*:*:*",
            "arn:aws:bedrock:::foundation-model/x"
        ));
        // a part that ends in `*` runs on across colons (the model id's `:0` too)
        assert!(resource_matches(
            "arn:aws:bedrock:us-*",
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"
        ));
        assert!(resource_matches(
            "arn:aws:bedrock:*::foundation-model/amazon.*",
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"
        ));
        // a `*` inside a part does not
        assert!(!resource_matches(
            "arn:aws:bedrock:*-1:111122223333:inference-profile/x",
            "arn:aws:bedrock:us-east:1:111122223333:inference-profile/x"
        ));
        // the Arn condition operators compare the six parts separately
        assert!(!arn_condition_matches(
            "arn:aws:iam::*",
            "arn:aws:iam::111122223333:role/app"
        ));
        assert!(arn_condition_matches(
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::111122223333:role/app"
        ));
        // the region part `us-*` cannot match the empty region of a Region-less ARN
        assert!(!resource_matches(
            "arn:aws:bedrock:us-*:*:foundation-model/*",
            "arn:aws:bedrock:::foundation-model/x"
        ));
        assert!(!resource_matches(
            "arn:aws:bedrock:*:111122223333:*",
            "arn:aws:bedrock:us-east-1::foundation-model/x"
        ));
    }

    #[test]
    fn missing_keys_and_negation() {
        let lock = r#"{"Statement":[{"Sid":"RegionLock","Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","us-west-2"]}}}]}"#;
        let fm = "arn:aws:bedrock:::foundation-model/x";
        assert_eq!(
            verdict(
                lock,
                "bedrock:InvokeModel",
                fm,
                &[("aws:RequestedRegion", "unspecified")]
            )
            .denied_by
            .as_deref(),
            Some("RegionLock")
        );
        assert!(verdict(
            lock,
            "bedrock:InvokeModel",
            fm,
            &[("aws:RequestedRegion", "us-east-1")]
        )
        .denied_by
        .is_none());
        // a missing key makes the negated operator hold, and is reported
        let v = verdict(lock, "bedrock:InvokeModel", fm, &[]);
        assert!(v.denied_by.is_some());
        assert_eq!(v.missing, vec!["aws:RequestedRegion"]);
        // ...and makes a positive operator fail, unless IfExists
        let need = r#"{"Statement":[{"Effect":"Allow","Action":"bedrock:*","Resource":"*","Condition":{"StringLike":{"bedrock:InferenceProfileArn":"arn:aws:bedrock:*:*:inference-profile/global.*"}}}]}"#;
        assert!(verdict(need, "bedrock:InvokeModel", fm, &[])
            .allowed_by
            .is_none());
        assert!(verdict(
            need,
            "bedrock:InvokeModel",
            fm,
            &[(
                "bedrock:InferenceProfileArn",
                "arn:aws:bedrock:us-east-1:1:inference-profile/global.x"
            )]
        )
        .allowed_by
        .is_some());
        let if_exists = need.replace("StringLike", "StringLikeIfExists");
        assert!(verdict(&if_exists, "bedrock:InvokeModel", fm, &[])
            .allowed_by
            .is_some());
    }

    #[test]
    fn string_conditions_are_case_sensitive_and_arn_equals_takes_wildcards() {
        let doc = r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"US-EAST-1"}}}]}"#;
        assert!(verdict(
            doc,
            "s3:GetObject",
            "*",
            &[("aws:RequestedRegion", "us-east-1")]
        )
        .denied_by
        .is_none());
        let arn = r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*:role/app-*"}}}]}"#;
        assert!(verdict(
            arn,
            "s3:GetObject",
            "*",
            &[("aws:PrincipalArn", "arn:aws:iam::111122223333:role/app-1")]
        )
        .denied_by
        .is_some());
        assert!(verdict(
            arn,
            "s3:GetObject",
            "*",
            &[("aws:PrincipalArn", "arn:aws:iam::111122223333:role/other")]
        )
        .denied_by
        .is_none());
    }

    #[test]
    fn unknown_operators_and_garbage_decide_nothing() {
        let doc = r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]}"#;
        assert_eq!(
            verdict(
                doc,
                "s3:GetObject",
                "*",
                &[("aws:CurrentTime", "2026-01-01T00:00:00Z")]
            ),
            Verdict::default()
        );
        assert_eq!(
            verdict("not json", "s3:GetObject", "*", &[]),
            Verdict::default()
        );
    }

    #[test]
    fn for_all_values_and_null() {
        let doc = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"bedrock:GuardrailIdentifier":"false"}}}]}"#;
        assert!(verdict(doc, "bedrock:InvokeModel", "*", &[])
            .allowed_by
            .is_none());
        assert!(verdict(
            doc,
            "bedrock:InvokeModel",
            "*",
            &[("bedrock:GuardrailIdentifier", "g")]
        )
        .allowed_by
        .is_some());
    }
}
