//! The placeholders of families.toml: `{name}`, `{name|fallback}`, `{name?}` in commands,
//! and `if:name` / `unless:name` prefixes on fix lines.

use super::extract::Extracted;
use crate::models::PROFILE_PREFIXES;

/// Every placeholder a template may use; the catalog test rejects any other name.
#[cfg(test)]
pub const NAMES: &[&str] = &[
    "model_id",
    "base_model_id",
    "profile_id",
    "region",
    "principal_arn",
    "role_name",
    "role_arn",
    "list_policies",
    "account",
    "resource_arn",
    "action",
    "operation",
    "http_status",
    "request_id",
    "policy_arn",
    "policy_id",
    "end_of_life",
    "replacement",
    "replacement_call",
    "catalog_offered",
    "catalog_date",
    "exception",
    "lint_operation",
];

/// The values a template can use: the extracted fields plus a few derived from them.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    values: Vec<(&'static str, String)>,
}

impl Vars {
    pub fn from_extracted(e: &Extracted) -> Self {
        let mut v = Vars::default();
        for (name, value) in e.fields() {
            if let Some(value) = value {
                v.set(name, value);
            }
        }
        // The id as a user would type it: an ARN's resource part, without a profile prefix.
        let id = e.model_id.as_deref().map(|m| match m.rsplit_once('/') {
            Some((head, tail)) if head.starts_with("arn:") => tail,
            _ => m,
        });
        if let Some(id) = id {
            match PROFILE_PREFIXES.iter().find(|p| id.starts_with(*p)) {
                Some(prefix) => {
                    v.set("profile_id", id);
                    v.set("base_model_id", &id[prefix.len()..]);
                }
                None => v.set("base_model_id", id),
            }
        }
        if let Some(arn) = e.principal_arn.as_deref() {
            if let Some(role) = role_name(arn) {
                v.set("role_name", &role);
            }
            if let Some(role_arn) = iam_arn(arn) {
                v.set("role_arn", &role_arn);
            }
            // The commands that list the principal's own policies: a user's and its groups',
            // or a role's.
            let user = arn
                .split_once(":user/")
                .map(|(_, u)| u.rsplit('/').next().unwrap_or(u).to_string());
            let listing = match (user, role_name(arn)) {
                (Some(user), _) => Some(format!("aws iam list-attached-user-policies --user-name {user}, aws iam list-user-policies --user-name {user}, and its groups' (aws iam list-groups-for-user --user-name {user})")),
                (None, Some(role)) => Some(format!("aws iam list-attached-role-policies --role-name {role} and aws iam list-role-policies --role-name {role}")),
                _ => None,
            };
            if let Some(l) = listing {
                v.set("list_policies", &l);
            }
        }
        let account = [e.principal_arn.as_deref(), e.resource_arn.as_deref()]
            .into_iter()
            .flatten()
            .filter_map(|arn| arn.split(':').nth(4))
            .find(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()));
        if let Some(account) = account {
            v.set("account", account);
        }
        if let Some(id) = e
            .policy_arn
            .as_deref()
            .and_then(|a| a.rsplit('/').next())
            .filter(|id| id.starts_with("p-"))
        {
            v.set("policy_id", id);
        }
        if let Some(op) = e.operation.as_deref() {
            let lint_op = if op.starts_with("Converse") {
                "converse"
            } else {
                "invoke"
            };
            v.set("lint_operation", lint_op);
        }
        v
    }

    /// The model catalog's facts about the extracted model.
    pub fn set_lifecycle(&mut self, lc: Option<&super::models::Lifecycle>, as_of: Option<&str>) {
        use super::models::Lifecycle;
        let (eol, replacement) = match lc {
            Some(Lifecycle::EndOfLife {
                end_of_life,
                replacement,
                ..
            }) => (Some(end_of_life), replacement.as_ref()),
            Some(Lifecycle::Legacy { end_of_life, .. }) => (end_of_life.as_ref(), None),
            None => (None, None),
        };
        if let Some(d) = eol {
            self.set("end_of_life", d);
        }
        if let Some(r) = replacement {
            // The id for `lint --model`; how to call it (a profile, where it needs one) for
            // the advice to move to it.
            let region = self.get("region").map(str::to_string);
            self.set("replacement", r);
            self.set(
                "replacement_call",
                &super::models::how_to_call(r, region.as_deref()),
            );
        }
        if let Some(d) = as_of {
            self.set("catalog_date", d);
        }
    }

    /// These values and `name` = `value` (a blank value is no value: `if:name` lines drop out).
    pub fn with(mut self, name: &'static str, value: &str) -> Self {
        if !value.trim().is_empty() {
            self.set(name, value);
        }
        self
    }

    fn set(&mut self, name: &'static str, value: &str) {
        self.values.retain(|(n, _)| *n != name);
        self.values.push((name, value.to_string()));
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `arn:aws:sts::1:assumed-role/Name/session` and `arn:aws:iam::1:role/path/Name` -> Name.
fn role_name(arn: &str) -> Option<String> {
    let resource = arn.splitn(6, ':').nth(5)?;
    if let Some(rest) = resource.strip_prefix("assumed-role/") {
        return rest.split('/').next().map(str::to_string);
    }
    if let Some(rest) = resource.strip_prefix("role/") {
        return rest.rsplit('/').next().map(str::to_string);
    }
    if let Some(rest) = resource.strip_prefix("user/") {
        return rest.rsplit('/').next().map(str::to_string);
    }
    None
}

/// The IAM ARN a policy simulation takes: an assumed-role session maps to its role (without
/// the role's path, which the session ARN does not show); users and roles are themselves.
fn iam_arn(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, partition, service, _, account, resource] = parts.as_slice() else {
        return None;
    };
    if *service == "iam" && (resource.starts_with("role/") || resource.starts_with("user/")) {
        return Some(arn.to_string());
    }
    let role = resource.strip_prefix("assumed-role/")?.split('/').next()?;
    (*service == "sts").then(|| format!("arn:{partition}:iam::{account}:role/{role}"))
}

/// A placeholder found in a template: its name, fallback and whether it is optional.
pub struct Placeholder<'a> {
    pub name: &'a str,
    pub fallback: Option<&'a str>,
    pub optional: bool,
}

/// Splits a template into literal text and placeholders.
pub fn parse(template: &str) -> Vec<Result<&str, Placeholder<'_>>> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        let inner = &rest[open + 1..close];
        let (head, fallback) = match inner.split_once('|') {
            Some((h, f)) => (h, Some(f)),
            None => (inner, None),
        };
        let (name, optional) = match head.strip_suffix('?') {
            Some(n) => (n, true),
            None => (head, false),
        };
        let is_name = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit());
        if !is_name {
            // Not a placeholder (e.g. JSON in a fix line): keep the brace as text.
            parts.push(Ok(&rest[..open + 1]));
            rest = &rest[open + 1..];
            continue;
        }
        if open > 0 {
            parts.push(Ok(&rest[..open]));
        }
        parts.push(Err(Placeholder {
            name,
            fallback,
            optional,
        }));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        parts.push(Ok(rest));
    }
    parts
}

pub fn render(template: &str, vars: &Vars) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    for part in parse(template) {
        match part {
            Ok(text) => out.push_str(text),
            Err(p) => match (vars.get(p.name), p.fallback) {
                (Some(v), _) => out.push_str(v),
                (None, Some(f)) => out.push_str(f),
                (None, None) => {
                    out.push('<');
                    out.push_str(&p.name.to_ascii_uppercase());
                    out.push('>');
                }
            },
        }
    }
    out
}

/// Fix lines with their `if:` / `unless:` conditions applied.
pub fn render_lines(lines: &[String], vars: &Vars) -> Vec<String> {
    lines
        .iter()
        .filter_map(|line| {
            if let Some(rest) = line.strip_prefix("if:") {
                let (name, text) = rest.split_once(' ')?;
                return vars.get(name).map(|_| render(text, vars));
            }
            if let Some(rest) = line.strip_prefix("unless:") {
                let (name, text) = rest.split_once(' ')?;
                return vars.get(name).is_none().then(|| render(text, vars));
            }
            Some(render(line, vars))
        })
        .collect()
}

/// A command line: an unknown `{name?}` is dropped with the `--flag` before it.
pub fn render_command(template: &str, vars: &Vars) -> String {
    let mut words: Vec<String> = Vec::new();
    for word in template.split_whitespace() {
        let dropped = parse(word).iter().any(|part| match part {
            Err(p) => p.optional && vars.get(p.name).is_none(),
            Ok(_) => false,
        });
        if dropped {
            if words.last().is_some_and(|w| w.starts_with("--")) {
                words.pop();
            }
            continue;
        }
        words.push(render(word, vars));
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        Vars::from_extracted(&Extracted {
            model_id: Some("us.anthropic.claude-sonnet-4-20250514-v1:0".into()),
            principal_arn: Some("arn:aws:sts::123456789012:assumed-role/app-role/i-1".into()),
            operation: Some("ConverseStream".into()),
            ..Extracted::default()
        })
    }

    #[test]
    fn placeholders_and_fallbacks() {
        let v = vars();
        assert_eq!(
            render("{base_model_id} via {profile_id} for {role_name} in {account}", &v),
            "anthropic.claude-sonnet-4-20250514-v1:0 via us.anthropic.claude-sonnet-4-20250514-v1:0 for app-role in 123456789012"
        );
        assert_eq!(
            render("{region|your region} {action}", &v),
            "your region <ACTION>"
        );
        assert_eq!(render("{\"a\": 1}", &v), "{\"a\": 1}");
    }

    #[test]
    fn role_arns() {
        assert_eq!(
            iam_arn("arn:aws:sts::123456789012:assumed-role/app-role/i-1").as_deref(),
            Some("arn:aws:iam::123456789012:role/app-role")
        );
        assert_eq!(
            iam_arn("arn:aws:iam::123456789012:user/alice").as_deref(),
            Some("arn:aws:iam::123456789012:user/alice")
        );
        assert_eq!(
            iam_arn("arn:aws:sts::123456789012:federated-user/bob"),
            None
        );
    }

    #[test]
    fn optional_flags_drop_out() {
        let v = vars();
        assert_eq!(
            render_command(
                "bedrock-doctor --region {region?} --model {model_id} --only x",
                &v
            ),
            "bedrock-doctor --model us.anthropic.claude-sonnet-4-20250514-v1:0 --only x"
        );
        assert_eq!(
            render_command(
                "bedrock-doctor lint <b.json> --operation {lint_operation?}",
                &v
            ),
            "bedrock-doctor lint <b.json> --operation converse"
        );
    }

    #[test]
    fn conditional_lines() {
        let v = vars();
        let lines = vec![
            "if:region in {region}".to_string(),
            "unless:region region unknown".to_string(),
            "always".to_string(),
        ];
        assert_eq!(render_lines(&lines, &v), vec!["region unknown", "always"]);
    }
}
