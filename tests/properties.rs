//! Property tests of the public parsers and matchers: model ids and ARNs, region names, the
//! IAM wildcard and policy matchers, input decoding and the lint body reader. Generated
//! inputs, a fixed number of cases per property (CASES), shrunk to a minimal one on failure.
//! The parsers private to their modules have theirs beside them (cli.rs, config_file.rs,
//! knowledge/).

use bedrock_doctor::cli::LintOperation;
use bedrock_doctor::models::{self, ModelRef, PROFILE_PREFIXES};
use bedrock_doctor::policy::{self, Denial, Request};
use bedrock_doctor::sim::iam_eval::allows_action;
use bedrock_doctor::{aws, input, lint};
use proptest::prelude::*;
use serde_json::{json, Value};

const CASES: u32 = 256;
/// Each lint case compiles the family's JSON Schema (about 10 ms in a debug build).
const LINT_CASES: u32 = 128;

// ---- model ids and ARNs --------------------------------------------------------------------

/// Bare model ids by the rule models::check_model_id states: `provider.name`, then up to two
/// `.x` / `:x` parts; lowercase letters, digits and `-`. The provider is never one of the
/// inference-profile prefixes (`us`, `eu`...), which would make it a profile id.
fn model_ids() -> impl Strategy<Value = String> {
    (
        "[a-z0-9][a-z0-9-]{1,19}",
        "[a-z0-9-]{1,30}",
        proptest::collection::vec(("[.:]", "[a-z0-9-]{1,10}"), 0..=2),
    )
        .prop_filter("a profile prefix is not a provider", |(provider, _, _)| {
            !PROFILE_PREFIXES.contains(&format!("{provider}.").as_str())
        })
        .prop_map(|(provider, name, parts)| {
            let tail: String = parts.into_iter().map(|(s, p)| s + &p).collect();
            format!("{provider}.{name}{tail}")
        })
}

fn regions() -> impl Strategy<Value = String> {
    proptest::sample::select(models::bedrock_regions().to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Any text, including ARN-shaped text: a ModelRef or a reason, never a panic; and a
    /// value given with surrounding whitespace means the same as without.
    #[test]
    fn model_parse_never_panics(
        s in prop_oneof![
            any::<String>(),
            "arn:[a-z-]{0,8}:[a-z]{0,8}:[a-z0-9-]{0,12}:[0-9]{0,12}:[a-z-]{0,30}/?[a-z0-9.:/-]{0,20}",
            "(us|eu|global)?\\.?[a-z]{0,6}\\.[a-zA-Z0-9 _.:-]{0,20}",
        ],
    ) {
        let parsed = models::parse(&s);
        if let Err(e) = &parsed {
            prop_assert!(!e.is_empty());
        }
        prop_assert_eq!(models::parse(&format!(" \t{s}\n")), parsed);
    }

    /// Ids, profile ids and ARNs built from the grammar parse back to their parts.
    #[test]
    fn model_refs_round_trip(
        id in model_ids(),
        prefix in proptest::sample::select(PROFILE_PREFIXES),
        region in regions(),
        account in "[0-9]{12}",
        app in "[a-z0-9]{12}",
        other in "provisioned-model|custom-model|custom-model-deployment|imported-model",
    ) {
        prop_assert_eq!(
            models::parse(&id),
            Ok(ModelRef::Foundation { model_id: id.clone(), arn_region: None })
        );
        let profile = format!("{prefix}{id}");
        prop_assert_eq!(
            models::parse(&profile),
            Ok(ModelRef::SystemProfile { profile_id: profile.clone(), model_id: id.clone(), arn_region: None })
        );
        prop_assert_eq!(
            models::parse(&format!("arn:aws:bedrock:{region}::foundation-model/{id}")),
            Ok(ModelRef::Foundation { model_id: id.clone(), arn_region: Some(region.clone()) })
        );
        prop_assert_eq!(
            models::parse(&format!("arn:aws:bedrock:{region}:{account}:inference-profile/{profile}")),
            Ok(ModelRef::SystemProfile { profile_id: profile.clone(), model_id: id.clone(), arn_region: Some(region.clone()) })
        );
        let arn = format!("arn:aws:bedrock:{region}:{account}:application-inference-profile/{app}");
        prop_assert_eq!(
            models::parse(&arn),
            Ok(ModelRef::ApplicationProfile { arn: arn.clone(), region: region.clone() })
        );
        let arn = format!("arn:aws:bedrock:{region}:{account}:{other}/{app}");
        let parsed = models::parse(&arn);
        prop_assert!(
            matches!(&parsed, Ok(ModelRef::Owned { arn: a, region: r, .. }) if *a == arn && *r == region),
            "{:?} ({})", parsed, other
        );
    }

    /// What breaks the grammar is refused, and the reason names the id: an uppercase letter,
    /// a character outside the alphabet, a third `.`/`:` part, or no provider.
    #[test]
    fn malformed_model_ids_are_refused(
        id in model_ids(),
        at in any::<proptest::sample::Index>(),
        upper in "[A-Z]",
        bad in "[_/#@!?*,;=+\u{e9}]",
        parts in proptest::collection::vec("[a-z0-9]{1,4}", 3..5),
        bare in "[a-z0-9-]{1,30}",
    ) {
        // Inserting after the provider's dot keeps the provider a valid one.
        let dot = id.find('.').unwrap_or(0);
        let pos = dot + 1 + at.index(id.len() - dot);
        let mut with_upper = id.clone();
        with_upper.insert_str(pos, &upper);
        let e = models::parse(&with_upper).unwrap_err();
        prop_assert!(e.contains("uppercase") && e.contains(&with_upper), "{}", e);

        let mut with_bad = id.clone();
        with_bad.insert_str(pos, &bad);
        let e = models::parse(&with_bad).unwrap_err();
        prop_assert!(e.contains(&with_bad), "{}", e);

        let too_many = format!("{id}:{}", parts.join(":"));
        prop_assert!(models::parse(&too_many).is_err(), "{}", too_many);
        prop_assert!(models::parse(&bare).unwrap_err().contains("provider"));
    }

    /// did-you-mean offers at most three distinct known ids, and the right one when the
    /// person typed a known id exactly.
    #[test]
    fn suggestions_come_from_the_known_ids(
        known in proptest::collection::vec(model_ids(), 1..8),
        pick in any::<proptest::sample::Index>(),
        wrong in prop_oneof![model_ids(), any::<String>()],
    ) {
        let got = models::did_you_mean(&wrong, known.iter().map(String::as_str));
        prop_assert!(got.len() <= 3);
        for (i, g) in got.iter().enumerate() {
            prop_assert!(known.contains(g));
            prop_assert!(!got[..i].contains(g));
        }
        let exact = &known[pick.index(known.len())];
        prop_assert!(models::did_you_mean(exact, known.iter().map(String::as_str)).contains(exact));
    }

    // ---- region names --------------------------------------------------------------------

    /// Every region that offers Bedrock, and every name of the region grammar, is a region
    /// name; an uppercase letter or whitespace anywhere makes it not one.
    #[test]
    fn region_names(
        real in regions(),
        made in "[a-z]{2}(-[a-z]{1,10}){1,2}-[0-9]{1,2}",
        at in any::<proptest::sample::Index>(),
        spoiler in "[A-Z \\t\\n]",
        s in any::<String>(),
    ) {
        prop_assert!(aws::region_looks_valid(&real), "{}", real);
        prop_assert!(aws::region_looks_valid(&made), "{}", made);
        let mut spoiled = made.clone();
        spoiled.insert_str(at.index(made.len() + 1), &spoiler);
        prop_assert!(!aws::region_looks_valid(&spoiled), "{:?}", spoiled);
        if aws::region_looks_valid(&s) {
            prop_assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        }
    }
}

// ---- the IAM wildcard and policy matchers ----------------------------------------------------

/// The wildcard's meaning, written another way: a regex over bytes, ASCII case folded.
fn wildcard_oracle(pattern: &str, text: &str) -> bool {
    let mut re = String::from("(?is-u)^");
    for b in pattern.bytes() {
        match b {
            b'*' => re.push_str(".*"),
            b'?' => re.push('.'),
            b => re.push_str(&format!("\\x{b:02x}")),
        }
    }
    re.push('$');
    regex::bytes::RegexBuilder::new(&re)
        .unicode(false)
        .build()
        .expect("the oracle's regex compiles")
        .is_match(text.as_bytes())
}

/// IAM actions (`service:Operation`), without wildcard characters.
fn actions() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{1,12}:[A-Za-z]{1,24}"
}

/// The same text with the case of each ASCII letter chosen at random.
fn recased(s: &str, flips: &[bool]) -> String {
    s.chars()
        .zip(flips.iter().cycle())
        .map(|(c, &f)| {
            if f {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn scp(statements: Value) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

fn request<'a>(action: &'a str, region: &'a str) -> Request<'a> {
    Request {
        action,
        resource: "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0",
        context: vec![
            ("aws:RequestedRegion", region),
            ("aws:PrincipalArn", "arn:aws:iam::111122223333:role/app"),
        ],
    }
}

/// Arbitrary JSON, with the keys of policy documents common enough to reach deep code.
fn json_values(keys: Vec<&'static str>) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        "[a-z*?:-]{0,12}".prop_map(Value::from),
    ];
    let key = prop_oneof![
        3 => proptest::sample::select(keys).prop_map(str::to_string),
        1 => "[a-zA-Z_]{0,8}",
    ];
    leaf.prop_recursive(5, 48, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const POLICY_KEYS: &[&str] = &[
    "Version",
    "Statement",
    "Sid",
    "Effect",
    "Allow",
    "Deny",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "ArnNotLike",
    "StringNotEqualsIfExists",
    "aws:RequestedRegion",
    "aws:PrincipalArn",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// The wildcard agrees with the regex it stands for, on a small alphabet (so that stars
    /// and question marks often decide) and on any text.
    #[test]
    fn wildcard_means_what_the_regex_means(
        (pattern, text) in prop_oneof![
            ("[ab*?]{0,10}", "[abAB]{0,12}"),
            (".{0,12}", ".{0,12}"),
        ],
    ) {
        prop_assert_eq!(policy::wildcard(&pattern, &text), wildcard_oracle(&pattern, &text));
    }

    /// `*` matches everything; a text matches itself in any case (IAM actions are
    /// case-insensitive), and `prefix*` matches every continuation of the prefix.
    #[test]
    fn wildcard_laws(
        text in "[ -~]{0,40}",
        tail in "[ -~]{0,10}",
        flips in proptest::collection::vec(any::<bool>(), 1..8),
    ) {
        prop_assert!(policy::wildcard("*", &text));
        prop_assert!(policy::wildcard(&text, &text));
        prop_assert!(policy::wildcard(&recased(&text, &flips), &text));
        let (prefix, longer) = (text.clone() + "*", text.clone() + &tail);
        prop_assert!(policy::wildcard(&prefix, &longer));
    }

    /// Identity policies (the simulator's evaluator, which gates the doctor's own calls):
    /// `*` allows every action, a listed action is allowed in any case
    /// and an unlisted one is not, an explicit Deny wins, and NotAction never allows what
    /// it lists.
    #[test]
    fn allows_laws(
        action in actions(),
        listed in proptest::collection::vec(actions(), 0..4),
        flips in proptest::collection::vec(any::<bool>(), 1..8),
    ) {
        let all = scp(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]));
        prop_assert!(allows_action(&all, &action));

        let list = scp(json!([{"Effect": "Allow", "Action": listed, "Resource": "*"}]));
        let expected = listed.iter().any(|l| l.eq_ignore_ascii_case(&action));
        prop_assert_eq!(allows_action(&list, &action), expected);
        let exact = scp(json!([{"Effect": "Allow", "Action": recased(&action, &flips), "Resource": "*"}]));
        prop_assert!(allows_action(&exact, &action));

        let denied = scp(json!([
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": action, "Resource": "*"},
        ]));
        prop_assert!(!allows_action(&denied, &action));

        let not_action = scp(json!([{"Effect": "Allow", "NotAction": [action], "Resource": "*"}]));
        prop_assert!(!allows_action(&not_action, &action));
    }

    /// SCP denials: a Deny of `*` denies every request and is named by its Sid or position;
    /// a NotAction that lists the action, an Allow, or a condition the matcher does not
    /// know never claims a denial.
    #[test]
    fn denial_laws(
        action in actions(),
        region in regions(),
        sid in proptest::option::of("[A-Za-z0-9]{1,12}"),
        before in 0usize..3,
    ) {
        let req = request(&action, &region);
        let allow = json!({"Effect": "Allow", "Action": "*", "Resource": "*"});
        let mut deny_all = json!({"Effect": "Deny", "Action": "*", "Resource": "*"});
        if let Some(sid) = &sid {
            deny_all["Sid"] = json!(sid);
        }
        let mut statements = vec![allow.clone(); before];
        statements.push(deny_all);
        let d: Vec<Denial> = policy::denials(&scp(Value::Array(statements)), &req);
        prop_assert_eq!(d.len(), 1);
        let name = sid.unwrap_or_else(|| format!("statement {}", before + 1));
        prop_assert_eq!(&d[0].statement, &name);
        prop_assert!(!d[0].by_region);

        let not_action = json!([{"Effect": "Deny", "NotAction": [recased(&action, &[true, false])], "Resource": "*"}]);
        prop_assert!(policy::denials(&scp(not_action), &req).is_empty());
        prop_assert!(policy::denials(&scp(json!([allow])), &req).is_empty());
        let unknown = json!([{"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]);
        prop_assert!(policy::denials(&scp(unknown), &req).is_empty());
    }

    /// A region lock (Deny unless aws:RequestedRegion is one of a list) denies exactly the
    /// requests outside the list, and says the region is why.
    #[test]
    fn region_locks_deny_exactly_the_other_regions(
        action in actions(),
        region in regions(),
        allowed in proptest::collection::vec(regions(), 1..4),
    ) {
        let doc = scp(json!([{"Sid": "RegionLock", "Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": allowed}}}]));
        let d = policy::denials(&doc, &request(&action, &region));
        prop_assert_eq!(d.len(), usize::from(!allowed.contains(&region)));
        prop_assert!(d.iter().all(|x| x.by_region && x.statement == "RegionLock"));
    }

    /// Any JSON or text as a policy document: an answer, never a panic.
    #[test]
    fn policies_of_any_shape_never_panic(
        doc in prop_oneof![
            json_values(POLICY_KEYS.to_vec()).prop_map(|v| v.to_string()),
            json_values(POLICY_KEYS.to_vec()).prop_map(|v| json!({"Statement": v}).to_string()),
            any::<String>(),
        ],
        action in prop_oneof![actions(), any::<String>()],
    ) {
        let _ = policy::denials(&doc, &request(&action, "us-east-1"));
        let _ = allows_action(&doc, &action);
    }
}

// ---- reading user input ---------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Strict decoding (request bodies): the text itself when it is non-blank UTF-8 without
    /// NUL, else a one-line error naming the input.
    #[test]
    fn strict_decoding(bytes in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        ".{0,32}".prop_map(String::into_bytes),
        "[ \\t\\r\\n]{0,4}".prop_map(String::into_bytes),
    ]) {
        let blank = bytes.iter().all(u8::is_ascii_whitespace);
        let text_ok = !blank && !bytes.contains(&0) && std::str::from_utf8(&bytes).is_ok();
        match input::decode_strict(bytes.clone(), "`body.json`") {
            Ok(s) => {
                prop_assert!(text_ok);
                prop_assert_eq!(s.as_bytes(), &bytes[..]);
            }
            Err(e) => {
                prop_assert!(!text_ok);
                prop_assert!(e.0.starts_with("`body.json` is ") && !e.0.contains('\n'), "{}", e);
            }
        }
    }

    /// Lenient decoding (pasted logs): stray bytes are replaced, blank and binary refused.
    #[test]
    fn lenient_decoding(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let blank = bytes.iter().all(u8::is_ascii_whitespace);
        match input::decode_lenient(bytes.clone(), "stdin") {
            Ok(s) => {
                prop_assert!(!blank && !bytes.contains(&0));
                prop_assert_eq!(s, String::from_utf8_lossy(&bytes).into_owned());
            }
            Err(e) => prop_assert!((blank || bytes.contains(&0)) && !e.0.contains('\n')),
        }
    }
}

// ---- lint: reading and checking request bodies -------------------------------------------------

/// (family, model, operation, clean body) of every lint family, from tests/data/lint.
fn lint_families() -> Vec<(String, String, LintOperation, Value)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lint");
    let mut out = Vec::new();
    for family in lint::families() {
        let expect: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{}.bad.expect.json", family.id)))
                .unwrap_or_else(|e| panic!("{}: {e}", family.id)),
        )
        .unwrap();
        let model = expect["ok_model"]
            .as_str()
            .or(expect["model"].as_str())
            .unwrap()
            .to_string();
        let body: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{}.ok.json", family.id))).unwrap(),
        )
        .unwrap();
        out.push((family.id.clone(), model, family.operation, body));
    }
    out
}

/// Every object key of the clean bodies, so generated bodies reach into the schemas.
fn body_keys(families: &[(String, String, LintOperation, Value)]) -> Vec<&'static str> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    out.push(k.clone());
                    walk(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut keys = Vec::new();
    for (_, _, _, body) in families {
        walk(body, &mut keys);
    }
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| &*Box::leak(k.into_boxed_str()))
        .collect()
}

/// A clean body with one value somewhere in it replaced: `path` picks a child at each level
/// (modulo its size) until it runs out or meets a leaf.
fn mutate(body: &Value, path: &[usize], new: Value) -> Value {
    let Some((&i, rest)) = path.split_first() else {
        return new;
    };
    let mut body = body.clone();
    match &mut body {
        Value::Object(m) if !m.is_empty() => {
            let key = m.keys().nth(i % m.len()).cloned().unwrap_or_default();
            let child = mutate(&m[&key], rest, new);
            m.insert(key, child);
        }
        Value::Array(a) if !a.is_empty() => {
            let n = i % a.len();
            a[n] = mutate(&a[n], rest, new);
        }
        _ => return new,
    }
    body
}

#[test]
fn the_clean_bodies_the_lint_properties_start_from_are_clean() {
    for (id, model, op, clean) in lint_families() {
        let family = lint::family_for(&model, op).unwrap();
        let r = lint::lint_value(&clean, &model, family);
        assert!(r.ok, "{id}: {:?}", r.problems);
    }
}

/// What every lint report promises: `ok` exactly when there is no problem, problems at JSON
/// Pointers into the body (or where a missing field would be), one of each (path, kind).
fn check_report(r: &lint::LintReport) -> Result<(), TestCaseError> {
    prop_assert_eq!(r.ok, r.problems.is_empty());
    for (i, p) in r.problems.iter().enumerate() {
        prop_assert!(p.path.is_empty() || p.path.starts_with('/'), "{:?}", p.path);
        prop_assert!(!p.message.is_empty());
        prop_assert!(!r.problems[..i]
            .iter()
            .any(|o| o.path == p.path && o.kind == p.kind));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(LINT_CASES))]

    /// Any JSON body, for every family: a report that keeps its promises, the same report
    /// from the text as from the value, never a panic.
    #[test]
    fn lint_any_body(
        body in json_values(body_keys(&lint_families())),
        which in any::<proptest::sample::Index>(),
    ) {
        let families = lint_families();
        let (id, model, op, _) = &families[which.index(families.len())];
        let family = lint::family_for(model, *op).map_err(|e| TestCaseError::fail(e.0))?;
        prop_assert_eq!(&family.id, id);
        let r = lint::lint_value(&body, model, family);
        check_report(&r)?;
        let again = lint::lint_text(&body.to_string(), "x", model, *op).map_err(|e| TestCaseError::fail(e.0))?;
        prop_assert_eq!(again, r);
    }

    /// A clean body with one value replaced by anything: the report keeps its promises, and
    /// an unknown top-level field is named at its path.
    #[test]
    fn lint_mutated_clean_bodies(
        which in any::<proptest::sample::Index>(),
        path in proptest::collection::vec(any::<usize>(), 0..5),
        new in json_values(vec!["text", "role", "content", "type"]),
        field in "zz[a-z]{1,8}",
    ) {
        let families = lint_families();
        let (_, model, op, clean) = &families[which.index(families.len())];
        let family = lint::family_for(model, *op).map_err(|e| TestCaseError::fail(e.0))?;
        check_report(&lint::lint_value(&mutate(clean, &path, new), model, family))?;
        let mut extra = clean.clone();
        extra[&field] = json!(1);
        let r = lint::lint_value(&extra, model, family);
        let at = format!("/{field}");
        prop_assert!(r.problems.iter().any(|p| p.path == at && p.kind == "unknown-field"), "{:?}", r.problems);
    }

    /// Text that is not JSON: one line naming the input with a line and column.
    #[test]
    fn lint_text_that_is_not_json(
        text in prop_oneof![any::<String>(), "[\\[{\"a-z:,0-9 \\n]{0,30}"],
    ) {
        prop_assume!(serde_json::from_str::<Value>(&text).is_err());
        let e = lint::lint_text(&text, "`b.json`", "meta.llama3-8b-instruct-v1:0", LintOperation::Invoke)
            .unwrap_err();
        prop_assert!(e.0.starts_with("`b.json` is not valid JSON (line "), "{}", e);
        prop_assert!(!e.0.contains('\n'));
    }
}
