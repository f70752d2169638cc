//! parse -> run -> render -> exit code; nothing else.

use bedrock_doctor::aws::Environment;
use bedrock_doctor::cli::{
    Cli, ColorChoice, Command, DemoArgs, DoctorArgs, ReportFormat, ServeArgs, SimCommand,
};
use bedrock_doctor::report::{exit, exit_code};
use bedrock_doctor::sim::{self, scenario::Scenario};
use bedrock_doctor::{doctor, render, secrets, sink};
use clap::{CommandFactory, FromArgMatches};
use std::io::IsTerminal;

fn main() {
    // An endpoint variable set to nothing (`AWS_ENDPOINT_URL=` in a CI file) means no
    // override; the SDK would take it as a URL and fail an assertion on every call. Done
    // first, before any thread exists to read the environment.
    let empty: Vec<std::ffi::OsString> = std::env::vars_os()
        .filter(|(k, v)| k.to_string_lossy().starts_with("AWS_ENDPOINT_URL") && v.is_empty())
        .map(|(k, _)| k)
        .collect();
    for k in empty {
        std::env::remove_var(k);
    }
    // A check's panic is reported as that check's `error`; keep the backtrace out of the
    // output. Any other panic is a bug the person should see in one line, not a bare exit.
    std::panic::set_hook(Box::new(|info| {
        if bedrock_doctor::calls::in_a_job() {
            tracing::debug!("panic: {info}");
        } else {
            eprintln!(
                "bedrock-doctor: internal error, a bug in bedrock-doctor (please report it): {}",
                secrets::scrub(&info.to_string()).replace('\n', " ")
            );
        }
    }));
    let matches = Cli::command()
        .try_get_matches()
        .unwrap_or_else(|e| usage_error(e));
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| usage_error(e));
    let code = match cli.command.take() {
        None => match with_config_file(cli.doctor, &matches) {
            Ok(args) => run_doctor(&args, None),
            Err(e) => fail_usage(&e),
        },
        Some(Command::Demo(args)) => {
            let sub = matches.subcommand_matches("demo").unwrap_or(&matches);
            let mut args = *args;
            // A demo follows its scenario: only an explicit --config applies.
            let explicit = args.doctor.config.is_some();
            let merged = if explicit {
                with_config_file(args.doctor, sub)
            } else {
                Ok(args.doctor)
            };
            match merged {
                Ok(d) => {
                    args.doctor = d;
                    run_demo(args)
                }
                Err(e) => fail_usage(&e),
            }
        }
        Some(Command::List) => {
            sink::print(&bedrock_doctor::checks::listing());
            exit::HEALTHY
        }
        Some(Command::Policy(p)) => match bedrock_doctor::checks::select(&p.only, &p.skip) {
            Ok(selected) => {
                let policy = bedrock_doctor::checks::doctor_policy(&selected);
                sink::print(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&policy).unwrap_or_default()
                ));
                exit::HEALTHY
            }
            Err(e) => fail_usage(&e),
        },
        // Rendered in memory and written like every other output, so a closed pipe
        // (`| head`) ends the command quietly instead of panicking in the generator.
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "bedrock-doctor", &mut script);
            sink::print(&String::from_utf8_lossy(&script));
            exit::HEALTHY
        }
        Some(Command::Man) => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => {
                    sink::print(&String::from_utf8_lossy(&page));
                    exit::HEALTHY
                }
                Err(e) => fail_usage(&format!("cannot render the man page: {e}")),
            }
        }
        Some(Command::Sim(SimCommand::Serve(args))) => run_sim(&args),
        Some(Command::Explain(args)) => {
            set_color(args.color);
            bedrock_doctor::explain::run(&args)
        }
        Some(Command::Lint(args)) => {
            set_color(args.color);
            bedrock_doctor::lint::run(&args)
        }
        Some(Command::Catalog(command)) => bedrock_doctor::catalog_refresh::run(&command),
        Some(Command::Merge(args)) => run_merge(&args),
    };
    std::process::exit(code);
}

/// `merge`: read every report (a bad file is a usage error naming it), join, render.
fn run_merge(args: &bedrock_doctor::cli::MergeArgs) -> i32 {
    set_color(args.color);
    let mut reports = Vec::new();
    for path in &args.reports {
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => return fail_usage(&format!("cannot read `{shown}`: {e}")),
        };
        match serde_json::from_str::<bedrock_doctor::report::Report>(&text) {
            Ok(r) => reports.push((shown, r)),
            Err(e) => {
                return fail_usage(&format!(
                    "`{shown}` is not a bedrock-doctor JSON report: {e}"
                ))
            }
        }
    }
    match bedrock_doctor::accounts::merge(reports) {
        Ok(report) => {
            let mut doctor = <Cli as clap::Parser>::parse_from(["bedrock-doctor"]).doctor;
            doctor.output = args.output;
            sink::print(&render_as(&report, args.output, &doctor));
            exit_code(&report, args.fail_on)
        }
        Err(e) => fail_usage(&e),
    }
}

/// A usage error is one line, even when the bad value it quotes has a line break in it.
fn fail_usage(msg: &str) -> i32 {
    let line = msg.replace('\n', "\\n").replace('\r', "\\r");
    eprintln!("bedrock-doctor: {line}");
    exit::USAGE
}

/// Fill what the command line left at its default from the config file, if there is one.
fn with_config_file(args: DoctorArgs, matches: &clap::ArgMatches) -> Result<DoctorArgs, String> {
    use clap::parser::ValueSource;
    let path = match &args.config {
        Some(p) => p.clone(),
        None => {
            let p = std::path::PathBuf::from(bedrock_doctor::config_file::DEFAULT_NAME);
            if !p.exists() {
                return Ok(args);
            }
            p
        }
    };
    let file = bedrock_doctor::config_file::load(&path)?;
    let given = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
    bedrock_doctor::config_file::apply(file, args, &path, given)
}

/// clap's help and version go out as they are; every other parse error is one line, exit 2.
fn usage_error(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        std::process::exit(0);
    }
    if e.kind() == ErrorKind::InvalidUtf8 {
        // clap cannot quote a value that is not UTF-8; name it with its bytes escaped.
        if let Some(bad) = std::env::args_os().skip(1).find(|a| a.to_str().is_none()) {
            eprintln!("bedrock-doctor: argument {bad:?} is not UTF-8 text (see --help)");
            std::process::exit(exit::USAGE);
        }
    }
    // The message is clap's first paragraph; its line breaks (the list after "the following
    // required arguments were not provided:", or a newline inside a bad value) become spaces,
    // so the error is one line.
    let text = e.render().to_string();
    let text = text.trim_start();
    let paragraph = text.split("\n\n").next().unwrap_or_default();
    let line = paragraph
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let line = line.trim_start_matches("error: ");
    let line = if line.is_empty() {
        "invalid usage"
    } else {
        line
    };
    eprintln!("bedrock-doctor: {line} (see --help)");
    std::process::exit(exit::USAGE);
}

fn init_logging(verbose: u8) {
    // aws_config's own warnings (a provider that failed, with the whole SDK error printed)
    // repeat what the credentials check reports in one line: shown from -vvv on.
    let filter = match verbose {
        0 => "warn,aws_config=error",
        // -v: retried calls and how they ended, and the run's critical path
        1 => "warn,aws_config=error,bedrock_doctor=info",
        2 => "warn,aws_config=error,bedrock_doctor=debug",
        _ => "info,bedrock_doctor=trace,aws_smithy_runtime=debug,aws_config=debug",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(|| secrets::ScrubbedStderr)
        .with_ansi(false)
        .with_target(true)
        .try_init();
}

fn set_color(choice: ColorChoice) {
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    colored::control::set_override(on);
}

fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bedrock-doctor: cannot start the async runtime: {e}");
            std::process::exit(exit::USAGE);
        }
    }
}

fn load_scenario(name: &str) -> Scenario {
    Scenario::load(name).unwrap_or_else(|e| {
        eprintln!("bedrock-doctor: {e}");
        std::process::exit(exit::USAGE)
    })
}

fn run_sim(args: &ServeArgs) -> i32 {
    init_logging(0);
    let scenario = load_scenario(&args.scenario);
    let options = sim::Options {
        port: args.port,
        latency: args.latency_ms.map(std::time::Duration::from_millis),
        log: args.log.clone(),
    };
    match runtime().block_on(sim::serve_forever(scenario, options)) {
        Ok(()) => exit::HEALTHY,
        Err(e) => {
            eprintln!(
                "bedrock-doctor: cannot serve on 127.0.0.1:{}: {e}",
                args.port
            );
            exit::USAGE
        }
    }
}

fn run_demo(mut args: DemoArgs) -> i32 {
    if args.list {
        sink::print(&bedrock_doctor::demo::list());
        return exit::HEALTHY;
    }
    let scenario = load_scenario(&args.scenario);
    let environment = bedrock_doctor::demo::client_environment(&scenario, &mut args.doctor);
    let unreachable = scenario.client.unreachable;
    let name = scenario.name.clone();
    let rt = runtime();
    let running = match rt.block_on(sim::start(scenario, sim::Options::default())) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bedrock-doctor: cannot start the simulator on loopback: {e}");
            return exit::USAGE;
        }
    };
    args.doctor.endpoint_url = Some(if unreachable {
        format!("http://127.0.0.1:{}", bedrock_doctor::demo::closed_port())
    } else {
        running.url()
    });
    run_doctor_in(&rt, &args.doctor, &environment, Some(name))
}

fn run_doctor(args: &DoctorArgs, simulation: Option<String>) -> i32 {
    run_doctor_in(&runtime(), args, &Environment::Process, simulation)
}

fn run_doctor_in(
    rt: &tokio::runtime::Runtime,
    args: &DoctorArgs,
    environment: &Environment,
    simulation: Option<String>,
) -> i32 {
    let args = &args.without_repeats();
    // A file that cannot be written is bad input: say so before a run of minutes, not after.
    if let Some(dir) = args.output_file.as_ref().and_then(|p| p.parent()) {
        if !dir.as_os_str().is_empty() && !dir.is_dir() {
            return fail_usage(&format!(
                "cannot write --output-file: `{}` is not a directory",
                dir.display()
            ));
        }
    }
    set_color(args.color);
    init_logging(args.verbose);
    if args.verbose > 0 {
        if let Some(note) =
            bedrock_doctor::knowledge::models::stale_note(&bedrock_doctor::models::today())
        {
            eprintln!("note: {note}");
        }
    }
    let report = if args.accounts.is_some() {
        let progress = AccountsBar::new(args.quiet == 0);
        let report = rt.block_on(bedrock_doctor::accounts::run(args, environment, &progress));
        progress.done();
        report
    } else {
        let progress = Bar::new(args.quiet == 0 && std::io::stderr().is_terminal());
        let report = rt.block_on(doctor::run(args, environment, &progress, None));
        progress.done();
        report
    };
    let report = match report {
        Ok(mut r) => {
            r.simulation = simulation;
            r
        }
        Err(doctor::UsageError(msg)) => return fail_usage(&msg),
    };
    let text = render_as(&report, args.output, args);
    if let Some(path) = &args.output_file {
        if let Err(e) = sink::write_file(path, &text) {
            eprintln!(
                "bedrock-doctor: cannot write --output-file `{}`: {e}",
                path.display()
            );
            return exit::USAGE;
        }
        // The file has the report; the person at the terminal still gets the table.
        if args.output != ReportFormat::Table {
            sink::print(&render_as(&report, ReportFormat::Table, args));
        }
    } else {
        sink::print(&text);
    }
    exit_code(&report, args.fail_on)
}

/// Progress of an `--accounts` run on stderr: accounts done of all, and how many have
/// failures so far; a bar on a terminal, otherwise a line at every tenth (CI logs).
struct AccountsBar {
    bar: Option<indicatif::ProgressBar>,
    show: bool,
    total: std::sync::atomic::AtomicUsize,
    done: std::sync::atomic::AtomicUsize,
    failing: std::sync::atomic::AtomicUsize,
}

impl AccountsBar {
    fn new(show: bool) -> AccountsBar {
        let bar = (show && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::hidden();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {pos}/{len} accounts {wide_msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar
        });
        AccountsBar {
            bar,
            show,
            total: Default::default(),
            done: Default::default(),
            failing: Default::default(),
        }
    }

    fn done(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl bedrock_doctor::accounts::AccountProgress for AccountsBar {
    fn start(&self, accounts: usize) {
        use std::sync::atomic::Ordering::Relaxed;
        let before = self.total.swap(accounts, Relaxed);
        if let Some(b) = &self.bar {
            b.set_length(accounts as u64);
            if before == 0 {
                b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                b.enable_steady_tick(std::time::Duration::from_millis(120));
            }
        }
    }

    fn finished(&self, account: &bedrock_doctor::report::AccountReport) {
        use bedrock_doctor::report::Status;
        use std::sync::atomic::Ordering::Relaxed;
        let failed = account
            .report
            .checks
            .iter()
            .any(|c| matches!(c.status, Status::Fail | Status::Error));
        let failing = self.failing.fetch_add(usize::from(failed), Relaxed) + usize::from(failed);
        let done = self.done.fetch_add(1, Relaxed) + 1;
        let total = self.total.load(Relaxed).max(done);
        if let Some(b) = &self.bar {
            b.inc(1);
            b.set_message(format!("{failing} with failures so far"));
        } else if self.show && (done * 10 / total != (done - 1) * 10 / total || done == total) {
            eprintln!(
                "bedrock-doctor: {done}/{total} accounts checked, {failing} with failures so far"
            );
        }
    }
}

/// A progress bar on stderr while checks run, only when stderr is a terminal.
struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    fn new(show: bool) -> Bar {
        Bar(show.then(|| {
            let bar = indicatif::ProgressBar::hidden();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} checks {wide_msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar
        }))
    }

    fn done(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

impl doctor::Progress for Bar {
    fn start(&self, checks: usize) {
        if let Some(b) = &self.0 {
            b.set_length(checks as u64);
            b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            b.enable_steady_tick(std::time::Duration::from_millis(120));
        }
    }

    fn finished(&self, r: &bedrock_doctor::report::CheckResult) {
        tracing::debug!(check = %r.id, status = r.status.as_str(), ms = r.duration_ms, "check finished");
        if let Some(b) = &self.0 {
            b.inc(1);
            b.set_message(format!("{} {}", r.id, r.model.as_deref().unwrap_or("")));
        }
    }
}

fn render_as(
    report: &bedrock_doctor::report::Report,
    format: ReportFormat,
    args: &DoctorArgs,
) -> String {
    match format {
        ReportFormat::Json => render::json::render(report),
        ReportFormat::Junit => render::junit::render(report),
        ReportFormat::Sarif => render::sarif::render(report),
        ReportFormat::Markdown => render::markdown::render(report),
        ReportFormat::Csv => render::csv::render(report),
        ReportFormat::Table => {
            let style = render::table::Style {
                width: sink::width(),
                verbose: args.verbose > 0,
                quiet: args.quiet > 0,
            };
            render::table::render(report, &style)
        }
    }
}
