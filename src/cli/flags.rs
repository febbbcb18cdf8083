//! The pieces of a run config that flags give: input options, the client, the state store.
//! [`super::run_config`] puts them together; every check here fails before work starts (exit 2).

use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::args::{ApiArgs, FileArgs, ImportArgs, InputFormat, PacingArgs, ReadArgs};
use crate::api::{ClientConfig, Credentials, CredentialsError, Token, TokenSource};
use crate::input::{Format, InputOptions, Limits, TextEncoding, UnknownEncoding};
use crate::mapping::{MappingError, MappingSpec};
use crate::pipeline::{Mode, RunConfig, StateConfig};
use crate::validation::ValidationOptions;

#[derive(Debug, thiserror::Error)]
pub enum FlagError {
    #[error("no API token: set GHL_TOKEN or pass --token-file (or use --dry-run or --sandbox)")]
    NoToken,
    #[error("cannot read the token file {path}: {source}")]
    TokenFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the token file {0} is empty")]
    EmptyToken(PathBuf),
    #[error("{0}: {1}")]
    UnsendableToken(String, String),
    #[error("no location: pass --location or set GHL_LOCATION_ID (or give the file a locationId column)")]
    NoLocation,
    #[error("--base-url {0}: {1}")]
    BaseUrl(String, String),
    #[error("--delimiter {0:?}: use one character, or `tab`")]
    Delimiter(String),
    #[error(transparent)]
    Encoding(#[from] UnknownEncoding),
    #[error("--default-country {0:?}: use a two-letter ISO 3166 code such as US or GB")]
    Country(String),
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error("cannot read {0}: {1}")]
    Input(PathBuf, std::io::Error),
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    #[error("--company-id and --credentials: put company_id in the credentials file's [agency] section instead")]
    CompanyTwice,
    #[error("{0}")]
    Locations(String),
    #[error("no state directory (HOME and XDG_STATE_HOME are unset): pass --state PATH or set GHL_IMPORT_STATE, or --no-state to run without resume")]
    NoStateDir,
    #[error("{flag} {}: that is {what}, and writing it would destroy it; choose another path", path.display())]
    OutputOverwrites {
        flag: &'static str,
        path: PathBuf,
        what: String,
    },
}

/// The input half of a plan: shared by `import`, `validate` and the dry run.
pub fn file_plan(a: &FileArgs) -> Result<RunConfig, FlagError> {
    std::fs::metadata(&a.file).map_err(|e| FlagError::Input(a.file.clone(), e))?;
    let mut cfg = RunConfig::new(a.file.clone());
    cfg.input_options = input_options(&a.read)?;
    cfg.mapping = a.mapping.as_deref().map(MappingSpec::load).transpose()?;
    if let Some(choice) = &a.preset {
        match &mut cfg.mapping {
            Some(spec) => spec.set_preset(choice.clone()),
            None => cfg.mapping = Some(MappingSpec::from_preset(choice.clone())),
        }
    }
    let country = a.default_country.trim().to_ascii_uppercase();
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(FlagError::Country(a.default_country.clone()));
    }
    cfg.validation = ValidationOptions {
        default_country: country,
        extra_tags: a
            .tags
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        business_id: a
            .business_id
            .as_ref()
            .map(|b| b.trim().to_owned())
            .filter(|b| !b.is_empty()),
        strict: a.strict,
        phone_check: a.phone_check,
    };
    cfg.location = a
        .location
        .as_ref()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty());
    cfg.report_label = Some(report_path(a).display().to_string());
    cfg.keep_rejects = a.rejects.is_some();
    Ok(cfg)
}

/// An output that is one of the run's own files (the input, the mapping, the token, or another
/// output) would be truncated before it is read: refused before anything is opened.
pub fn check_outputs(files: &FileArgs, api: &ApiArgs) -> Result<(), FlagError> {
    let report = report_path(files);
    let outputs: Vec<(&'static str, &Path)> = [
        ("--report", Some(report.as_path())),
        ("--rejects", files.rejects.as_deref()),
        ("--html", files.html.as_deref()),
        ("--summary-json", files.summary_json.as_deref()),
    ]
    .into_iter()
    .filter_map(|(flag, p)| Some((flag, p?)))
    .collect();
    let inputs: Vec<(String, &Path)> = [
        ("the input file".to_owned(), Some(files.file.as_path())),
        ("the mapping file".to_owned(), files.mapping.as_deref()),
        ("the token file".to_owned(), api.token_file.as_deref()),
        (
            "the credentials file".to_owned(),
            api.credentials.as_deref(),
        ),
    ]
    .into_iter()
    .filter_map(|(what, p)| Some((what, p?)))
    .chain(
        outputs
            .iter()
            .map(|(flag, p)| (format!("the {flag} file"), *p)),
    )
    .collect();
    // The file as the system finds it; one not written yet, by its directory.
    let real = |p: &Path| {
        std::fs::canonicalize(p).ok().or_else(|| {
            let dir = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            Some(std::fs::canonicalize(dir).ok()?.join(p.file_name()?))
        })
    };
    for (i, (flag, path)) in outputs.iter().enumerate() {
        let Some(out) = real(path) else { continue };
        let earlier = inputs.len() - outputs.len() + i;
        let clash = inputs[..earlier]
            .iter()
            .find(|(_, p)| real(p).is_some_and(|p| p == out));
        if let Some((what, _)) = clash {
            return Err(FlagError::OutputOverwrites {
                flag,
                path: path.to_path_buf(),
                what: what.clone(),
            });
        }
    }
    Ok(())
}

/// `--format`, `--delimiter`, `--encoding` and the size limits.
pub fn input_options(a: &ReadArgs) -> Result<InputOptions, FlagError> {
    Ok(InputOptions {
        format: a.format.map(|f| match f {
            InputFormat::Csv => Format::Csv,
            InputFormat::Jsonl => Format::Jsonl,
            InputFormat::Xlsx => Format::Xlsx,
        }),
        sheet: a.sheet.clone(),
        delimiter: a.delimiter.as_deref().map(parse_delimiter).transpose()?,
        encoding: a
            .encoding
            .as_deref()
            .map(TextEncoding::from_label)
            .transpose()?,
        limits: Limits {
            max_field: a.max_field_size,
            max_row: a.max_row_size,
        },
        skip_lines: a.skip_lines,
    })
}

/// `--report`, or `<input stem>.report.csv` in the current directory.
pub fn report_path(a: &FileArgs) -> PathBuf {
    a.report.clone().unwrap_or_else(|| {
        let stem = a
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "import".into());
        PathBuf::from(format!("{stem}.report.csv"))
    })
}

fn parse_delimiter(s: &str) -> Result<u8, FlagError> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(FlagError::Delimiter(s.to_owned())),
    }
}

/// The API config of `import` and `plan`: from `--credentials`, `--company-id` + token, or
/// the token alone, paced by `p`.
pub fn paced_client(api: &ApiArgs, p: &PacingArgs) -> Result<ClientConfig, FlagError> {
    let mut c = match credentials_client(api, p.timeout)? {
        Some(c) => c,
        None => base_client(api, read_token(api.token_file.as_deref())?)?,
    };
    pace(&mut c, p);
    Ok(c)
}

/// A client whose every request carries its location's own token, if credentials are given.
fn credentials_client(
    api: &ApiArgs,
    timeout: std::time::Duration,
) -> Result<Option<ClientConfig>, FlagError> {
    let Some(creds) = credentials(api)? else {
        return Ok(None);
    };
    // Never sent: each request carries its location's own token.
    let placeholder = Token::new("per-location").expect("not empty");
    let mut c = base_client(api, placeholder)?;
    c.credentials = Some(std::sync::Arc::new(TokenSource::new(
        creds,
        &api.base_url,
        timeout,
    )));
    Ok(Some(c))
}

/// `--credentials FILE`, or an agency token with `--company-id`; `None`: a single token.
pub fn credentials(api: &ApiArgs) -> Result<Option<Credentials>, FlagError> {
    check_base_url(&api.base_url, api.allow_insecure_http)?;
    match (&api.credentials, &api.company_id) {
        (Some(_), Some(_)) => Err(FlagError::CompanyTwice),
        (Some(path), None) => Ok(Some(Credentials::load(path)?)),
        (None, Some(company)) => Ok(Some(Credentials::agency_token(
            company.trim().to_owned(),
            read_token(api.token_file.as_deref())?,
        ))),
        (None, None) => Ok(None),
    }
}

/// Where the import keeps its state. `--sandbox` keeps it in memory: its contacts vanish with
/// the process, so a later run must not think them imported.
pub fn state_config(a: &ImportArgs) -> Result<Option<StateConfig>, FlagError> {
    if a.no_state {
        return Ok(None);
    }
    let path = if a.sandbox {
        None
    } else {
        Some(
            a.state
                .clone()
                .or_else(crate::state::store::default_path)
                .ok_or(FlagError::NoStateDir)?,
        )
    };
    Ok(Some(StateConfig {
        path,
        restart: a.restart,
        changed_only: a.changed_only,
        snapshot: a.snapshot,
    }))
}

/// The API half of a `plan` run: the import's pacing, for reading.
pub fn pacing_client_config(
    api: &ApiArgs,
    p: &PacingArgs,
    token: Token,
) -> Result<ClientConfig, FlagError> {
    let mut c = base_client(api, token)?;
    pace(&mut c, p);
    Ok(c)
}

fn pace(c: &mut ClientConfig, p: &PacingArgs) {
    c.rate = p.rate_limit;
    c.concurrency = p.concurrency as usize;
    c.budget = crate::api::BudgetPolicy {
        reserve: p.daily_reserve,
        max_share: p.max_daily_share,
    };
    c.max_attempts = p.max_attempts;
    c.timeout = p.timeout;
}

pub(super) fn base_client(api: &ApiArgs, token: Token) -> Result<ClientConfig, FlagError> {
    check_base_url(&api.base_url, api.allow_insecure_http)?;
    Ok(ClientConfig::new(api.base_url.clone(), token))
}

/// A dry run reads the location's custom fields when it can (a token and a location), to
/// check values the way the import will; without them it checks offline.
pub fn dry_run_plan(mut cfg: RunConfig, api: &ApiArgs) -> Result<RunConfig, FlagError> {
    if let Some(c) = credentials_client(api, std::time::Duration::from_secs(30))? {
        cfg.api = Some(c);
    } else if cfg.location.is_some() {
        match read_token(api.token_file.as_deref()) {
            Ok(token) => cfg.api = Some(base_client(api, token)?),
            Err(FlagError::NoToken) => {}
            Err(e) => return Err(e),
        }
    }
    cfg.mode = Mode::Check {
        online: cfg.api.is_some(),
    };
    Ok(cfg)
}

/// https anywhere; plain http only to loopback, unless the user insists.
pub fn check_base_url(url: &str, allow_insecure: bool) -> Result<(), FlagError> {
    let bad = |m: &str| FlagError::BaseUrl(url.to_owned(), m.to_owned());
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        // Shown, stored with the run and logged as given: a secret in it would leak.
        let mut shown = parsed.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        return Err(FlagError::BaseUrl(
            shown.to_string(),
            "a user name or password in the URL is refused (it would be shown and stored with the run); the token goes in GHL_TOKEN or --token-file".to_owned(),
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        // The same leak (`?token=…`), and paths are appended to the base URL, after it.
        let mut shown = parsed.clone();
        shown.set_query(None);
        shown.set_fragment(None);
        return Err(FlagError::BaseUrl(
            shown.to_string(),
            "a query string or fragment (`?…`, `#…`) in the URL is refused (it would be shown and stored with the run, and the API's paths go after the base URL); give the base URL alone, the token in GHL_TOKEN or --token-file".to_owned(),
        ));
    }
    match parsed.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
                Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
                None => false,
            };
            if loopback || allow_insecure {
                Ok(())
            } else {
                Err(bad("plain http would send the token unencrypted; use https, or --allow-insecure-http if you really mean it"))
            }
        }
        s => Err(bad(&format!("unsupported scheme {s}; use https"))),
    }
}

/// The token from `--token-file` (or stdin for `-`), else from `GHL_TOKEN`.
pub fn read_token(token_file: Option<&Path>) -> Result<Token, FlagError> {
    if let Some(path) = token_file {
        let mut raw = String::new();
        if path == Path::new("-") {
            std::io::stdin()
                .read_to_string(&mut raw)
                .map_err(|source| FlagError::TokenFile {
                    path: path.to_owned(),
                    source,
                })?;
        } else {
            raw = std::fs::read_to_string(path).map_err(|source| FlagError::TokenFile {
                path: path.to_owned(),
                source,
            })?;
            crate::api::credentials::warn_if_exposed(path, "--token-file");
        }
        let token = Token::new(raw).ok_or_else(|| FlagError::EmptyToken(path.to_owned()))?;
        let source = match path == Path::new("-") {
            true => "the token on standard input".to_owned(),
            false => format!("the token file {}", path.display()),
        };
        return token
            .sendable()
            .map_err(|why| FlagError::UnsendableToken(source, why));
    }
    std::env::var("GHL_TOKEN")
        .ok()
        .and_then(Token::new)
        .ok_or(FlagError::NoToken)?
        .sendable()
        .map_err(|why| FlagError::UnsendableToken("GHL_TOKEN".to_owned(), why))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_base_url("https://services.leadconnectorhq.com", false).is_ok());
        assert!(check_base_url("http://127.0.0.1:4010", false).is_ok());
        assert!(check_base_url("http://localhost:4010/", false).is_ok());
        assert!(check_base_url("http://[::1]:4010", false).is_ok());
        assert!(check_base_url("http://example.com", false).is_err());
        assert!(check_base_url("http://example.com", true).is_ok());
        assert!(check_base_url("ftp://x", true).is_err());
        assert!(check_base_url("not a url", false).is_err());
    }

    #[test]
    fn a_secret_in_the_base_url_is_refused_without_being_repeated() {
        for url in [
            "http://user:secret-XYZ-123@127.0.0.1:4791",
            "https://secret-XYZ-123@services.leadconnectorhq.com",
        ] {
            let e = check_base_url(url, false).unwrap_err().to_string();
            assert!(e.contains("user name or password"), "{e}");
            assert!(!e.contains("secret-XYZ-123"), "{e}");
        }
    }

    #[test]
    fn a_query_or_fragment_in_the_base_url_is_refused_without_being_repeated() {
        for url in [
            "https://services.leadconnectorhq.com?token=secret-XYZ-123",
            "https://services.leadconnectorhq.com/?access_token=secret-XYZ-123&x=1",
            "http://127.0.0.1:4791/#secret-XYZ-123",
            "http://127.0.0.1:4791?",
        ] {
            let e = check_base_url(url, false).unwrap_err().to_string();
            assert!(e.contains("query string or fragment"), "{e}");
            assert!(!e.contains("secret-XYZ-123"), "{e}");
        }
    }

    #[test]
    fn delimiters() {
        assert_eq!(parse_delimiter(";").unwrap(), b';');
        assert_eq!(parse_delimiter("tab").unwrap(), b'\t');
        assert!(parse_delimiter(";;").is_err());
    }
}
