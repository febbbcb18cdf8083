//! Built-in mappings for other CRMs' contact exports. Each preset is a mapping file (in
//! `presets/`) plus the headers that identify the export, so what a preset does can be read
//! (and copied into a user's own mapping file) as plain TOML.

use std::sync::OnceLock;

use super::{normalise_header, MappingSpec, Target};
use crate::validation::dates::DateOrder;

pub struct Preset {
    /// What `--preset` and `preset = "…"` take.
    pub id: &'static str,
    /// For people: "HubSpot".
    pub name: String,
    /// The export's known layouts (a default view, an all-properties export …), each with
    /// headers typical of it and unlikely elsewhere; detection scores their share.
    pub variants: Vec<Variant>,
    /// The field the first column holds whatever its label (Mailchimp's email).
    pub first_column: Option<Target>,
    /// What separates the values of a list cell in this export (HubSpot's `;`): tags columns
    /// without a `split` of their own are split on it.
    pub list_separator: Option<String>,
    /// How the export writes dates (Outlook's and Keap's M/D/YYYY): the order of a date
    /// column whose own dates do not settle it.
    pub date_order: Option<DateOrder>,
    /// Columns the preset does not import whose dates are written as the export's others
    /// (Zoho's `Created Time`): their order, when they settle it, is the date columns' too.
    pub date_evidence: Vec<String>,
    /// What the export's columns that map to nothing usually are, and how to keep them:
    /// said after them (Mailchimp's group columns hold tags).
    pub unmapped_hint: Option<String>,
    pub spec: MappingSpec,
}

/// One layout of an export.
#[derive(Debug)]
pub struct Variant {
    /// For people: "Data Export (API names)".
    pub name: String,
    pub columns: Vec<String>,
    /// A prefix every column of this layout starts with (Pipedrive's `Person - `): the
    /// export's columns are the user's choice, so its share of the file's columns is scored
    /// instead of a list's.
    pub prefix: Option<String>,
    /// Further prefixes of the same export (a Pipedrive deals export's `Deal - `,
    /// `Organization - ` beside its `Person - ` columns): their headers count with the
    /// prefix's, in a file that has some of the prefix's.
    pub also_prefixes: Vec<String>,
}

const SOURCES: [(&str, &str); 8] = [
    ("hubspot", include_str!("presets/hubspot.toml")),
    ("salesforce", include_str!("presets/salesforce.toml")),
    ("pipedrive", include_str!("presets/pipedrive.toml")),
    ("mailchimp", include_str!("presets/mailchimp.toml")),
    ("zoho", include_str!("presets/zoho.toml")),
    ("keap", include_str!("presets/keap.toml")),
    ("google", include_str!("presets/google.toml")),
    ("outlook", include_str!("presets/outlook.toml")),
];

/// The ids `--preset` accepts, `none` aside.
pub const IDS: [&str; 8] = [
    "hubspot",
    "salesforce",
    "pipedrive",
    "mailchimp",
    "zoho",
    "keap",
    "google",
    "outlook",
];

/// Below this share of a variant's distinctive headers, a preset is not chosen by itself.
pub const MIN_SHARE: f64 = 0.5;
/// Nor with fewer than this many of them: a few common headers are weak evidence.
pub const MIN_MATCHED: usize = 3;
/// Or with at least this many headers no other export has (Zoho's `Contact Owner.id`,
/// `Mailing Zip`): a user-chosen column set of a long export still names its CRM …
pub const MIN_UNIQUE: usize = 3;
/// … if they are not a few stray ones (`Home City`, `Home State` in a Thunderbird file).
pub const MIN_UNIQUE_SHARE: f64 = 0.25;

pub fn all() -> &'static [Preset] {
    static ALL: OnceLock<Vec<Preset>> = OnceLock::new();
    ALL.get_or_init(|| {
        SOURCES
            .iter()
            .filter_map(|(id, text)| parse(id, text))
            .collect()
    })
}

/// `None` only if a built-in file is broken, which a unit test rules out.
fn parse(id: &'static str, text: &str) -> Option<Preset> {
    let mut table: toml::Table = toml::from_str(text).ok()?;
    let meta = table.remove("preset")?;
    let name = meta.get("name")?.as_str()?.to_owned();
    let strings = |v: &toml::Value| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let variants = meta
        .get("variant")?
        .as_array()?
        .iter()
        .map(|v| {
            let prefix = match v.get("prefix") {
                Some(p) => Some(p.as_str()?.to_owned()),
                None => None,
            };
            let columns = match (v.get("columns"), &prefix) {
                (Some(c), _) => strings(c)?,
                (None, Some(_)) => Vec::new(),
                (None, None) => return None,
            };
            let also_prefixes = match v.get("also_prefixes") {
                Some(a) => strings(a)?,
                None => Vec::new(),
            };
            Some(Variant {
                name: v.get("name")?.as_str()?.to_owned(),
                columns,
                prefix,
                also_prefixes,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let first_column = match meta.get("first_column") {
        Some(v) => Some(super::target_by_name(v.as_str()?).ok()?),
        None => None,
    };
    let list_separator = match meta.get("list_separator") {
        Some(v) => Some(v.as_str()?.to_owned()),
        None => None,
    };
    let date_order = match meta.get("date_order").map(toml::Value::as_str) {
        None => None,
        Some(Some("month-first")) => Some(DateOrder::MonthFirst),
        Some(Some("day-first")) => Some(DateOrder::DayFirst),
        Some(_) => return None,
    };
    let date_evidence = match meta.get("date_evidence") {
        Some(v) => strings(v)?,
        None => Vec::new(),
    };
    let unmapped_hint = match meta.get("unmapped") {
        Some(v) => Some(v.as_str()?.to_owned()),
        None => None,
    };
    let spec = MappingSpec::from_table(&table, text, &format!("preset {id}")).ok()?;
    Some(Preset {
        id,
        name,
        variants,
        first_column,
        list_separator,
        date_order,
        date_evidence,
        unmapped_hint,
        spec,
    })
}

pub fn by_id(id: &str) -> Option<&'static Preset> {
    let id = id.trim().to_ascii_lowercase();
    all().iter().find(|p| p.id == id)
}

/// How well a file's headers fit a preset: its best-fitting variant.
#[derive(Debug, Clone, Copy)]
pub struct Detection {
    pub preset: &'static Preset,
    pub variant: &'static Variant,
    pub matched: usize,
    pub total: usize,
    /// Of `matched`, the headers that no other preset lists or maps.
    pub unique: usize,
    /// Some of `matched` have one of the variant's `also_prefixes`.
    pub by_also: bool,
}

impl std::fmt::Debug for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

impl Detection {
    pub fn share(&self) -> f64 {
        self.matched as f64 / self.total.max(1) as f64
    }

    /// Enough evidence to pick the preset by itself.
    pub fn strong(&self) -> bool {
        self.by_share() || (self.unique >= MIN_UNIQUE && self.share() >= MIN_UNIQUE_SHARE)
    }

    /// Enough of the layout's typical columns, whatever other exports have.
    fn by_share(&self) -> bool {
        self.share() >= MIN_SHARE && self.matched >= MIN_MATCHED
    }

    /// The variant's typical columns that `headers` has (by prefix: the headers with it).
    pub fn found(&self, headers: &[String]) -> Vec<String> {
        if self.variant.prefix.is_some() {
            return headers
                .iter()
                .filter(|h| self.variant.prefixed(h))
                .cloned()
                .collect();
        }
        let have: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
        self.variant
            .columns
            .iter()
            .filter(|c| have.contains(&normalise_header(c)))
            .cloned()
            .collect()
    }

    /// Why the variant fits, for people: "7 of its 9 typical columns are in the file", or
    /// "4 of the file's 4 columns start with 'Person - '".
    pub fn evidence(&self) -> String {
        match &self.variant.prefix {
            Some(p) if self.by_also => {
                let mut all: Vec<String> = std::iter::once(p)
                    .chain(&self.variant.also_prefixes)
                    .map(|p| format!("'{p}'"))
                    .collect();
                let last = all.pop().unwrap_or_default();
                format!(
                    "{} of the file's {} columns start with {} or {last}",
                    self.matched,
                    self.total,
                    all.join(", ")
                )
            }
            Some(p) => format!(
                "{} of the file's {} columns start with '{p}'",
                self.matched, self.total
            ),
            None if self.unique > 0 => format!(
                "{} of its {} typical columns are in the file, {} of them found in no other export",
                self.matched, self.total, self.unique
            ),
            None => format!(
                "{} of its {} typical columns are in the file",
                self.matched, self.total
            ),
        }
    }
}

/// Each preset's headers (listed or mapped by name), normalised: what makes a header
/// unique to one export.
fn known_headers() -> &'static [(&'static str, Vec<String>)] {
    static KNOWN: OnceLock<Vec<(&'static str, Vec<String>)>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        all()
            .iter()
            .map(|p| {
                let listed = p.variants.iter().flat_map(|v| &v.columns);
                let mapped = p
                    .spec
                    .columns
                    .iter()
                    .map(|(name, _)| name)
                    .filter(|n| !n.contains('*'));
                (
                    p.id,
                    listed.chain(mapped).map(|h| normalise_header(h)).collect(),
                )
            })
            .collect()
    })
}

/// No preset but `id` lists or maps this (normalised) header.
fn unique_to(id: &str, header: &str) -> bool {
    known_headers()
        .iter()
        .all(|(other, names)| *other == id || !names.iter().any(|n| n == header))
}

fn has_prefix(header: &str, prefix: &str) -> bool {
    normalise_header(header).starts_with(&normalise_header(prefix))
}

impl Variant {
    /// The header starts with the variant's prefix or one of its further ones.
    fn prefixed(&self, header: &str) -> bool {
        self.prefix
            .iter()
            .chain(&self.also_prefixes)
            .any(|p| has_prefix(header, p))
    }
}

/// How `preset` fits `headers`: its best variant by share, then by count.
pub fn score(preset: &'static Preset, headers: &[String]) -> Detection {
    let have: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
    preset
        .variants
        .iter()
        .map(|v| match &v.prefix {
            Some(p) => {
                let own = headers.iter().filter(|h| has_prefix(h, p)).count();
                let matched = match own {
                    0 => 0,
                    _ => headers.iter().filter(|h| v.prefixed(h)).count(),
                };
                Detection {
                    preset,
                    variant: v,
                    matched,
                    total: headers.iter().filter(|h| !h.trim().is_empty()).count(),
                    unique: 0,
                    by_also: matched > own,
                }
            }
            None => {
                let found: Vec<String> = v
                    .columns
                    .iter()
                    .map(|c| normalise_header(c))
                    .filter(|c| have.contains(c))
                    .collect();
                Detection {
                    preset,
                    variant: v,
                    matched: found.len(),
                    total: v.columns.len(),
                    unique: found.iter().filter(|c| unique_to(preset.id, c)).count(),
                    by_also: false,
                }
            }
        })
        // The first listed variant wins a tie; a list that fits names the layout better
        // than a prefix does.
        .reduce(|best, d| {
            let key = |d: &Detection| {
                (
                    d.variant.prefix.is_none() && d.by_share(),
                    d.share(),
                    d.matched,
                )
            };
            let better = key(&d) > key(&best);
            if better {
                d
            } else {
                best
            }
        })
        .expect("every preset has a variant")
}

/// Every preset's score against `headers`, best first.
pub fn scores(headers: &[String]) -> Vec<Detection> {
    let mut out: Vec<Detection> = all().iter().map(|p| score(p, headers)).collect();
    out.sort_by(|a, b| b.share().total_cmp(&a.share()));
    out
}

/// The preset these headers came from, if the evidence is strong and points one way: a tie
/// between two presets picks neither. Of two that fit, the one that imports more of the
/// file's columns wins (a wrong preset loses the columns it does not know, which no preset
/// would have imported), then the one with more headers no other export has, then the one
/// with the larger share of its typical columns.
pub fn detect(headers: &[String]) -> Option<Detection> {
    let mut fits: Vec<(Detection, usize)> = scores(headers)
        .into_iter()
        .filter(Detection::strong)
        .map(|d| (d, super::imported_columns(d.preset, headers)))
        .collect();
    let key = |(d, imported): &(Detection, usize)| (*imported, d.unique, d.share());
    let order = |a: &(Detection, usize), b: &(Detection, usize)| {
        let (a, b) = (key(a), key(b));
        (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2))
    };
    fits.sort_by(|a, b| order(b, a));
    let best = fits.first()?;
    let clear = fits.get(1).is_none_or(|second| order(best, second).is_gt());
    clear.then_some(best.0)
}

#[cfg(test)]
#[path = "presets_tests.rs"]
mod tests;
