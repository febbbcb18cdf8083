//! The credentials file (`--credentials`, `GHL_CREDENTIALS`): which token each location's lane
//! uses. It holds secrets, so it must be readable by its owner only, and tokens refreshed
//! during a run are written back into it atomically (write, fsync, rename), keeping its
//! comments and layout.
//!
//! ```toml
//! [locations.ve9EPM428h8vShlRW1KT]
//! token = "pit-…"                       # a Private Integration Token of that sub-account
//! [locations.PX8m5VwxEbcpFlzYEPVG]
//! token_file = "/run/secrets/b.token"
//! [oauth]                               # an app's location tokens, refreshed as needed
//! client_id = "…"
//! client_secret_file = "/run/secrets/client-secret"
//! [locations.Q1w2E3r4T5y6U7i8O9p0]
//! refresh_token = "…"                   # access_token and expires_at are written back here
//! [agency]                              # or: an agency token that obtains location tokens
//! company_id = "…"
//! token_file = "/run/secrets/agency.token"   # or refresh_token = "…" (with [oauth])
//! ```

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::Deserialize;

use super::token::Token;

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("cannot read the credentials file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("the credentials file {path} can be read by others (mode {mode:o}); it holds tokens, so it is refused: run `chmod 600 {path}`")]
    Exposed { path: PathBuf, mode: u32 },
    #[error("the credentials file {0} is not valid: {1}")]
    Invalid(PathBuf, String),
    #[error("cannot read {what} from {path}: {source}")]
    SecretFile {
        what: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{what} in {path} is empty")]
    EmptySecret { what: String, path: PathBuf },
    #[error("{what} in {path}: {why}")]
    UnsendableSecret {
        what: String,
        path: PathBuf,
        why: String,
    },
    #[error("cannot save the refreshed token to {0}: {1}")]
    Persist(PathBuf, std::io::Error),
    #[error("{0} holds refresh tokens, which are replaced at each refresh, but its directory cannot be written ({1}); make it writable, or the first refresh would spend the token with nowhere to keep the new one")]
    NotWritable(PathBuf, std::io::Error),
}

/// The OAuth app whose client id and secret refresh tokens.
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: Token,
    /// For `ghl-import locations` (`GET /oauth/installedLocations` needs it).
    pub app_id: Option<String>,
}

/// An agency (company) token that obtains location tokens.
pub struct Agency {
    pub company_id: String,
    pub credential: Credential,
    pub app_id: Option<String>,
}

/// Which table of the file a refreshed token is written back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder<'a> {
    Location(&'a str),
    Agency,
}

/// How a location's lane (or the agency) gets its token.
pub enum Credential {
    /// A Private Integration Token (or any token used as is).
    Static(Token),
    /// An OAuth token: refreshed with the app's client credentials.
    OAuth {
        refresh_token: Token,
        /// The access token last issued and when it expires, if the file has them.
        access: Option<(Token, SystemTime)>,
    },
}

/// What the credentials file says (or what `GHL_TOKEN` and `--company-id` say).
pub struct Credentials {
    /// Where refreshed tokens are written back; `None` when there is no file.
    path: Option<PathBuf>,
    doc: Option<Mutex<toml_edit::DocumentMut>>,
    pub oauth: Option<OAuthApp>,
    pub agency: Option<Agency>,
    pub locations: BTreeMap<String, Credential>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("path", &self.path)
            .field("locations", &self.locations.keys().collect::<Vec<_>>())
            .field("oauth", &self.oauth.as_ref().map(|o| &o.client_id))
            .field("agency", &self.agency.as_ref().map(|a| &a.company_id))
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    oauth: Option<OAuthSpec>,
    agency: Option<AgencySpec>,
    #[serde(default)]
    locations: BTreeMap<String, LocationSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OAuthSpec {
    client_id: String,
    client_secret: Option<String>,
    client_secret_file: Option<PathBuf>,
    app_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgencySpec {
    company_id: String,
    token: Option<String>,
    token_file: Option<PathBuf>,
    refresh_token: Option<String>,
    access_token: Option<String>,
    expires_at: Option<String>,
    app_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationSpec {
    token: Option<String>,
    token_file: Option<PathBuf>,
    refresh_token: Option<String>,
    access_token: Option<String>,
    /// RFC 3339, written back with `access_token`.
    expires_at: Option<String>,
}

/// What the file holds for a refreshable token (as written back after a refresh).
struct Stored {
    refresh_token: Option<String>,
    access_token: Option<String>,
    expires_at: Option<String>,
}

/// Refuses a file that group or others may read or write (like ssh does with keys).
#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), CredentialsError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| CredentialsError::Read(path.into(), e))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CredentialsError::Exposed {
            path: path.into(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<(), CredentialsError> {
    Ok(())
}

/// Token files others can read are used with a warning: mounted secrets (`/run/secrets`)
/// are often world-readable.
pub(crate) fn warn_if_exposed(path: &Path, what: &str) {
    if let Err(CredentialsError::Exposed { mode, .. }) = check_private(path) {
        tracing::warn!(
            "{what}: {} can be read by others (mode {mode:o}); consider chmod 600",
            path.display()
        );
    }
}

/// A token file named by the credentials file, relative to it.
fn read_secret(base: &Path, file: &Path, what: &str) -> Result<Token, CredentialsError> {
    let path = base.parent().unwrap_or(Path::new(".")).join(file);
    let raw = std::fs::read_to_string(&path).map_err(|source| CredentialsError::SecretFile {
        what: what.to_owned(),
        path: path.clone(),
        source,
    })?;
    warn_if_exposed(&path, what);
    let token = Token::new(raw).ok_or_else(|| CredentialsError::EmptySecret {
        what: what.to_owned(),
        path: path.clone(),
    })?;
    token
        .sendable()
        .map_err(|why| CredentialsError::UnsendableSecret {
            what: what.to_owned(),
            path,
            why,
        })
}

/// Exactly one of an inline secret and a file holding it.
fn one_secret(
    base: &Path,
    inline: Option<String>,
    file: Option<PathBuf>,
    what: &str,
    names: (&str, &str),
) -> Result<Option<Token>, CredentialsError> {
    let invalid = |m: String| CredentialsError::Invalid(base.into(), m);
    match (inline, file) {
        (Some(_), Some(_)) => Err(invalid(format!(
            "{what}: give {} or {}, not both",
            names.0, names.1
        ))),
        (Some(t), None) => {
            let token =
                Token::new(t).ok_or_else(|| invalid(format!("{what}: {} is empty", names.0)))?;
            let token = token
                .sendable()
                .map_err(|why| invalid(format!("{what}: {}: {why}", names.0)))?;
            Ok(Some(token))
        }
        (None, Some(f)) => read_secret(base, &f, what).map(Some),
        (None, None) => Ok(None),
    }
}

impl Credentials {
    /// One token for every location (`GHL_TOKEN` or `--token-file`).
    pub fn agency_token(company_id: String, token: Token) -> Self {
        Credentials {
            path: None,
            doc: None,
            oauth: None,
            agency: Some(Agency {
                company_id,
                credential: Credential::Static(token),
                app_id: None,
            }),
            locations: BTreeMap::new(),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Reads and checks the file: its permissions first, then its shape.
    pub fn load(path: &Path) -> Result<Self, CredentialsError> {
        check_private(path)?;
        let text =
            std::fs::read_to_string(path).map_err(|e| CredentialsError::Read(path.into(), e))?;
        // toml's messages quote the offending line, which may hold a token: keep only the
        // line and column.
        let spec: FileSpec = toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start].matches('\n').count() + 1;
                    format!(" at line {line}")
                })
                .unwrap_or_default();
            let what = e.message().lines().next().unwrap_or("syntax error");
            let what = if what.contains('"') || what.contains('\'') {
                "a value or key is not allowed here".to_owned()
            } else {
                what.to_owned()
            };
            CredentialsError::Invalid(path.into(), format!("{what}{at}"))
        })?;
        let doc = text
            .parse::<toml_edit::DocumentMut>()
            .map_err(|_| CredentialsError::Invalid(path.into(), "not editable TOML".into()))?;
        let invalid = |m: String| CredentialsError::Invalid(path.into(), m);
        let oauth = match spec.oauth {
            Some(o) => {
                let secret = one_secret(
                    path,
                    o.client_secret,
                    o.client_secret_file,
                    "[oauth]",
                    ("client_secret", "client_secret_file"),
                )?
                .ok_or_else(|| {
                    invalid("[oauth] needs client_secret or client_secret_file".into())
                })?;
                Some(OAuthApp {
                    client_id: o.client_id,
                    client_secret: secret,
                    app_id: o.app_id,
                })
            }
            None => None,
        };
        let credential = |what: &str, fixed: Option<Token>, stored: Stored| {
            match (fixed, stored.refresh_token.and_then(Token::new)) {
                (Some(_), Some(_)) => Err(invalid(format!(
                    "{what}: give a token or a refresh_token, not both"
                ))),
                (Some(t), None) => Ok(Credential::Static(t)),
                (None, Some(_)) if oauth.is_none() => Err(invalid(format!(
                    "{what} has a refresh_token, which needs an [oauth] section with the app's client_id and client_secret"
                ))),
                (None, Some(refresh_token)) => {
                    let expires = stored
                        .expires_at
                        .as_deref()
                        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                        .map(SystemTime::from);
                    let access = stored.access_token.and_then(Token::new).zip(expires);
                    Ok(Credential::OAuth {
                        refresh_token,
                        access,
                    })
                }
                (None, None) => Err(invalid(format!(
                    "{what} needs token, token_file or refresh_token"
                ))),
            }
        };
        let agency = match spec.agency {
            Some(a) => {
                let fixed = one_secret(
                    path,
                    a.token,
                    a.token_file,
                    "[agency]",
                    ("token", "token_file"),
                )?;
                let stored = Stored {
                    refresh_token: a.refresh_token,
                    access_token: a.access_token,
                    expires_at: a.expires_at,
                };
                Some(Agency {
                    company_id: a.company_id,
                    credential: credential("[agency]", fixed, stored)?,
                    app_id: a.app_id,
                })
            }
            None => None,
        };
        let mut locations = BTreeMap::new();
        for (id, l) in spec.locations {
            let what = format!("[locations.{id}]");
            let fixed = one_secret(path, l.token, l.token_file, &what, ("token", "token_file"))?;
            let stored = Stored {
                refresh_token: l.refresh_token,
                access_token: l.access_token,
                expires_at: l.expires_at,
            };
            locations.insert(id, credential(&what, fixed, stored)?);
        }
        let refreshes = agency
            .iter()
            .map(|a| &a.credential)
            .chain(locations.values())
            .any(|c| matches!(c, Credential::OAuth { .. }));
        if refreshes {
            probe_writable(path).map_err(|e| CredentialsError::NotWritable(path.into(), e))?;
        }
        if locations.is_empty() && agency.is_none() {
            return Err(invalid(
                "it names no location ([locations.ID]) and no [agency]".into(),
            ));
        }
        Ok(Credentials {
            path: Some(path.to_owned()),
            doc: Some(Mutex::new(doc)),
            oauth,
            agency,
            locations,
        })
    }

    /// Writes a new refresh token (and the access token it came with) into the file,
    /// atomically, before the caller uses the access token.
    pub fn persist_refresh(
        &self,
        holder: Holder<'_>,
        refresh_token: &Token,
        access: &Token,
        expires_at: SystemTime,
    ) -> Result<(), CredentialsError> {
        let (Some(path), Some(doc)) = (&self.path, &self.doc) else {
            return Ok(());
        };
        let mut doc = doc.lock().unwrap_or_else(|e| e.into_inner());
        let expires = chrono::DateTime::<chrono::Utc>::from(expires_at)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let table = match holder {
            Holder::Location(location) => doc
                .entry("locations")
                .or_insert(toml_edit::table())
                .as_table_mut()
                .and_then(|t| {
                    t.set_implicit(true);
                    t.entry(location)
                        .or_insert(toml_edit::table())
                        .as_table_mut()
                }),
            Holder::Agency => doc
                .entry("agency")
                .or_insert(toml_edit::table())
                .as_table_mut(),
        }
        .ok_or_else(|| {
            CredentialsError::Persist(
                path.clone(),
                std::io::Error::other(format!("{holder:?} is not a table")),
            )
        })?;
        table["refresh_token"] = toml_edit::value(refresh_token.expose());
        table["access_token"] = toml_edit::value(access.expose());
        table["expires_at"] = toml_edit::value(expires);
        write_atomically(path, doc.to_string().as_bytes())
            .map_err(|e| CredentialsError::Persist(path.clone(), e))
    }
}

/// The file can be replaced: a sibling can be created next to it, and the file itself opened
/// for writing.
fn probe_writable(path: &Path) -> std::io::Result<()> {
    let probe = sibling(path, "probe");
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)?;
    std::fs::remove_file(&probe)?;
    std::fs::OpenOptions::new().append(true).open(path)?;
    Ok(())
}

/// `.NAME.PID.SUFFIX` next to `path`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "credentials".into());
    parent(path).join(format!(".{name}.{}.{suffix}", std::process::id()))
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Write a sibling, fsync it, rename it over `path`, fsync the directory: a crash leaves
/// either the old file or the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = parent(path);
    let tmp = sibling(path, "tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn private(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        p
    }

    #[test]
    fn reads_every_form_and_debug_shows_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        private(dir.path(), "b.token", "pit-bbbsecret\n");
        private(dir.path(), "cs", "client-secret-xyz\n");
        let p = private(
            dir.path(),
            "creds.toml",
            r#"
[locations.A]
token = "pit-aaasecret"
[locations.B]
token_file = "b.token"
[oauth]
client_id = "cid"
client_secret_file = "cs"
[locations.C]
refresh_token = "rt-cccsecret"
[agency]
company_id = "co1"
token = "agency-secret"
"#,
        );
        let c = Credentials::load(&p).unwrap();
        assert_eq!(c.locations.len(), 3);
        assert!(
            matches!(&c.locations["B"], Credential::Static(t) if t.expose() == "pit-bbbsecret")
        );
        assert!(matches!(
            &c.locations["C"],
            Credential::OAuth { access: None, .. }
        ));
        assert_eq!(
            c.oauth.as_ref().unwrap().client_secret.expose(),
            "client-secret-xyz"
        );
        let dbg = format!("{c:?}");
        for s in [
            "aaasecret",
            "bbbsecret",
            "cccsecret",
            "agency-secret",
            "client-secret",
        ] {
            assert!(!dbg.contains(s), "{dbg}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_file_others_can_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = private(dir.path(), "c.toml", "[locations.A]\ntoken = \"x\"\n");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Credentials::load(&p).unwrap_err().to_string();
        assert!(e.contains("chmod 600") && e.contains("644"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn refresh_tokens_in_a_file_that_cannot_be_replaced_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        // SAFETY: geteuid has no preconditions. Root writes anywhere: nothing to test then.
        if unsafe { libc::geteuid() } == 0 {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("ro");
        std::fs::create_dir(&sub).unwrap();
        let p = private(
            &sub,
            "c.toml",
            "[oauth]\nclient_id = \"c\"\nclient_secret = \"s\"\n[locations.A]\nrefresh_token = \"r\"\n",
        );
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o500)).unwrap();
        let e = Credentials::load(&p).map(|_| ()).unwrap_err();
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(matches!(e, CredentialsError::NotWritable(..)), "{e}");
    }

    #[test]
    fn errors_never_quote_a_secret() {
        let dir = tempfile::tempdir().unwrap();
        for text in [
            "[locations.A]\ntoken = \"sekrit-1\"\ntokn = \"sekrit-2\"\n",
            "[locations.A]\ntoken = \"sekrit-1\" junk\n",
            "[locations.A]\nrefresh_token = \"sekrit-1\"\n",
            "[locations.A]\ntoken = \"sekrit-1\"\nrefresh_token = \"sekrit-2\"\n",
            "[locations.A]\ntoken = \"sekrit 1\"\n",
        ] {
            let p = private(dir.path(), "c.toml", text);
            let e = Credentials::load(&p).unwrap_err().to_string();
            assert!(!e.contains("sekrit"), "{e}");
        }
    }

    #[test]
    fn a_token_that_cannot_be_sent_is_refused_on_loading_naming_where() {
        let dir = tempfile::tempdir().unwrap();
        private(dir.path(), "b.token", "pit-bbb\nqqq\n");
        let p = private(
            dir.path(),
            "c.toml",
            "[locations.A]\ntoken = \"pit-aaa\tzzz\"\n",
        );
        let e = Credentials::load(&p).unwrap_err().to_string();
        assert!(e.contains("a tab at character 8"), "{e}");
        assert!(!e.contains("zzz") && !e.contains("aaa"), "{e}");
        let p = private(
            dir.path(),
            "c.toml",
            "[locations.B]\ntoken_file = \"b.token\"\n",
        );
        let e = Credentials::load(&p).unwrap_err().to_string();
        assert!(
            e.contains("b.token") && e.contains("a line break at character 8"),
            "{e}"
        );
        assert!(!e.contains("bbb") && !e.contains("qqq"), "{e}");
    }

    #[test]
    fn a_refresh_is_written_back_keeping_comments() {
        let dir = tempfile::tempdir().unwrap();
        let p = private(
            dir.path(),
            "c.toml",
            "# my agency\n[oauth]\nclient_id = \"cid\"\nclient_secret = \"s\"\n\n[locations.Q]\nrefresh_token = \"old\" # rotated by ghl-import\n",
        );
        let c = Credentials::load(&p).unwrap();
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
        c.persist_refresh(
            Holder::Location("Q"),
            &Token::new("new-rt").unwrap(),
            &Token::new("new-at").unwrap(),
            at,
        )
        .unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with("# my agency\n"), "{text}");
        let again = Credentials::load(&p).unwrap();
        match &again.locations["Q"] {
            Credential::OAuth {
                refresh_token,
                access: Some((a, exp)),
            } => {
                assert_eq!(refresh_token.expose(), "new-rt");
                assert_eq!(a.expose(), "new-at");
                assert_eq!(*exp, at);
            }
            _ => panic!("{text}"),
        }
    }
}
