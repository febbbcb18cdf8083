//! `ghl-import locations` and `import --preflight-only`: the commands about locations rather
//! than rows.

use std::io::Write;

use super::args::LocationsArgs;
use super::execute::CliError;
use super::flags::{self, FlagError};
use crate::api::oauth::installed_locations;
use crate::api::TokenSource;
use crate::pipeline::{preflight::preflight, ExitCode, RunConfig};

/// Prints the installed locations as CSV on standard output.
pub async fn list(a: &LocationsArgs) -> Result<i32, CliError> {
    let Some(creds) = flags::credentials(&a.api)? else {
        return Err(no_agency().into());
    };
    let Some(agency) = creds.agency.as_ref() else {
        return Err(no_agency().into());
    };
    let app_id = a
        .app_id
        .clone()
        .or_else(|| agency.app_id.clone())
        .or_else(|| creds.oauth.as_ref()?.app_id.clone())
        .ok_or_else(|| {
            FlagError::Locations(
                "the API needs the app's id: pass --app-id (or set app_id in the credentials file's [agency] section)".into(),
            )
        })?;
    let company_id = agency.company_id.clone();
    let timeout = std::time::Duration::from_secs(30);
    let source = TokenSource::new(creds, &a.api.base_url, timeout);
    let listed = match source.agency_bearer().await {
        Ok(token) => {
            installed_locations(&a.api.base_url, &token, &company_id, &app_id, timeout).await
        }
        Err(e) => Err(e),
    };
    let found = listed.map_err(|e| FlagError::Locations(e.to_string()))?;
    let mut w = csv::Writer::from_writer(std::io::stdout().lock());
    let out = (|| -> csv::Result<()> {
        w.write_record(["locationId", "name", "address"])?;
        for l in &found {
            w.write_record([&l.id, &l.name, &l.address])?;
        }
        w.flush()?;
        Ok(())
    })();
    out.map_err(|e| CliError::Output("standard output".into(), std::io::Error::other(e)))?;
    Ok(ExitCode::Success.code())
}

fn no_agency() -> FlagError {
    FlagError::Locations(
        "listing locations needs an agency token: --company-id with GHL_TOKEN (or --token-file), or an [agency] section in --credentials".into(),
    )
}

/// Checks every location and stops: 0 all pass, 1 some fail, 2 none pass.
pub async fn preflight_only(cfg: RunConfig) -> Result<i32, CliError> {
    let results = preflight(&cfg).await?;
    let mut out = std::io::stdout().lock();
    for (loc, r) in &results {
        let line = match r {
            Ok(()) => format!("ok      {loc}"),
            Err(reason) => format!("FAILED  {loc}: {reason}"),
        };
        let _ = writeln!(out, "{line}");
    }
    let passed = results.iter().filter(|(_, r)| r.is_ok()).count();
    Ok(if passed == results.len() {
        ExitCode::Success
    } else if passed == 0 {
        ExitCode::Fatal
    } else {
        ExitCode::SomeRowsFailed
    }
    .code())
}
