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
            Some(Variant {
                name: v.get("name")?.as_str()?.to_owned(),
                columns: strings(v.get("columns")?)?,
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

    /// The variant's typical columns that `headers` has.
    pub fn found(&self, headers: &[String]) -> Vec<&'static str> {
        let have: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
        self.variant
            .columns
            .iter()
            .filter(|c| have.contains(&normalise_header(c)))
            .map(String::as_str)
            .collect()
    }
}

/// How `preset` fits `headers`: its best variant by share, then by count.
pub fn score(preset: &'static Preset, headers: &[String]) -> Detection {
    let have: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
    preset
        .variants
        .iter()
        .map(|v| Detection {
            preset,
            variant: v,
            matched: v
                .columns
                .iter()
                .filter(|d| have.contains(&normalise_header(d)))
                .count(),
            total: v.columns.len(),
        })
        // The first listed variant wins a tie.
        .reduce(|best, d| {
            let better = (d.share(), d.matched) > (best.share(), best.matched);
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
    let strong = best.share() >= MIN_SHARE && best.matched >= MIN_MATCHED;
    let clear = s.get(1).is_none_or(|second| second.share() < best.share());
    (strong && clear).then_some(best)
}

#[cfg(test)]
#[path = "presets_tests.rs"]
mod tests;
