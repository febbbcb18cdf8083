//! The command line, as clap reads it. Turned into a validated plan by `plan.rs` before any
//! work starts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::api::{RateLimit, DEFAULT_BASE_URL};
use crate::mapping::PresetChoice;

const TOKEN_HELP: &str = "\
The API token is read from the environment variable GHL_TOKEN, or from a file named by \
--token-file (`-` reads it from standard input). It is never accepted as a flag value, so it \
cannot end up in shell history or process listings, and it is never printed.";

const EXIT_HELP: &str = "\
Exit codes: 0 every row created or updated (dry run: every row valid); 1 some rows invalid, \
failed or deferred (see the report); 2 nothing could start (bad flags, unreadable file, bad \
mapping) or the API refused the token; 3 the daily API limit ran out (the rest is deferred); \
130 interrupted (the report still has every row).";

#[derive(Debug, Parser)]
#[command(name = "ghl-import", version, propagate_version = true, about = "Import contacts from CSV, JSONL and Excel (.xlsx) files into HighLevel, with a report line for every row", after_help = EXIT_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More log output on stderr (-v rows and requests, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr: no progress bar, no summary.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log line format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import a CSV, JSONL or Excel (.xlsx) file of contacts into a HighLevel location.
    #[command(after_help = format!("{TOKEN_HELP}\n\n{EXIT_HELP}"))]
    Import(ImportArgs),
    /// Check a file without sending anything (the same as `import --dry-run`). With a token
    /// and a location it also checks custom field values against the location (read only).
    #[command(after_help = format!("{TOKEN_HELP}\n\n{EXIT_HELP}"))]
    Validate(ValidateArgs),
    /// Run the built-in HighLevel emulator until Ctrl-C, for trying the tool or other clients.
    Sandbox(SandboxArgs),
    /// Predict an import without writing anything: read the location's contacts and say, for
    /// every row, create, update (and which fields), unchanged, conflict or invalid, with the
    /// requests and time the import would take.
    #[command(after_help = format!("{TOKEN_HELP}\n\n{PLAN_EXIT_HELP}"))]
    Plan(PlanArgs),
    /// List the locations (sub-accounts) an app is installed on, as CSV (locationId,name,
    /// address), with an agency token: for building a file's locationId column or a
    /// credentials file.
    Locations(LocationsArgs),
    /// Write a commented mapping file for a CSV, JSONL or .xlsx file: what each column maps to and
    /// why, the columns left out, and suggested transforms.
    Init(InitArgs),
    /// Write the HTML page for a report written earlier (`--report`, CSV or JSONL).
    Report(super::report_command::ReportArgs),
    /// Print shell completions for bash, zsh, fish, powershell or elvish on standard output.
    Completions(super::install::CompletionsArgs),
    /// Print the man page (roff) on standard output, or write every page to a directory.
    Man(super::install::ManArgs),
    /// List the runs in the state store (`runs show N` for one run, `--report` to write its
    /// report again).
    Runs(RunsArgs),
    /// Take back what import run N did: delete the contacts it created (unless changed since),
    /// remove the tags it added, set back the businesses it set, and, when it ran with
    /// --snapshot, write back the fields it overwrote.
    #[command(after_help = format!("{TOKEN_HELP}\n\n{UNDO_EXIT_HELP}"))]
    Undo(UndoArgs),
}

const UNDO_EXIT_HELP: &str = "\
Exit codes: 0 everything taken back; 1 some rows were left alone, partly restored, failed or \
deferred (see the report; run undo again to retry failed and deferred ones); 2 nothing could \
start, or the API refused the token; 3 the daily API limit ran out (run undo again tomorrow); \
130 interrupted (run undo again to finish).";

/// Where the state store is (`runs`, `undo`).
#[derive(Debug, Clone, Args)]
pub struct StateArgs {
    /// The state store [default: $XDG_STATE_HOME/ghl-import/state.db].
    #[arg(long, value_name = "PATH", env = "GHL_IMPORT_STATE", global = true)]
    pub state: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunsArgs {
    #[command(subcommand)]
    pub command: Option<RunsCommand>,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// One run's summary: file, locations, times, rows by status.
    Show {
        /// The run id (`ghl-import runs` lists them).
        id: i64,
        /// Write the run's per-row report again, from the store (.csv or .jsonl).
        #[arg(long, value_name = "PATH")]
        report: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct UndoArgs {
    /// The import run to take back (`ghl-import runs` lists them).
    pub run: i64,
    /// Say, row by row, what undo would do; change nothing (reads each contact).
    #[arg(long)]
    pub dry_run: bool,
    /// Where the per-row report goes (.csv or .jsonl) [default: undo-<N>.report.csv, or
    /// undo-<N>.plan.csv with --dry-run].
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// Start the undo over instead of resuming an unfinished one.
    #[arg(long)]
    pub restart: bool,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(flatten)]
    pub pacing: PacingArgs,
}

/// Built-in mappings for other CRMs' exports.
const PRESET_HELP: &str = "A built-in mapping for another CRM's export: hubspot, salesforce, \
pipedrive, mailchimp, zoho, keap, google, outlook, or none [default: chosen by the headers when they clearly \
match one]. A mapping file's own lines win over it.";

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The CSV, JSONL or .xlsx file to read (the header and the first 200 rows).
    pub file: PathBuf,
    /// Where to write the mapping (`-`: standard output).
    #[arg(long, short, value_name = "PATH", default_value = "mapping.toml")]
    pub output: PathBuf,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// With a token: match unmapped columns to this location's custom fields, as the import
    /// does.
    #[arg(long, env = "GHL_LOCATION_ID", value_name = "ID")]
    pub location: Option<String>,
    #[command(flatten)]
    pub api: ApiArgs,
    #[arg(long, value_name = "NAME", value_parser = parse_preset, help = PRESET_HELP)]
    pub preset: Option<PresetChoice>,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// How to read the file, when detection needs help.
#[derive(Debug, Clone, Args)]
pub struct ReadArgs {
    /// Input format [default: an Excel workbook by its content or extension (.xlsx); else
    /// from the extension: .jsonl/.ndjson are JSONL, else CSV].
    #[arg(long, value_enum)]
    pub format: Option<InputFormat>,
    /// The workbook sheet to read (.xlsx) [default: the first visible worksheet].
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Lines above the header to leave unread: a report export's title block (`--skip-lines 2`
    /// reads the header on line 3); a workbook's rows. Rows keep their numbers in the file,
    /// and the summary names the lines skipped.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub skip_lines: u64,
    /// CSV delimiter [default: detected among , ; tab |]. Use `tab` for a tab.
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// Text encoding, as a WHATWG label: utf-8, utf-16le, utf-16be, windows-1252 (latin1),
    /// iso-8859-2, shift_jis … [default: detected: a BOM, else UTF-8 if the start of the file
    /// is valid UTF-8, else a legacy code page, usually windows-1252, or macintosh (Mac Roman)
    /// when the accented letters read as that].
    #[arg(long, value_name = "LABEL")]
    pub encoding: Option<String>,
    /// The longest cell (CSV, Excel) or string value (JSONL) read, e.g. 1MiB, 500KB, 2000000;
    /// a longer one is left out and named, and the rest of its row is sent.
    #[arg(long, value_name = "BYTES", default_value = "1MiB", value_parser = parse_size)]
    pub max_field_size: usize,
    /// The longest row (CSV, as written in the file) or line (JSONL) read; a longer one is
    /// reported invalid without being held in memory, and the run goes on.
    #[arg(long, value_name = "BYTES", default_value = "4MiB", value_parser = parse_size)]
    pub max_row_size: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    Csv,
    Jsonl,
    Xlsx,
}

/// What every subcommand that reads a file takes.
#[derive(Debug, Clone, Args)]
pub struct FileArgs {
    /// The CSV, JSONL or Excel (.xlsx) file to read.
    pub file: PathBuf,
    /// TOML mapping file; without it, headers are matched to HighLevel fields automatically.
    #[arg(long, value_name = "PATH")]
    pub mapping: Option<PathBuf>,
    #[arg(long, value_name = "NAME", value_parser = parse_preset, help = PRESET_HELP)]
    pub preset: Option<PresetChoice>,
    /// Where the per-row report goes: `.csv` or `.jsonl` by extension
    /// [default: <input stem>.report.csv in the current directory].
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// A tag added to every row (repeatable).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// A business id set on every row (a row's own businessId column wins).
    #[arg(long, value_name = "ID")]
    pub business_id: Option<String>,
    /// Country for phone numbers written without a country code (ISO 3166 alpha-2).
    #[arg(long, value_name = "ISO2", default_value = "US")]
    pub default_country: String,
    /// Reject a row when any cell cannot be read, instead of leaving the cell out and
    /// sending the contact (also `strict = true` in a mapping file).
    #[arg(long)]
    pub strict: bool,
    /// `possible`: send every number whose length fits its country, warning when the bundled
    /// metadata does not know its range; `valid`: only numbers the metadata calls valid.
    #[arg(long, value_name = "CHECK", value_enum, default_value_t = crate::validation::PhoneCheck::Possible)]
    pub phone_check: crate::validation::PhoneCheck,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Also write the run summary as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub summary_json: Option<PathBuf>,
    /// Also write a self-contained HTML page of the run: counts, errors and cells left out
    /// grouped by column, one table per location, requests per second against the quota.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
    /// Write the invalid rows here as read (CSV or JSONL, like the input; CSV for a
    /// workbook), with an `errors` column, ready to fix and import again.
    #[arg(long, value_name = "PATH")]
    pub rejects: Option<PathBuf>,
    /// The HighLevel location (sub-account) id; a row's own locationId column wins.
    #[arg(long, env = "GHL_LOCATION_ID", value_name = "ID")]
    pub location: Option<String>,
}

/// Where the API is and how to prove who we are.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// Read the API token from this file (`-` for standard input) instead of GHL_TOKEN.
    #[arg(long, env = "GHL_TOKEN_FILE", value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// API base URL. Plain http:// is refused unless it is a loopback address.
    #[arg(long, env = "GHL_BASE_URL", default_value = DEFAULT_BASE_URL, value_name = "URL")]
    pub base_url: String,
    /// Allow a plain http:// base URL that is not a loopback address.
    #[arg(long)]
    pub allow_insecure_http: bool,
    /// A TOML file with a token (or an OAuth refresh token) per location, or an agency
    /// token; must be readable by its owner only. See README, "Credentials".
    #[arg(long, env = "GHL_CREDENTIALS", value_name = "PATH")]
    pub credentials: Option<PathBuf>,
    /// With an agency token (GHL_TOKEN or --token-file): the agency's company id; each
    /// location's token is obtained from it (POST /oauth/locationToken).
    #[arg(long, env = "GHL_COMPANY_ID", value_name = "ID")]
    pub company_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct LocationsArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// The Marketplace app's id [default: app_id in the credentials file's [agency] or [oauth]].
    #[arg(long, env = "GHL_APP_ID", value_name = "ID")]
    pub app_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub file: FileArgs,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub file: FileArgs,
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(flatten)]
    pub pacing: PacingArgs,
    /// Everything but the network: map, validate and report; no token needed.
    #[arg(long)]
    pub dry_run: bool,
    /// Import into the built-in HighLevel emulator on 127.0.0.1 (no token or location needed).
    #[arg(long, conflicts_with_all = ["dry_run", "token_file"])]
    pub sandbox: bool,
    /// The state store that makes runs resumable and --changed-only possible
    /// [default: $XDG_STATE_HOME/ghl-import/state.db, i.e. ~/.local/state/ghl-import/state.db].
    #[arg(long, value_name = "PATH", env = "GHL_IMPORT_STATE")]
    pub state: Option<std::path::PathBuf>,
    /// Keep no state: an interrupted run cannot be resumed (re-running sends every row again).
    #[arg(long, conflicts_with_all = ["changed_only", "restart"])]
    pub no_state: bool,
    /// Start over instead of resuming an unfinished run of the same file.
    #[arg(long)]
    pub restart: bool,
    /// Skip rows whose fields, tags and business equal what this state store last applied to
    /// that contact (status `unchanged`, no request). Recommended for scheduled runs.
    #[arg(long)]
    pub changed_only: bool,
    /// Check each location the file uses (its token works and may write contacts), then stop
    /// without importing: exit 0 if all pass, 1 if some fail, 2 if none pass.
    #[arg(long, conflicts_with_all = ["dry_run", "sandbox"])]
    pub preflight_only: bool,
    /// Before writing to a location, read its contacts (100 per request) and keep the ones
    /// this file touches in the state store, so `ghl-import undo` can also restore the field
    /// values the import overwrites.
    #[arg(long, conflicts_with = "no_state")]
    pub snapshot: bool,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 4010)]
    pub port: u16,
    /// Require this bearer token [default: any non-empty token is accepted].
    #[arg(long, env = "GHL_SANDBOX_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The emulated burst limit per location (sliding window).
    #[arg(long, value_name = "N/DURATION", default_value = "100/10s")]
    pub rate_limit: RateLimit,
    /// The emulated daily limit per location.
    #[arg(long, default_value_t = 200_000)]
    pub daily_limit: u64,
    /// Latency added to each response, as MIN..MAX (e.g. 50ms..250ms).
    #[arg(long, value_name = "MIN..MAX", value_parser = parse_range)]
    pub latency: Option<(std::time::Duration, std::time::Duration)>,
    /// Share of requests answered with an injected 500/502/503.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    pub fail_rate: f64,
    /// Share of requests whose connection is dropped without a response.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    pub drop_rate: f64,
    /// Share of responses stalled for 60 s (past a client's timeout).
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    pub stall_rate: f64,
    /// Seed for the fault and latency draws, for reproducible runs.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Keep an existing contact's gender on upsert, as HighLevel does (issue 313).
    #[arg(long)]
    pub drop_gender_on_update: bool,
}

/// `1048576`, `512KB`, `1MB`, `10MiB`, `1GiB` (KB/MB/GB are powers of 1000, KiB/MiB/GiB of
/// 1024), at least 1 byte.
pub(crate) fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a size like 1048576, 500KB or 10MiB"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => {
            return Err(format!(
                "'{s}': unknown unit; use B, KB, MB, GB, KiB, MiB or GiB"
            ))
        }
    };
    match n.checked_mul(mult).and_then(|v| usize::try_from(v).ok()) {
        Some(0) => Err(format!("'{s}' must be at least 1 byte")),
        Some(v) => Ok(v),
        None => Err(format!("'{s}' is too large")),
    }
}

fn parse_preset(s: &str) -> Result<PresetChoice, String> {
    PresetChoice::parse(s)
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    crate::api::limiter::parse_duration(s)
}

fn parse_range(s: &str) -> Result<(std::time::Duration, std::time::Duration), String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("'{s}' is not a range like 50ms..250ms"))?;
    let (a, b) = (parse_duration(a)?, parse_duration(b)?);
    if a > b {
        return Err(format!("'{s}': the minimum is above the maximum"));
    }
    Ok((a, b))
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 1.0 => Ok(v),
        _ => Err(format!(
            "'{s}' must be a fraction above 0 and at most 1, e.g. 0.5"
        )),
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("'{s}' must be between 0 and 1"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("10 MB"), Ok(10_000_000));
        assert_eq!(parse_size("512kb"), Ok(512_000));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        for bad in [
            "",
            "0",
            "MB",
            "1.5MB",
            "-1",
            "3 parsecs",
            "99999999999999999999",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_an_import() {
        let cli = Cli::try_parse_from([
            "ghl-import",
            "import",
            "a.csv",
            "--tag",
            "x",
            "--tag",
            "y",
            "--rate-limit",
            "20/200ms",
        ])
        .unwrap();
        let Command::Import(a) = cli.command else {
            panic!()
        };
        assert_eq!(a.file.tags, ["x", "y"]);
        assert_eq!(a.pacing.rate_limit.to_string(), "20/200ms");
        assert!(Cli::try_parse_from(["ghl-import", "import", "a.csv", "--token", "x"]).is_err());
    }
}

const PLAN_EXIT_HELP: &str = "\
The report defaults to <input stem>.plan.csv (not .report.csv). Nothing is written to \
HighLevel; the contact listing needs the scope contacts.readonly.\n\n\
Exit codes: 0 every row is create, update or unchanged; 1 some rows are invalid or conflict \
(or the location's contacts could not be read); 2 nothing could start.";

/// `ghl-import plan` (the subcommand; `cli/run_config.rs` builds every command's run config).
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub file: FileArgs,
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(flatten)]
    pub pacing: PacingArgs,
    /// Which key HighLevel tries first when a row's email and phone match different contacts:
    /// the location's deduplication setting, which the API does not show.
    #[arg(long, value_enum, default_value_t = MatchOrderArg::Email)]
    pub match_order: MatchOrderArg,
    /// Estimate for `import --changed-only`: rows that are unchanged are not counted as sent.
    #[arg(long)]
    pub changed_only: bool,
    /// Plan against the built-in emulator (an empty location: every valid row is `create`).
    #[arg(long, conflicts_with = "token_file")]
    pub sandbox: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatchOrderArg {
    Email,
    Phone,
}

/// Pacing and batching, shared by `import` and `plan` (whose reads are paced the same way and
/// whose estimate uses the rate and batch size).
#[derive(Debug, Args)]
pub struct PacingArgs {
    /// Requests per window per location, e.g. 100/10s. Never exceeded in any window.
    #[arg(long, value_name = "N/DURATION", default_value = "100/10s")]
    pub rate_limit: RateLimit,
    /// The most requests in flight at once. Each location keeps as many in flight as its
    /// pace and the response times need (rate × latency), up to this.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// Requests of each location's daily limit to leave unused for its other integrations.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub daily_reserve: u64,
    /// The share of each location's daily limit this run may use, e.g. 0.5.
    #[arg(long, value_name = "FRACTION", value_parser = parse_share)]
    pub max_daily_share: Option<f64>,
    /// Contact ids per bulk tag call.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub tag_batch_size: u16,
    /// Attempts per request on 429, 5xx, timeouts and connection errors (the first included).
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,
    /// Time limit for one request.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}
