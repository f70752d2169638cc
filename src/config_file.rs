//! `bedrock-doctor.toml` (or `--config FILE`): the settings a CI job keeps in its repository,
//! and the mute list. Flags given on the command line win over the file.

use crate::report::{FailOn, Mute, Report, Status};
use serde::Deserialize;

pub const DEFAULT_NAME: &str = "bedrock-doctor.toml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    pub region: Option<String>,
    pub profile: Option<String>,
    #[serde(default)]
    pub models: Vec<String>,
    pub principal: Option<String>,
    pub guardrail: Option<String>,
    pub knowledge_base: Option<String>,
    pub lambda: Option<String>,
    #[serde(default)]
    pub only: Vec<String>,
    #[serde(default)]
    pub skip: Vec<String>,
    pub fail_on: Option<FailOn>,
    pub timeout: Option<String>,
    pub check_timeout: Option<String>,
    pub window: Option<String>,
    pub no_invoke: Option<bool>,
    pub stream: Option<bool>,
    pub concurrency: Option<u16>,
    #[serde(default, rename = "mute")]
    pub mutes: Vec<Mute>,
}

/// The run's settings: what the command line left at its default, filled from the file
/// (`given` says which flags the command line set: they win). One place per key, so a setting
/// is its flag in cli.rs, its key and line here, and the check that reads it.
pub fn apply(
    file: ConfigFile,
    mut args: crate::cli::DoctorArgs,
    path: &std::path::Path,
    given: impl Fn(&str) -> bool,
) -> Result<crate::cli::DoctorArgs, String> {
    let duration = |key: &str, v: &Option<String>| -> Result<Option<std::time::Duration>, String> {
        // The window has its own bounds (1m..15d), as on the command line.
        let parse = if key == "window" {
            crate::cli::parse_window
        } else {
            crate::cli::parse_duration
        };
        v.as_deref()
            .map(|d| parse(d).map_err(|e| format!("config `{}`: {key}: {e}", path.display())))
            .transpose()
    };
    // With --app, the application's own settings name its region, profile and models.
    let app = args.app.is_some();
    if !app && !given("region") && file.region.is_some() {
        args.region = file.region.clone();
    }
    if !app && !given("profile") && file.profile.is_some() {
        args.profile = file.profile.clone();
    }
    if !app && !given("models") && !file.models.is_empty() {
        args.models = file.models.clone();
    }
    if !given("principal") && file.principal.is_some() {
        args.principal = file.principal.clone();
    }
    if let (false, Some(g)) = (given("guardrail"), &file.guardrail) {
        let g = crate::cli::parse_guardrail(g)
            .map_err(|e| format!("config `{}`: guardrail: {e}", path.display()))?;
        args.guardrail = Some(g);
    }
    if let (false, Some(kb)) = (given("knowledge_base"), &file.knowledge_base) {
        let kb = crate::cli::parse_knowledge_base(kb)
            .map_err(|e| format!("config `{}`: knowledge-base: {e}", path.display()))?;
        args.knowledge_base = Some(kb);
    }
    if let (false, Some(f)) = (given("lambda"), &file.lambda) {
        let f = crate::cli::parse_lambda(f)
            .map_err(|e| format!("config `{}`: lambda: {e}", path.display()))?;
        args.lambda = Some(f);
    }
    if !given("only") && !file.only.is_empty() {
        args.only = file.only.clone();
    }
    if !given("skip") && !file.skip.is_empty() {
        args.skip = file.skip.clone();
    }
    if !given("fail_on") {
        if let Some(f) = file.fail_on {
            args.fail_on = f;
        }
    }
    if !given("timeout") {
        if let Some(d) = duration("timeout", &file.timeout)? {
            args.timeout = d;
        }
    }
    if !given("check_timeout") {
        if let Some(d) = duration("check-timeout", &file.check_timeout)? {
            args.check_timeout = d;
        }
    }
    if !given("window") {
        if let Some(d) = duration("window", &file.window)? {
            args.window = d;
        }
    }
    if !given("stream") && file.stream == Some(true) {
        args.stream = true;
    }
    if !given("no_invoke") && file.no_invoke == Some(true) {
        args.no_invoke = true;
    }
    if !given("concurrency") {
        if let Some(c) = file.concurrency {
            args.concurrency = c.max(1);
        }
    }
    args.mutes = file.mutes;
    Ok(args)
}

/// Read and validate the file; errors are one line naming the file, the key and the line.
pub fn load(path: &std::path::Path) -> Result<ConfigFile, String> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read config `{shown}`: {e}"))?;
    parse(&text, &shown.to_string())
}

/// The file's text, read and validated; `shown` is how errors name the file.
fn parse(text: &str, shown: &str) -> Result<ConfigFile, String> {
    let file: ConfigFile = toml::from_str(text).map_err(|e| {
        let msg = e.message().to_string();
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        match line {
            Some(l) => format!("config `{shown}` line {l}: {msg}"),
            None => format!("config `{shown}`: {msg}"),
        }
    })?;
    // The same rules as the flags: a value the command line refuses is refused here too.
    if let Some(p) = &file.profile {
        crate::cli::parse_profile(p).map_err(|e| format!("config `{shown}`: profile: {e}"))?;
    }
    if let Some(p) = &file.principal {
        crate::cli::parse_principal(p).map_err(|e| format!("config `{shown}`: principal: {e}"))?;
    }
    if let Some(c) = file.concurrency {
        if !(1..=256).contains(&c) {
            return Err(format!(
                "config `{shown}`: concurrency: {c} is not in 1..=256"
            ));
        }
    }
    for (i, m) in file.mutes.iter().enumerate() {
        let n = i + 1;
        if m.check.is_none() && m.cause.is_none() {
            return Err(format!(
                "config `{shown}`: mute #{n} names neither a check nor a cause"
            ));
        }
        if m.reason.trim().is_empty() {
            return Err(format!("config `{shown}`: mute #{n} needs a reason"));
        }
        if let Some(c) = &m.check {
            if crate::checks::find(c).is_none() {
                return Err(format!(
                    "config `{shown}`: mute #{n} names unknown check `{c}`"
                ));
            }
        }
        if let Some(d) = &m.until {
            humantime::parse_rfc3339(&format!("{d}T00:00:00Z")).map_err(|_| {
                format!("config `{shown}`: mute #{n} has `until = \"{d}\"`, expected YYYY-MM-DD")
            })?;
        }
    }
    Ok(file)
}

/// Mark muted findings, recompute statuses from what is left, and report expired mutes.
pub fn apply_mutes(report: &mut Report, mutes: &[Mute], today: &str) {
    let (active, expired): (Vec<&Mute>, Vec<&Mute>) = mutes
        .iter()
        .partition(|m| m.until.as_deref().is_none_or(|u| u >= today));
    for m in expired {
        let what = [
            m.check.as_deref(),
            m.cause.map(|c| c.code()),
            m.model.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        report.notices.push(format!(
            "the mute of `{what}` expired on {} (\"{}\") and no longer applies: fix the cause or renew the mute",
            m.until.as_deref().unwrap_or(""),
            m.reason
        ));
    }
    for c in &mut report.checks {
        for f in &mut c.findings {
            let hit = active.iter().find(|m| {
                m.check.as_ref().is_none_or(|id| *id == c.id)
                    && m.cause.is_none_or(|x| x == f.cause)
                    && m.model.as_ref().is_none_or(|x| c.model.as_ref() == Some(x))
            });
            if let Some(m) = hit {
                f.muted = Some(m.reason.clone());
            }
        }
        if !c.findings.is_empty() && matches!(c.status, Status::Fail | Status::Warn) {
            c.status = c
                .findings
                .iter()
                .filter(|f| f.muted.is_none())
                .map(|f| f.status())
                .max()
                .unwrap_or(Status::Pass);
        }
    }
    report.recount();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bedrock-doctor.toml");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn unknown_keys_name_the_key_and_the_line() {
        let (_d, p) = write("region = \"us-east-1\"\nmodles = [\"x\"]\n");
        let err = load(&p).unwrap_err();
        assert!(err.contains("line 2") && err.contains("modles"), "{err}");
        assert_eq!(err.lines().count(), 1);
    }

    #[test]
    fn mutes_need_a_reason_and_a_target() {
        let (_d, p) = write("[[mute]]\ncause = \"model-legacy\"\nreason = \"\"\n");
        assert!(load(&p).unwrap_err().contains("reason"));
        let (_d, p) = write("[[mute]]\nreason = \"x\"\n");
        assert!(load(&p).unwrap_err().contains("neither"));
        let (_d, p) = write("[[mute]]\ncause = \"no-such-cause\"\nreason = \"x\"\n");
        assert!(load(&p).unwrap_err().contains("no-such-cause"));
        let (_d, p) =
            write("[[mute]]\ncause = \"model-legacy\"\nreason = \"x\"\nuntil = \"next week\"\n");
        assert!(load(&p).unwrap_err().contains("YYYY-MM-DD"));
    }

    #[test]
    fn a_full_file_loads() {
        let (_d, p) = write(
            "region = \"us-west-2\"\nmodels = [\"amazon.nova-lite-v1:0\"]\nfail-on = \"warn\"\nno-invoke = true\nskip = [\"throttling\"]\n\n[[mute]]\ncheck = \"model-catalog\"\ncause = \"model-legacy\"\nreason = \"moving in Q3\"\nuntil = \"2027-06-30\"\n",
        );
        let f = load(&p).unwrap();
        assert_eq!(f.fail_on, Some(FailOn::Warn));
        assert_eq!(f.mutes[0].cause, Some(crate::causes::Cause::ModelLegacy));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    /// Lines that look like the file: known and unknown keys, values of every TOML type,
    /// tables, and broken lines.
    fn toml_ish() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            proptest::sample::select(vec![
                "region",
                "profile",
                "models",
                "principal",
                "only",
                "skip",
                "fail-on",
                "timeout",
                "check-timeout",
                "window",
                "no-invoke",
                "concurrency",
                "modles",
            ])
            .prop_map(str::to_string),
            "[a-z-]{1,8}",
        ];
        let value = prop_oneof![
            "\"[^\"\\\\]{0,12}\"",
            "[0-9-]{1,6}",
            Just("true".to_string()),
            "\\[(\"[a-z.:0-9-]{0,8}\", ?){0,3}\\]",
            "(?s).{0,12}",
        ];
        let line = prop_oneof![
            (key, value).prop_map(|(k, v)| format!("{k} = {v}")),
            Just("[[mute]]".to_string()),
            Just("reason = \"x\"\ncause = \"model-legacy\"".to_string()),
            "(?s).{0,20}",
        ];
        proptest::collection::vec(line, 0..6).prop_map(|v| v.join("\n"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever the file says: settings, or an error naming the file; never a panic.
        #[test]
        fn any_text_loads_or_names_the_file(text in prop_oneof![toml_ish(), any::<String>()]) {
            if let Err(e) = parse(&text, "x.toml") {
                prop_assert!(e.starts_with("config `x.toml`"), "{}", e);
            }
        }

        /// Settings written to the file come back as written.
        #[test]
        fn settings_round_trip(
            region in "[a-z]{2}-[a-z]{4,9}-[1-9]",
            profile in "[A-Za-z0-9_.+@/-]{1,20}",
            models in proptest::collection::vec("[a-z]{2,8}\\.[a-z0-9-]{1,12}(:[0-9])?", 0..3),
            account in "[0-9]{12}",
            fail_on in proptest::sample::select(vec![("fail", FailOn::Fail), ("warn", FailOn::Warn), ("never", FailOn::Never)]),
            secs in 1u32..3600,
            concurrency in 1u16..=256,
            no_invoke in any::<bool>(),
        ) {
            let principal = format!("arn:aws:iam::{account}:role/app");
            let text = format!(
                "region = {region:?}\nprofile = {profile:?}\nmodels = {models:?}\nprincipal = {principal:?}\nfail-on = {:?}\ntimeout = \"{secs}s\"\nconcurrency = {concurrency}\nno-invoke = {no_invoke}\n",
                fail_on.0
            );
            let f = parse(&text, "x.toml").map_err(TestCaseError::fail)?;
            prop_assert_eq!(f.region, Some(region));
            prop_assert_eq!(f.profile, Some(profile));
            prop_assert_eq!(f.models, models);
            prop_assert_eq!(f.principal, Some(principal));
            prop_assert_eq!(f.fail_on, Some(fail_on.1));
            prop_assert_eq!(f.timeout, Some(format!("{secs}s")));
            prop_assert_eq!(f.concurrency, Some(concurrency));
            prop_assert_eq!(f.no_invoke, Some(no_invoke));
        }
    }
}
