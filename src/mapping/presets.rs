//! Built-in mappings for other CRMs' contact exports. Each preset is a mapping file (in
//! `presets/`) plus the headers that identify the export, so what a preset does can be read
//! (and copied into a user's own mapping file) as plain TOML.

use std::sync::OnceLock;

use super::{normalise_header, MappingSpec, Target};

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
            Some(Variant {
                name: v.get("name")?.as_str()?.to_owned(),
                columns,
                prefix,
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
    let spec = MappingSpec::from_table(&table, text, &format!("preset {id}")).ok()?;
    Some(Preset {
        id,
        name,
        variants,
        first_column,
        list_separator,
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
        self.share() >= MIN_SHARE && self.matched >= MIN_MATCHED
    }

    /// The variant's typical columns that `headers` has (by prefix: the headers with it).
    pub fn found(&self, headers: &[String]) -> Vec<String> {
        if let Some(prefix) = &self.variant.prefix {
            return headers
                .iter()
                .filter(|h| has_prefix(h, prefix))
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
            Some(p) => format!(
                "{} of the file's {} columns start with '{p}'",
                self.matched, self.total
            ),
            None => format!(
                "{} of its {} typical columns are in the file",
                self.matched, self.total
            ),
        }
    }
}

fn has_prefix(header: &str, prefix: &str) -> bool {
    normalise_header(header).starts_with(&normalise_header(prefix))
}

/// How `preset` fits `headers`: its best variant by share, then by count.
pub fn score(preset: &'static Preset, headers: &[String]) -> Detection {
    let have: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
    preset
        .variants
        .iter()
        .map(|v| match &v.prefix {
            Some(p) => Detection {
                preset,
                variant: v,
                matched: headers.iter().filter(|h| has_prefix(h, p)).count(),
                total: headers.iter().filter(|h| !h.trim().is_empty()).count(),
            },
            None => Detection {
                preset,
                variant: v,
                matched: v
                    .columns
                    .iter()
                    .filter(|d| have.contains(&normalise_header(d)))
                    .count(),
                total: v.columns.len(),
            },
        })
        // The first listed variant wins a tie; a list that fits names the layout better
        // than a prefix does.
        .reduce(|best, d| {
            let key = |d: &Detection| {
                (
                    d.variant.prefix.is_none() && d.strong(),
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
/// between two presets picks neither.
pub fn detect(headers: &[String]) -> Option<Detection> {
    let s = scores(headers);
    let best = *s.first()?;
    let strong = best.strong();
    let clear = s.get(1).is_none_or(|second| second.share() < best.share());
    (strong && clear).then_some(best)
}

#[cfg(test)]
#[path = "presets_tests.rs"]
mod tests;
