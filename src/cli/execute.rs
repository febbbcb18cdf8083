//! Runs a parsed command line. The only place that prints: the summary and the sandbox notes.

use std::io::IsTerminal;

use futures::FutureExt;
use tracing_subscriber::EnvFilter;

use super::args::{Cli, Command, FileArgs, InitArgs, LogFormat, SandboxArgs};
use super::flags::{self, FlagError};
use super::run_config::{resolve, RunCommand};
use crate::pipeline::prepass::Want;
use crate::pipeline::{self, ExitCode, RunConfig, RunError};
use crate::report::{
    EventSink, LogSink, ProgressSink, RejectsWriter, ReportFormat, ReportWriter, Summary,
};
use crate::sandbox;

/// Why the command could not run at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Flags(#[from] FlagError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("cannot create the report {0}: {1}")]
    Report(String, std::io::Error),
    #[error("cannot write the summary {0}: {1}")]
    Summary(String, std::io::Error),
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    #[error(transparent)]
    Mapping(#[from] crate::mapping::MappingError),
    #[error("{0} exists; pass --force to replace it, or --output another path")]
    OutputExists(String),
    #[error("cannot write {0}: {1}")]
    Output(String, std::io::Error),
    #[error("sandbox: {0}")]
    Sandbox(std::io::Error),
    #[error(transparent)]
    ReportInput(#[from] crate::report::html::ReportInputError),
    #[error("cannot read the summary {0}: {1}")]
    ReadSummary(String, String),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error(transparent)]
    Undo(#[from] crate::undo::UndoError),
    #[error("no state store at {0}: no run has been recorded there (pass --state, or set GHL_IMPORT_STATE, to name another)")]
    NoStore(String),
    #[error("the state store has no run {0}; `ghl-import runs` lists the runs it has")]
    NoRun(i64),
}

/// Runs the command and returns the process exit code.
pub fn main(cli: Cli) -> Result<i32, CliError> {
    init_logging(&cli);
    let mut builder = runtime_for(&cli.command);
    let runtime = builder
        .enable_all()
        .thread_name("ghl-import")
        .build()
        .map_err(CliError::Runtime)?;
    runtime.block_on(async {
        match &cli.command {
            Command::Import(a) => resolve(RunCommand::Import(a))?.execute(cli.quiet).await,
            Command::Validate(v) => resolve(RunCommand::Validate(v))?.execute(cli.quiet).await,
            Command::Plan(a) => resolve(RunCommand::Plan(a))?.execute(cli.quiet).await,
            Command::Sandbox(s) => serve_sandbox(s).await,
            Command::Init(a) => init(a, cli.quiet).await,
            Command::Locations(a) => super::locations::list(a).await,
            Command::Report(a) => super::report_command::report(a, cli.quiet),
            Command::Completions(a) => super::install::completions(a),
            Command::Man(a) => super::install::man(a, cli.quiet),
            Command::Runs(a) => super::runs_command::runs_command(a),
            Command::Undo(a) => super::undo_command::undo_command(a, cli.quiet).await,
        }
    })
}

/// An import is paced by the network: one thread runs its tasks (the rows are prepared on
/// threads of their own), so an answer wakes no second thread and nothing is handed between
/// workers. With 1,000 locations that cut the importer's CPU per request by a sixth and kept
/// sends on time on a loaded machine. A dry run (and `plan`, `validate`) wants every core,
/// and `--sandbox` serves in the same process: both keep the multi-thread runtime.
fn runtime_for(command: &Command) -> tokio::runtime::Builder {
    match command {
        Command::Import(a) if !a.dry_run && !a.sandbox => {
            tokio::runtime::Builder::new_current_thread()
        }
        _ => tokio::runtime::Builder::new_multi_thread(),
    }
}

/// `--log-format json`: each row outcome is logged (at `-v`), not only the rows not imported.
static JSON_LOGS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn init_logging(cli: &Cli) {
    JSON_LOGS.store(
        cli.log_format == LogFormat::Json,
        std::sync::atomic::Ordering::Relaxed,
    );
    let level = if cli.quiet {
        "error"
    } else {
        match cli.verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    let filter = EnvFilter::try_from_env("GHL_IMPORT_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("ghl_import={level},warn")));
    let builder = tracing_subscriber::fmt()
        .with_writer(super::terminal::Stderr)
        .with_env_filter(filter);
    let _ = match cli.log_format {
        // One flat object a line, fields at the top (what log shippers expect).
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
        // Timestamps only when asked for detail: a default run shows plain warnings.
        LogFormat::Text if cli.verbose == 0 => builder
            .with_target(false)
            .without_time()
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Text => builder
            .with_target(false)
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}

/// Runs a config with the report (and rejects) files and the progress bar, then writes the
/// summary.
pub(super) async fn run_and_report(
    mut cfg: RunConfig,
    files: &FileArgs,
    quiet: bool,
) -> Result<i32, CliError> {
    let json_logs = JSON_LOGS.load(std::sync::atomic::Ordering::Relaxed);
    let report = flags::report_path(files);
    let summary_json = files.summary_json.as_deref();
    // A file that cannot be written stops the run before any reading; the report of the
    // last run stays as it was until this one has read its input (a nightly drop that turns
    // out empty or binary must not wipe last night's report).
    for p in std::iter::once(&report).chain(files.rejects.as_ref()) {
        crate::report::check_writable(p)
            .map_err(|e| CliError::Report(p.display().to_string(), e))?;
    }
    let visible = !quiet && std::io::stderr().is_terminal();
    let importing = cfg.api.is_some() && cfg.mode.sends();
    // The one read before the run: rows, fingerprint, date orders and, for an import, what
    // each location's rows will send.
    let want = Want {
        count: visible || importing,
        fingerprint: importing && cfg.state.is_some(),
        tally: importing,
    };
    // The store opens meanwhile (the run takes it, or it is closed and, if new, removed).
    if let Some(path) = cfg.state.as_ref().and_then(|s| s.path.as_ref()) {
        if importing {
            cfg.store_opening =
                crate::pipeline::store_opening::StoreOpening::start(path).map(std::sync::Arc::new);
        }
    }
    let mut facts = crate::pipeline::prepass::prepass(&cfg, want)?;
    if importing {
        crate::pipeline::prepass::leave_out_resumed(&cfg, &mut facts)?;
    }
    let total = facts.rows;
    cfg.expected_rows = total;
    if let (Some(rows), Some(api), true) = (total, cfg.api.as_mut(), importing) {
        let e = facts.estimate(cfg.tag_batch_size, api.rate);
        cfg.bulk_plan = std::sync::Arc::new(facts.bulk_plan(cfg.tag_batch_size));
        api.estimated_calls = Some(e.requests);
        let calls = e.requests;
        if json_logs {
            tracing::info!(rows, requests = calls, upserts = e.upserts, tag_calls = e.tag_calls, business_calls = e.business_calls, custom_field_reads = e.custom_field_reads, unchanged_rows = facts.unchanged, approximate = e.approximate, seconds = e.seconds_at_quota.round() as u64, rate = %api.rate, "estimate");
        } else if !quiet {
            let mut parts = e.parts();
            if facts.unchanged > 0 {
                parts.push_str(&format!(
                    "; {} rows unchanged since last sent are left out (--changed-only)",
                    facts.unchanged
                ));
            }
            eprintln!(
                "estimate: about {rows} rows, about {calls} requests ({parts}), from the file's tag sets, businesses and locations; at {} that takes about {}{}",
                api.rate,
                crate::plan::human_duration(e.seconds_at_quota),
                match &e.busiest_location {
                    Some(l) if facts.tallies.len() > 1 => format!(
                        " (locations run side by side; the busiest, {l}, has {} requests)",
                        e.busiest_requests
                    ),
                    _ => String::new(),
                }
            );
        }
    }
    cfg.prepass = Some(std::sync::Arc::new(facts));
    let writer = ReportWriter::create(&report, ReportFormat::from_path(&report))
        .map_err(|e| CliError::Report(report.display().to_string(), e))?;
    let rejects = match &files.rejects {
        Some(p) => {
            if !quiet && crate::input::is_workbook(&cfg.input, &cfg.input_options) {
                eprintln!(
                    "rejects: the workbook's invalid rows go to {} as CSV",
                    p.display()
                );
            }
            Some(
                RejectsWriter::for_input(p, &cfg.input, &cfg.input_options)
                    .map_err(|e| CliError::Report(p.display().to_string(), e))?,
            )
        }
        None => None,
    };
    let progress = ProgressSink::new(total, visible).with_stats(cfg.stats.clone());
    super::terminal::attach(progress.bar());
    let mut sinks: Vec<Box<dyn EventSink>> = vec![
        Box::new(writer),
        Box::new(progress),
        Box::new(LogSink {
            every_row: json_logs,
        }),
    ];
    if let Some(r) = rejects {
        sinks.push(Box::new(r));
    }
    if let Some(p) = &files.html {
        let html = crate::report::html::HtmlReport::create(p)
            .map_err(|e| CliError::Report(p.display().to_string(), e))?;
        sinks.push(Box::new(html));
    }
    let summary = pipeline::run(cfg, sinks, shutdown_signal().boxed()).await;
    super::terminal::detach();
    let summary: Summary = summary?;
    if let Some(path) = summary_json {
        let json = serde_json::to_vec_pretty(&summary)
            .map_err(|e| CliError::Summary(path.display().to_string(), e.into()))?;
        std::fs::write(path, json).map_err(|e| CliError::Summary(path.display().to_string(), e))?;
    }
    match (quiet, json_logs) {
        (true, _) => {}
        // Stderr stays one JSON object a line.
        (false, true) => eprintln!("{}", summary.to_log_line()),
        (false, false) => eprint!("{}", summary.render()),
    }
    Ok(summary.exit_code)
}

/// Rows `init` looks at: enough to see date orders and separators, quick on any file.
const INIT_SAMPLE_ROWS: usize = 200;

async fn init(a: &InitArgs, quiet: bool) -> Result<i32, CliError> {
    use crate::mapping::{init, PresetChoice};
    use std::io::Write;
    let opts = flags::input_options(&a.read)?;
    let to_stdout = a.output.as_os_str() == "-";
    if !to_stdout && !a.force && a.output.exists() {
        return Err(CliError::OutputExists(a.output.display().to_string()));
    }
    let reader = crate::input::Reader::open(&a.file, &opts)?;
    let choice = a.preset.clone().unwrap_or(PresetChoice::Auto);
    // A mapping written for a file the import would refuse maps its first contact as the
    // column names: the import's own advice instead.
    let mut cfg = RunConfig::new(a.file.clone());
    cfg.input_options = opts.clone();
    cfg.mapping = Some(crate::mapping::MappingSpec::from_preset(choice.clone()));
    let mapper = crate::mapping::Mapper::for_input(cfg.mapping.as_ref(), &reader)?;
    if let Some(e) = pipeline::misread_header(&cfg, &mapper, &reader) {
        return Err(e.into());
    }
    let headers = reader.headers().map(<[String]>::to_vec);
    let mut sample = init::Sample::read(headers.as_deref(), reader, INIT_SAMPLE_ROWS);
    sample.skip_lines = opts.skip_lines;
    let fields = init_location_fields(a).await?;
    let text = init::generate(&sample, &choice, &a.file.display().to_string(), &fields)?;
    let shown = a.output.display().to_string();
    if to_stdout {
        std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(|e| CliError::Output("standard output".into(), e))?;
    } else {
        std::fs::write(&a.output, &text).map_err(|e| CliError::Output(shown.clone(), e))?;
        if !quiet {
            eprintln!(
                "init: wrote {shown} ({} columns, {} rows sampled); check it, then: ghl-import validate {}{} --mapping {shown}",
                sample.headers.len(),
                sample.rows.len(),
                a.file.display(),
                match a.read.skip_lines {
                    0 => String::new(),
                    n => format!(" --skip-lines {n}"),
                }
            );
        }
    }
    Ok(0)
}

/// The location's custom fields when a token and a location are given (else none).
async fn init_location_fields(
    a: &InitArgs,
) -> Result<Vec<crate::validation::custom_fields::CustomFieldDef>, CliError> {
    let Some(location) = a
        .location
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    else {
        return Ok(Vec::new());
    };
    let token = match flags::read_token(a.api.token_file.as_deref()) {
        Ok(t) => t,
        Err(FlagError::NoToken) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let config = flags::base_client(&a.api, token)?;
    pipeline::columns::read_location_fields(config, location)
        .await
        .map_err(|e| CliError::Run(RunError::Api(e)))
}

/// Ctrl-C or SIGTERM. A second one exits at once.
pub(super) async fn shutdown_signal() {
    wait_for_signal().await;
    tokio::spawn(async {
        wait_for_signal().await;
        eprintln!("ghl-import: second interrupt, exiting now; the report is incomplete");
        std::process::exit(ExitCode::Interrupted.code());
    });
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn serve_sandbox(s: &SandboxArgs) -> Result<i32, CliError> {
    let mut config = sandbox::SandboxConfig {
        token: s.token.clone(),
        rate_max: s.rate_limit.max.get(),
        rate_interval: s.rate_limit.per,
        daily_limit: s.daily_limit,
        fail_5xx_rate: s.fail_rate,
        drop_rate: s.drop_rate,
        stall_rate: s.stall_rate,
        seed: s.seed,
        drop_gender_on_update: s.drop_gender_on_update,
        record_requests: false,
        ..sandbox::SandboxConfig::default()
    };
    if let Some(l) = s.latency {
        config.latency = l;
    }
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], s.port));
    let handle = sandbox::start_on(addr, config)
        .await
        .map_err(CliError::Sandbox)?;
    eprintln!(
        "sandbox: HighLevel emulator on {} (rate limit {}); point ghl-import at it with --base-url {} and any GHL_TOKEN{}. Ctrl-C stops it.",
        handle.base_url(),
        s.rate_limit,
        handle.base_url(),
        if s.token.is_some() { " equal to --token" } else { "" }
    );
    wait_for_signal().await;
    handle.shutdown().await;
    Ok(0)
}
