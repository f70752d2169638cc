//! Structured outputs: the JSON Schema subset Bedrock compiles into a grammar, for Converse
//! (`outputConfig.textFormat`, the schema as a string; `strict` tools) and Anthropic Messages
//! (`output_config.format`, the deprecated `output_format`; `strict` tools). Source: the
//! Bedrock User Guide, structured-output.html ("Get validated JSON results from models"):
//! not supported are recursive schemas, external `$ref`, `minimum`/`maximum`/`multipleOf`,
//! `minLength`/`maxLength`, `additionalProperties` other than false, and `minItems` above 1; a
//! schema with an unsupported feature gets a 400 at once; Anthropic models reject structured
//! outputs together with citations.

use super::{escape, RuleFinding};
use crate::causes::Cause;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

const UNSUPPORTED: &[&str] = &["minimum", "maximum", "multipleOf", "minLength", "maxLength"];

fn finding(rule: &'static str, path: String, message: String) -> RuleFinding {
    RuleFinding {
        rule,
        path,
        message,
        hint: None,
        cause: Cause::InvalidRequestBody,
    }
}

/// A schema the body asks Bedrock to enforce, with the body path it sits at. `in_string` is set
/// when the schema is a JSON string (Converse), so findings say where in the string.
struct Schema {
    at: String,
    value: Value,
    in_string: bool,
}

fn strict_tools(
    tools: Option<&Value>,
    tools_path: &str,
    spec: Option<&str>,
    schema_key: &[&str],
) -> Vec<Schema> {
    let mut out = Vec::new();
    for (i, t) in tools
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let (def, def_path) = match spec {
            Some(key) => (t.get(key), format!("{tools_path}/{i}/{key}")),
            None => (Some(t), format!("{tools_path}/{i}")),
        };
        let Some(def) = def.filter(|d| d.get("strict") == Some(&Value::Bool(true))) else {
            continue;
        };
        let mut value = Some(def);
        let mut path = def_path;
        for k in schema_key {
            value = value.and_then(|v| v.get(*k));
            path = format!("{path}/{k}");
        }
        if let Some(v) = value {
            out.push(Schema {
                at: path,
                value: v.clone(),
                in_string: false,
            });
        }
    }
    out
}

/// Converse: the output format's schema (a JSON string) and strict tools' input schemas.
pub fn converse(b: &Map<String, Value>) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    let mut schemas = Vec::new();
    let base = "/outputConfig/textFormat/structure/jsonSchema/schema";
    let text = b
        .get("outputConfig")
        .and_then(|o| o.get("textFormat"))
        .and_then(|t| t.get("structure"))
        .and_then(|s| s.get("jsonSchema"))
        .and_then(|j| j.get("schema"))
        .and_then(Value::as_str);
    if let Some(text) = text {
        match serde_json::from_str::<Value>(text) {
            Ok(value) => schemas.push(Schema {
                at: base.to_string(),
                value,
                in_string: true,
            }),
            Err(e) => out.push(finding(
                "structured-output-schema-json",
                base.to_string(),
                format!("the schema string is not valid JSON ({e}): Converse takes the JSON Schema serialised as a string"),
            )),
        }
    }
    let tools = b.get("toolConfig").and_then(|t| t.get("tools"));
    schemas.extend(strict_tools(
        tools,
        "/toolConfig/tools",
        Some("toolSpec"),
        &["inputSchema", "json"],
    ));
    for s in &schemas {
        out.extend(keywords(s));
    }
    out
}

/// Anthropic Messages: `output_config.format` (or `output_format`) and strict tools.
pub fn anthropic(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
    let mut schemas = Vec::new();
    let mut uses_format = false;
    for key in ["output_config", "output_format"] {
        let (format, path) = match key {
            "output_config" => (
                b.get(key).and_then(|o| o.get("format")),
                "/output_config/format",
            ),
            _ => (b.get(key), "/output_format"),
        };
        if let Some(schema) = format.and_then(|f| f.get("schema")) {
            uses_format = true;
            schemas.push(Schema {
                at: format!("{path}/schema"),
                value: schema.clone(),
                in_string: false,
            });
        }
    }
    schemas.extend(strict_tools(
        b.get("tools"),
        "/tools",
        None,
        &["input_schema"],
    ));
    let mut out: Vec<RuleFinding> = schemas.iter().flat_map(keywords).collect();
    if uses_format {
        if let Some(path) = citations(b) {
            out.push(finding(
                "structured-output-citations",
                path,
                format!("{model}: structured outputs and citations cannot be combined on Anthropic models (Bedrock answers 400)"),
            ));
        }
    }
    out
}

/// The first document block that turns citations on.
fn citations(b: &Map<String, Value>) -> Option<String> {
    let messages = b.get("messages").and_then(Value::as_array)?;
    for (i, m) in messages.iter().enumerate() {
        for (j, c) in m
            .get("content")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let on = c
                .get("citations")
                .and_then(|x| x.get("enabled"))
                .and_then(Value::as_bool)
                == Some(true);
            if on {
                return Some(format!("/messages/{i}/content/{j}/citations"));
            }
        }
    }
    None
}

/// Unsupported keywords, external and recursive `$ref`s, anywhere in one schema.
fn keywords(s: &Schema) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    let mut refs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    walk(&s.value, "", None, &mut out, &mut refs, s);
    // A definition that reaches itself through $refs is recursive.
    for start in refs.keys() {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&String> = refs[start].iter().collect();
        while let Some(d) = todo.pop() {
            if d == start {
                out.push(place(
                    s,
                    start.trim_start_matches('#'),
                    "structured-output-schema-keywords",
                    format!("`{start}` refers to itself: recursive schemas are not supported; unroll it to a fixed depth"),
                ));
                break;
            }
            if seen.insert(d) {
                todo.extend(refs.get(d).into_iter().flatten());
            }
        }
    }
    out
}

/// A finding at `pointer` inside the schema: a body path, or the string's path with the
/// pointer named in the message when the schema is a string.
fn place(s: &Schema, pointer: &str, rule: &'static str, message: String) -> RuleFinding {
    if s.in_string {
        finding(
            rule,
            s.at.clone(),
            format!(
                "at {} in the schema string: {message}",
                if pointer.is_empty() { "/" } else { pointer }
            ),
        )
    } else {
        finding(rule, format!("{}{pointer}", s.at), message)
    }
}

fn walk(
    v: &Value,
    pointer: &str,
    definition: Option<&str>,
    out: &mut Vec<RuleFinding>,
    refs: &mut BTreeMap<String, BTreeSet<String>>,
    s: &Schema,
) {
    match v {
        Value::Object(map) => {
            for key in UNSUPPORTED {
                if map.contains_key(*key) {
                    out.push(place(
                        s,
                        &format!("{pointer}/{key}"),
                        "structured-output-schema-keywords",
                        format!("`{key}` is not supported in structured-output schemas; say the limit in the description instead"),
                    ));
                }
            }
            if let Some(ap) = map.get("additionalProperties") {
                if ap != &Value::Bool(false) {
                    out.push(place(
                        s,
                        &format!("{pointer}/additionalProperties"),
                        "structured-output-schema-keywords",
                        "additionalProperties must be false (or absent) in structured-output schemas".to_string(),
                    ));
                }
            }
            if map
                .get("minItems")
                .and_then(Value::as_u64)
                .is_some_and(|n| n > 1)
            {
                out.push(place(
                    s,
                    &format!("{pointer}/minItems"),
                    "structured-output-schema-keywords",
                    "minItems may only be 0 or 1 in structured-output schemas".to_string(),
                ));
            }
            if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                if !r.starts_with('#') {
                    out.push(place(
                        s,
                        &format!("{pointer}/$ref"),
                        "structured-output-schema-keywords",
                        format!("`{r}` is an external reference: only references inside the schema (#/...) are supported"),
                    ));
                } else {
                    let from = definition.unwrap_or("#").to_string();
                    refs.entry(from).or_default().insert(r.to_string());
                }
            }
            for (key, child) in map {
                let path = format!("{pointer}/{}", escape(key));
                match (key.as_str(), child) {
                    // Values, not schemas: a keyword's name there is just data.
                    ("enum" | "const" | "default" | "examples", _) => {}
                    // $defs/X or definitions/X: refs inside belong to that definition.
                    ("$defs" | "definitions", Value::Object(defs)) => {
                        for (name, d) in defs {
                            let here = format!("{path}/{}", escape(name));
                            let id = format!("#{here}");
                            walk(d, &here, Some(&id), out, refs, s);
                        }
                    }
                    // Maps of names to schemas: a property may be called `minimum`.
                    ("properties" | "patternProperties" | "dependentSchemas", Value::Object(m)) => {
                        for (name, d) in m {
                            let here = format!("{path}/{}", escape(name));
                            walk(d, &here, definition, out, refs, s);
                        }
                    }
                    _ => walk(child, &path, definition, out, refs, s),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{pointer}/{i}"), definition, out, refs, s);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(found: Vec<RuleFinding>) -> Vec<(String, String)> {
        found
            .into_iter()
            .map(|f| (f.rule.to_string(), f.path))
            .collect()
    }

    #[test]
    fn anthropic_schema_keywords_refs_and_citations() {
        let body = json!({
            "output_config": {"format": {"type": "json_schema", "schema": {
                "type": "object",
                "additionalProperties": true,
                "properties": {
                    "minimum": {"type": "string", "enum": [{"maxLength": 1}]},
                    "age": {"type": "integer", "minimum": 0},
                    "tags": {"type": "array", "minItems": 2, "items": {"type": "string"}},
                    "node": {"$ref": "#/$defs/node"},
                    "ext": {"$ref": "https://example.com/s.json"}
                },
                "$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}}
            }}},
            "messages": [{"role": "user", "content": [{"type": "document", "citations": {"enabled": true}}]}]
        });
        let got = rules(anthropic(
            "anthropic.claude-sonnet-4-5",
            body.as_object().unwrap(),
        ));
        let at = |p: &str| got.iter().any(|(_, path)| path == p);
        assert!(
            at("/output_config/format/schema/additionalProperties"),
            "{got:?}"
        );
        assert!(
            at("/output_config/format/schema/properties/age/minimum"),
            "{got:?}"
        );
        assert!(
            at("/output_config/format/schema/properties/tags/minItems"),
            "{got:?}"
        );
        assert!(
            at("/output_config/format/schema/properties/ext/$ref"),
            "{got:?}"
        );
        assert!(at("/output_config/format/schema/$defs/node"), "{got:?}");
        // A property may be named like a keyword; enum values are data.
        assert!(
            !at("/output_config/format/schema/properties/minimum"),
            "{got:?}"
        );
        assert!(at("/messages/0/content/0/citations"), "{got:?}");
    }

    #[test]
    fn converse_schema_string_and_strict_tools() {
        let body = json!({
            "outputConfig": {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": {
                "schema": "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"string\",\"maxLength\":5}},\"additionalProperties\":false}"
            }}}},
            "toolConfig": {"tools": [
                {"toolSpec": {"name": "a", "strict": true, "inputSchema": {"json": {"type": "object", "properties": {"x": {"type": "number", "multipleOf": 2}}}}}},
                {"toolSpec": {"name": "b", "inputSchema": {"json": {"type": "object", "properties": {"x": {"type": "number", "minimum": 2}}}}}}
            ]}
        });
        let found = converse(body.as_object().unwrap());
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].message.contains("/properties/n/maxLength"),
            "{found:?}"
        );
        assert_eq!(
            found[1].path,
            "/toolConfig/tools/0/toolSpec/inputSchema/json/properties/x/multipleOf"
        );
        let broken = json!({"outputConfig": {"textFormat": {"structure": {"jsonSchema": {"schema": "{not json"}}}}});
        assert_eq!(
            converse(broken.as_object().unwrap())[0].rule,
            "structured-output-schema-json"
        );
        let fine = json!({"outputConfig": {"textFormat": {"structure": {"jsonSchema": {"schema": "{\"type\":\"object\",\"additionalProperties\":false}"}}}}});
        assert!(converse(fine.as_object().unwrap()).is_empty());
    }
}
