//! Flags → one complete run (ripgrep's low-level args → high-level args): every command that
//! runs the pipeline (`import`, `validate`, `plan`) gets its [`RunConfig`] here, and `undo` its
//! [`UndoConfig`], and nowhere else, so a flag cannot be parsed in one command and dropped in
//! another.

use std::path::{Path, PathBuf};

use super::args::{
    ApiArgs, FileArgs, ImportArgs, MatchOrderArg, PacingArgs, PlanArgs, UndoArgs, ValidateArgs,
};
use super::execute::{run_and_report, CliError};
use super::flags::{self, FlagError};
use crate::api::{ClientConfig, Token};
use crate::pipeline::{Mode, RunConfig};
use crate::plan::{MatchOrder, PlanOptions};
use crate::sandbox;
use crate::undo::UndoConfig;

/// The location `--sandbox` imports into when none is given.
pub const SANDBOX_LOCATION: &str = "sandbox-location";

/// A command that runs the pipeline, as parsed.
#[derive(Clone, Copy)]
pub(super) enum RunCommand<'a> {
    Import(&'a ImportArgs),
    Validate(&'a ValidateArgs),
    Plan(&'a PlanArgs),
}

/// A run, validated and complete but for what only starting it can give (the sandbox).
pub(super) struct Run {
    cfg: RunConfig,
    files: FileArgs,
    /// `--sandbox`: the emulator to start first; the client is pointed at it.
    sandbox: Option<SandboxUse>,
    /// `import --preflight-only`: check the locations, send nothing.
    preflight_only: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SandboxUse {
    Import,
    Plan,
}

/// Every check that can fail before work starts happens here, so a bad flag costs nothing.
pub(super) fn resolve(cmd: RunCommand<'_>) -> Result<Run, FlagError> {
    match cmd {
        RunCommand::Validate(v) => {
            flags::check_outputs(&v.file, &v.api)?;
            let cfg = flags::dry_run_plan(flags::file_plan(&v.file)?, &v.api)?;
            Ok(Run::plain(cfg, v.file.clone()))
        }
        RunCommand::Import(a) if a.dry_run => {
            flags::check_outputs(&a.file, &a.api)?;
            let cfg = flags::dry_run_plan(flags::file_plan(&a.file)?, &a.api)?;
            Ok(Run::plain(cfg, a.file.clone()))
        }
        RunCommand::Import(a) => {
            flags::check_outputs(&a.file, &a.api)?;
            let mut cfg = flags::file_plan(&a.file)?;
            cfg.state = flags::state_config(a)?;
            cfg.tag_batch_size = a.pacing.tag_batch_size as usize;
            cfg.mode = Mode::Import;
            let sandbox = a.sandbox.then_some(SandboxUse::Import);
            cfg.api = Some(client(&a.api, &a.pacing, a.sandbox)?);
            Ok(Run {
                cfg,
                files: a.file.clone(),
                sandbox,
                preflight_only: a.preflight_only,
            })
        }
        RunCommand::Plan(a) => {
            let mut files = a.file.clone();
            files
                .report
                .get_or_insert_with(|| plan_report_path(&a.file.file));
            flags::check_outputs(&files, &a.api)?;
            let mut cfg = flags::file_plan(&files)?;
            cfg.tag_batch_size = a.pacing.tag_batch_size as usize;
            cfg.mode = Mode::Plan(PlanOptions {
                match_order: match a.match_order {
                    MatchOrderArg::Email => MatchOrder::EmailFirst,
                    MatchOrderArg::Phone => MatchOrder::PhoneFirst,
                },
                changed_only: a.changed_only,
            });
            let sandbox = a.sandbox.then_some(SandboxUse::Plan);
            cfg.api = Some(client(&a.api, &a.pacing, a.sandbox)?);
            Ok(Run {
                cfg,
                files,
                sandbox,
                preflight_only: false,
            })
        }
    }
}

/// `undo N`: the run to take back, the client, and the report path
/// (`undo-N.report.csv`, or `undo-N.plan.csv` with `--dry-run`).
pub(super) fn undo_config(a: &UndoArgs) -> Result<(UndoConfig, PathBuf), FlagError> {
    let token = flags::read_token(a.api.token_file.as_deref())?;
    let api = flags::pacing_client_config(&a.api, &a.pacing, token)?;
    let report = a.report.clone().unwrap_or_else(|| {
        let kind = if a.dry_run { "plan" } else { "report" };
        format!("undo-{}.{kind}.csv", a.run).into()
    });
    let cfg = UndoConfig {
        run: a.run,
        api,
        dry_run: a.dry_run,
        restart: a.restart,
    };
    Ok((cfg, report))
}

/// The paced client of `import` and `plan`. For the sandbox, the emulator's token and address
/// are set once it has started.
fn client(api: &ApiArgs, pacing: &PacingArgs, sandbox: bool) -> Result<ClientConfig, FlagError> {
    if sandbox {
        let placeholder = Token::new("sandbox").expect("not empty");
        flags::pacing_client_config(api, pacing, placeholder)
    } else {
        flags::paced_client(api, pacing)
    }
}

impl Run {
    fn plain(cfg: RunConfig, files: FileArgs) -> Run {
        Run {
            cfg,
            files,
            sandbox: None,
            preflight_only: false,
        }
    }

    /// Starts the sandbox if asked, runs, and returns the exit code.
    pub(super) async fn execute(self, quiet: bool) -> Result<i32, CliError> {
        let Run {
            mut cfg,
            files,
            sandbox,
            preflight_only,
        } = self;
        if preflight_only {
            return super::locations::preflight_only(cfg).await;
        }
        let Some(use_) = sandbox else {
            return run_and_report(cfg, &files, quiet).await;
        };
        let api = cfg.api.as_mut().expect("a sandbox run has a client");
        let secret = format!("sandbox-{:016x}", rand::random::<u64>());
        let handle = sandbox::start(sandbox::SandboxConfig {
            token: Some(secret.clone()),
            // The emulated quota follows --rate-limit, so a faster demo stays honest.
            rate_max: api.rate.max.get(),
            rate_interval: api.rate.per,
            record_requests: false,
            ..sandbox::SandboxConfig::default()
        })
        .await
        .map_err(CliError::Sandbox)?;
        api.token = Token::new(secret).expect("generated token is not empty");
        api.base_url = handle.base_url();
        let location = cfg
            .location
            .get_or_insert_with(|| SANDBOX_LOCATION.to_owned())
            .clone();
        if !quiet {
            match use_ {
                SandboxUse::Import => eprintln!(
                    "sandbox: HighLevel emulator listening on {} (location {location})",
                    handle.base_url()
                ),
                SandboxUse::Plan => eprintln!(
                    "sandbox: planning against an empty emulated location on {}",
                    handle.base_url()
                ),
            }
        }
        let code = run_and_report(cfg, &files, quiet).await?;
        if !quiet && use_ == SandboxUse::Import {
            // A locationId column may have sent rows to other locations than --location's.
            let sizes = handle.location_sizes();
            let held = match &sizes[..] {
                [] => format!("the location {location} holds no contacts"),
                [(id, n)] => format!("the location {id} now holds {n} contacts"),
                many => format!(
                    "the locations now hold {}",
                    many.iter()
                        .map(|(id, n)| format!("{id} {n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            eprintln!(
                "sandbox: {held}; the emulator stops with this process (run `ghl-import sandbox` for one that stays up)"
            );
        }
        handle.shutdown().await;
        Ok(code)
    }
}

/// `<input stem>.plan.csv` in the current directory, next to the import's default report.
fn plan_report_path(input: &Path) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    PathBuf::from(format!("{stem}.plan.csv"))
}
