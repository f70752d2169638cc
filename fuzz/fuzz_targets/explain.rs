//! `explain` on any bytes, as the command does it: lenient decoding, classification, and both
//! renderings. Checks its promise as well as the absence of panics: an answer or an honest
//! unknown, never both and never neither.
#![no_main]

use bedrock_doctor::{explain, input, knowledge};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = input::decode_lenient(data.to_vec(), "stdin") else {
        return;
    };
    let c = knowledge::classify(&text);
    assert_eq!(c.causes.is_empty(), c.unknown.is_some());
    let answer = explain::to_json(&c);
    assert!(!answer.causes.is_empty());
    serde_json::to_string(&answer).expect("the answer serializes");
    explain::render_text(&c, 100);
});
