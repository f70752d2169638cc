//! parse -> run -> render -> exit code; nothing else.

use bedrock_doctor::cli::{Cli, ColorChoice, Command, DoctorArgs, Output};
use bedrock_doctor::report::{exit, exit_code};
use bedrock_doctor::{doctor, render, secrets};
use clap::Parser;
use std::io::{IsTerminal, Write};

fn main() {
    // A check's panic is reported as that check's `error`; keep the backtrace out of the output.
    std::panic::set_hook(Box::new(|info| tracing::debug!("panic: {info}")));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => usage_error(e),
    };
    let code = match cli.command {
        None => run_doctor(&cli.doctor),
        Some(Command::Explain(args)) => {
            set_color(args.color);
            bedrock_doctor::explain::run(&args)
        }
        Some(Command::Lint(args)) => {
            set_color(args.color);
            bedrock_doctor::lint::run(&args)
        }
    };
    std::process::exit(code);
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
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut line = lines
        .next()
        .unwrap_or("invalid usage")
        .trim_start_matches("error: ")
        .to_string();
    // "the following required arguments were not provided:" names them on the next line.
    if line.ends_with(':') {
        if let Some(next) = lines.next() {
            line = format!("{line} {next}");
        }
    }
    eprintln!("bedrock-doctor: {line} (see --help)");
    std::process::exit(exit::USAGE);
}

fn init_logging(verbose: u8) {
    let filter = match verbose {
        0 | 1 => "warn",
        2 => "warn,bedrock_doctor=debug",
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

fn run_doctor(args: &DoctorArgs) -> i32 {
    set_color(args.color);
    init_logging(args.verbose);
    let report = runtime().block_on(async {
        let on_finish = |r: &bedrock_doctor::report::CheckResult| {
            tracing::debug!(check = %r.id, status = r.status.as_str(), ms = r.duration_ms, "check finished");
        };
        doctor::run(args, &on_finish).await
    });
    let report = match report {
        Ok(r) => r,
        Err(doctor::UsageError(msg)) => {
            eprintln!("bedrock-doctor: {msg}");
            return exit::USAGE;
        }
    };
    let text = match args.output {
        Output::Json => render::json::render(&report),
        Output::Table => {
            let width = std::io::stdout()
                .is_terminal()
                .then(terminal_width)
                .flatten()
                .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok());
            let style = render::table::Style {
                width,
                verbose: args.verbose > 0,
                quiet: args.quiet > 0,
            };
            render::table::render(&report, &style)
        }
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(secrets::scrub(&text).as_bytes());
    let _ = stdout.flush();
    exit_code(&report, args.fail_on)
}

fn terminal_width() -> Option<u16> {
    comfy_table::Table::new().width()
}
