//! `ghl-import plan`: the import's pipeline with the writes replaced by a judgement against the
//! location's contacts (see [`crate::plan`]).

use super::args::{MatchOrderArg, PlanArgs};
use super::execute::{run_and_report, CliError, SANDBOX_LOCATION};
use super::plan;
use crate::api::Token;
use crate::plan::{MatchOrder, PlanOptions};
use crate::sandbox;

pub async fn plan_command(a: &PlanArgs, quiet: bool) -> Result<i32, CliError> {
    let mut files = a.file.clone();
    files
        .report
        .get_or_insert_with(|| plan_report_path(&a.file.file));
    let mut cfg = plan::file_plan(&files)?;
    cfg.dry_run = true;
    cfg.tag_batch_size = a.pacing.tag_batch_size as usize;
    cfg.plan = Some(PlanOptions {
        match_order: match a.match_order {
            MatchOrderArg::Email => MatchOrder::EmailFirst,
            MatchOrderArg::Phone => MatchOrder::PhoneFirst,
        },
        changed_only: a.changed_only,
    });
    if !a.sandbox {
        cfg.api = Some(plan::paced_client(&a.api, &a.pacing)?);
        return run_and_report(cfg, &files, quiet).await;
    }
    let secret = format!("sandbox-{:016x}", rand::random::<u64>());
    let handle = sandbox::start(sandbox::SandboxConfig {
        token: Some(secret.clone()),
        rate_max: a.pacing.rate_limit.max.get(),
        rate_interval: a.pacing.rate_limit.per,
        record_requests: false,
        ..sandbox::SandboxConfig::default()
    })
    .await
    .map_err(CliError::Sandbox)?;
    let token = Token::new(secret).expect("generated token is not empty");
    let mut client = plan::pacing_client_config(&a.api, &a.pacing, token)?;
    client.base_url = handle.base_url();
    cfg.api = Some(client);
    cfg.location
        .get_or_insert_with(|| SANDBOX_LOCATION.to_owned());
    if !quiet {
        eprintln!(
            "sandbox: planning against an empty emulated location on {}",
            handle.base_url()
        );
    }
    let code = run_and_report(cfg, &files, quiet).await?;
    handle.shutdown().await;
    Ok(code)
}

/// `<input stem>.plan.csv` in the current directory, next to the import's default report.
fn plan_report_path(input: &std::path::Path) -> std::path::PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    std::path::PathBuf::from(format!("{stem}.plan.csv"))
}
