//! The doctor's SCP matcher (src/policy.rs) against an independent IAM evaluator,
//! @cloud-copilot/iam-simulate (tests/peer/iam_simulate_peer.mjs), on generated policies and
//! requests: the same decision and the same decisive statements. The peer is installed by
//! .ci/run (npm) and named by IAM_SIMULATE_DIR; without it this test is ignored, never faked.
//!
//! The cases cover what the matcher claims to evaluate: Deny/Allow, Action/NotAction and
//! Resource/NotResource with wildcards and mixed case, the String* and Arn* operators with
//! IfExists on aws:RequestedRegion (including "unspecified"), aws:PrincipalArn and
//! bedrock:InferenceProfileArn, present or absent.

use bedrock_doctor::policy::{self, Request};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const CASES: usize = 400;
const SEED: u64 = 0x5eed_2026_1201;

/// xorshift64*: deterministic cases without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn some<'a>(&mut self, items: &[&'a str], most: u64) -> Vec<&'a str> {
        let n = 1 + self.next() % most;
        (0..n).map(|_| self.pick(items)).collect()
    }
}

const ACTIONS: [&str; 2] = [
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
];
const RESOURCES: [&str; 5] = [
    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6",
    "arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-lite-v1:0",
    "arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-6",
    "arn:aws:bedrock:us-east-1:111122223333:inference-profile/global.anthropic.claude-sonnet-4-6",
    "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.amazon.nova-lite-v1:0",
];
const REGIONS: [&str; 5] = [
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "unspecified",
];
const PRINCIPALS: [&str; 3] = [
    "arn:aws:iam::111122223333:role/app",
    "arn:aws:iam::111122223333:role/ml-team",
    "arn:aws:iam::111122223333:role/Admin",
];
const PROFILES: [&str; 2] = [
    "arn:aws:bedrock:us-east-1:111122223333:inference-profile/global.anthropic.claude-sonnet-4-6",
    "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.amazon.nova-lite-v1:0",
];
const ACTION_PATTERNS: [&str; 8] = [
    "*",
    "bedrock:*",
    "bedrock:Invoke*",
    "bedrock:InvokeModel",
    "BEDROCK:invokemodel*",
    "bedrock:InvokeModelWithResponseStream",
    "iam:*",
    "bedrock:?nvokeModel",
];
const RESOURCE_PATTERNS: [&str; 10] = [
    "*",
    "arn:aws:bedrock:*::foundation-model/*",
    "arn:aws:bedrock:us-*:*:*",
    "arn:aws:bedrock:*:*:inference-profile/*",
    "arn:aws:bedrock:*::foundation-model/ANTHROPIC.*",
    "arn:aws:bedrock:*::foundation-model/anthropic.*",
    "arn:aws:bedrock:us-east-1::*",
    "arn:aws:bedrock:*:*:inference-profile/global.*",
    "arn:aws:bedrock:us-east-1:111122223333:*",
    "arn:aws:bedrock:*",
];
const STRING_OPS: [&str; 6] = [
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
];
const ARN_OPS: [&str; 4] = ["ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"];
const REGION_VALUES: [&str; 7] = [
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "unspecified",
    "US-EAST-1",
    "us-*",
    "eu-*",
];
const PRINCIPAL_PATTERNS: [&str; 4] = [
    "arn:aws:iam::*:role/ml-*",
    "arn:aws:iam::111122223333:role/Admin",
    "arn:aws:iam::*:role/*",
    "arn:aws:iam::*:ROLE/*",
];
const PROFILE_PATTERNS: [&str; 3] = [
    "arn:aws:bedrock:*:*:inference-profile/global.*",
    "arn:aws:bedrock:*:111122223333:inference-profile/*",
    "arn:aws:bedrock:us-*:*:inference-profile/us.*",
];

fn statement(rng: &mut Rng, position: usize) -> Value {
    let mut s = json!({ "Effect": if rng.chance(85) { "Deny" } else { "Allow" } });
    if rng.chance(60) {
        s["Sid"] = json!(format!("S{position}x{}", rng.next() % 100));
    }
    let (a, na) = ("Action", "NotAction");
    s[if rng.chance(75) { a } else { na }] = json!(rng.some(&ACTION_PATTERNS, 3));
    let (r, nr) = ("Resource", "NotResource");
    s[if rng.chance(80) { r } else { nr }] = json!(rng.some(&RESOURCE_PATTERNS, 2));
    let conditions = rng.next() % 3;
    let mut block = serde_json::Map::new();
    for _ in 0..conditions {
        let suffix = if rng.chance(25) { "IfExists" } else { "" };
        let (op, key, values) = match rng.next() % 3 {
            0 => (
                rng.pick(&STRING_OPS),
                "aws:RequestedRegion",
                rng.some(&REGION_VALUES, 3),
            ),
            1 => (
                rng.pick(&ARN_OPS),
                "aws:PrincipalArn",
                rng.some(&PRINCIPAL_PATTERNS, 2),
            ),
            _ => {
                let op = if rng.chance(50) {
                    rng.pick(&ARN_OPS)
                } else {
                    rng.pick(&STRING_OPS)
                };
                (
                    op,
                    "bedrock:InferenceProfileArn",
                    rng.some(&PROFILE_PATTERNS, 2),
                )
            }
        };
        let entry = block
            .entry(format!("{op}{suffix}"))
            .or_insert_with(|| json!({}));
        entry[key] = json!(values);
    }
    if !block.is_empty() {
        s["Condition"] = Value::Object(block);
    }
    s
}

#[test]
#[ignore = "needs node and @cloud-copilot/iam-simulate: .ci/run installs them and sets IAM_SIMULATE_DIR"]
fn the_scp_matcher_agrees_with_an_independent_evaluator() {
    let dir = std::env::var("IAM_SIMULATE_DIR")
        .expect("IAM_SIMULATE_DIR names the folder where @cloud-copilot/iam-simulate is installed");
    let mut rng = Rng(SEED);
    let mut cases = Vec::new();
    for id in 0..CASES {
        let n = 1 + (rng.next() % 3) as usize;
        let statements: Vec<Value> = (0..n).map(|i| statement(&mut rng, i + 1)).collect();
        let scp = json!({ "Version": "2012-10-17", "Statement": statements }).to_string();
        let resource = rng.pick(&RESOURCES);
        let mut context = json!({
            "aws:RequestedRegion": rng.pick(&REGIONS),
            "aws:PrincipalArn": rng.pick(&PRINCIPALS),
        });
        if rng.chance(50) {
            context["bedrock:InferenceProfileArn"] = json!(rng.pick(&PROFILES));
        }
        cases.push(json!({
            "id": id,
            "principal": context["aws:PrincipalArn"],
            "action": rng.pick(&ACTIONS),
            "resource": resource,
            "context": context,
            "scp": scp,
        }));
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), serde_json::to_string(&cases).unwrap()).unwrap();
    let peer = std::process::Command::new("node")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/peer/iam_simulate_peer.mjs"
        ))
        .arg(file.path())
        .env("IAM_SIMULATE_DIR", &dir)
        .output()
        .expect("node runs");
    assert!(
        peer.status.success(),
        "{}",
        String::from_utf8_lossy(&peer.stderr)
    );
    let answers: Vec<Value> = serde_json::from_slice(&peer.stdout).unwrap();
    assert_eq!(answers.len(), cases.len());

    let (mut denied, mut disagreements) = (0, Vec::new());
    for (case, peer) in cases.iter().zip(&answers) {
        let ctx = case["context"].as_object().unwrap();
        let request = Request {
            action: case["action"].as_str().unwrap(),
            resource: case["resource"].as_str().unwrap(),
            context: ctx
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
                .collect(),
        };
        let ours: BTreeSet<String> = policy::denials(case["scp"].as_str().unwrap(), &request)
            .iter()
            .map(|d| d.statement.trim_start_matches("statement ").to_string())
            .collect();
        let theirs: BTreeSet<String> = peer["statements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        denied += usize::from(peer["denied"].as_bool().unwrap());
        if ours != theirs || peer["denied"].as_bool().unwrap() == ours.is_empty() {
            disagreements.push(format!(
                "case {}: doctor {ours:?}, peer {theirs:?}\n  {} on {} with {}\n  {}",
                case["id"], case["action"], case["resource"], case["context"], case["scp"]
            ));
        }
    }
    println!(
        "{} cases, {denied} denied by the peer, {} disagreements",
        cases.len(),
        disagreements.len()
    );
    // Both sides must have had something to decide.
    assert!(
        denied > CASES / 10 && denied < CASES * 9 / 10,
        "{denied} of {CASES} denied"
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
