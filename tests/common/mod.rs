//! Test harness: an in-process sandbox on 127.0.0.1 that records every request, and the
//! built binary pointed at it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ghl_import::sandbox::{self, RecordedRequest, SandboxConfig, SandboxHandle};

pub const TOKEN: &str = "test-token-7f3a9c1e5b";
pub const LOCATION: &str = "loc-test-1";

pub struct Env {
    pub rt: tokio::runtime::Runtime,
    pub sandbox: SandboxHandle,
    pub dir: tempfile::TempDir,
}

/// A sandbox scaled down for fast tests: 20 requests per 200 ms.
pub fn fast_config() -> SandboxConfig {
    SandboxConfig {
        token: Some(TOKEN.to_owned()),
        rate_max: 20,
        rate_interval: std::time::Duration::from_millis(200),
        record_requests: true,
        seed: Some(7),
        ..SandboxConfig::default()
    }
}

impl Env {
    pub fn new() -> Env {
        Env::with(fast_config())
    }

    pub fn with(config: SandboxConfig) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = rt.block_on(sandbox::start(config)).unwrap();
        Env {
            rt,
            sandbox,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    /// The binary with the sandbox's URL, token and location in its environment, at the
    /// sandbox's pace.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ghl-import"));
        c.current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("GHL_TOKEN", TOKEN)
            .env("GHL_BASE_URL", self.sandbox.base_url())
            .env("GHL_LOCATION_ID", LOCATION)
            .env("GHL_IMPORT_STATE", self.state_path());
        c
    }

    /// The state store every run of this test shares (resume, --changed-only).
    pub fn state_path(&self) -> PathBuf {
        self.path("state.db")
    }

    /// `import FILE --report report.csv` plus `extra`, at 20/200ms unless `extra` sets a rate.
    pub fn import(&self, file: &Path, extra: &[&str]) -> Output {
        let mut c = self.cmd();
        c.arg("import")
            .arg(file)
            .arg("--report")
            .arg(self.path("report.csv"));
        if !extra.contains(&"--rate-limit") {
            c.args(["--rate-limit", "20/200ms"]);
        }
        c.args(extra);
        c.output().unwrap()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.sandbox.requests()
    }

    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }
}

/// Reads a CSV report into header-keyed rows.
pub fn read_report(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// JSONL with nested objects: an address, and HubSpot's API shape (`properties`).
pub const NESTED_JSONL: &str = concat!(
    r#"{"email":"ann@example.com","address":{"street":"1 Main St","city":"Boston","zip":"02108"}}"#,
    "\n",
    r#"{"properties":{"email":"bob@example.com","firstname":"Bo"},"id":"123"}"#,
    "\n",
);
