//! Columns matched to the location's own custom fields, as HighLevel's CSV import does: a
//! column that matches no contact field is matched by the custom field's name (`Lifetime
//! Value`) or key (`lifetime_value`, `contact.lifetime_value`), ignoring case, spaces and
//! punctuation. A preset's stand-in for a field HighLevel lacks (HubSpot's lifecycle stage
//! as a tag) is a fallback: the location's custom field of that name wins over it.

use super::{Mapper, Rule, Target};
use crate::contact::Field;
use crate::validation::custom_fields::CustomFieldDef;

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The definition a header names, by name or key.
pub fn find<'a>(header: &str, defs: &'a [CustomFieldDef]) -> Option<&'a CustomFieldDef> {
    let h = squash(header);
    if h.is_empty() {
        return None;
    }
    defs.iter().find(|d| {
        let key = d.field_key.to_lowercase();
        let short = key.strip_prefix("contact.").unwrap_or(&key);
        squash(&d.name) == h || squash(short) == h || squash(&key) == h
    })
}

impl Mapper {
    /// Whether some column could still go to a custom field of the location.
    pub fn may_match_custom_fields(&self) -> bool {
        self.candidates().iter().any(|c| *c)
    }

    /// Per CSV column: unmapped (with auto-detection on), or a preset's tag stand-in.
    pub fn candidates(&self) -> Vec<bool> {
        let Some(headers) = &self.headers else {
            return Vec::new();
        };
        let preset_tags: Vec<String> = self
            .preset
            .as_ref()
            .map(|(d, _)| {
                d.preset
                    .spec
                    .columns
                    .iter()
                    .filter(|(_, r)| r.target == Target::Field(Field::Tags))
                    .map(|(name, _)| super::normalise_header(name))
                    .collect()
            })
            .unwrap_or_default();
        headers
            .iter()
            .zip(&self.columns)
            .map(|(header, rule)| match rule {
                None => self.auto,
                Some(r) => {
                    r.target == Target::Field(Field::Tags)
                        && preset_tags.contains(&super::normalise_header(header))
                        && self.spec_rules.get(header).is_none_or(|s| s == r)
                }
            })
            .collect()
    }

    /// Maps unmapped CSV columns (and preset tag stand-ins) to the location's custom fields
    /// they name. Returns (column, field key) for each column matched this way.
    pub fn match_custom_fields(&mut self, defs: &[CustomFieldDef]) -> Vec<(String, String)> {
        let Some(headers) = self.headers.clone() else {
            return Vec::new();
        };
        let candidates = self.candidates();
        let mut matched = Vec::new();
        for (i, header) in headers.iter().enumerate() {
            if !candidates[i] {
                continue;
            }
            let Some(def) = find(header, defs) else {
                continue;
            };
            let key = if def.field_key.is_empty() {
                def.id.clone()
            } else {
                def.field_key.clone()
            };
            let target = Target::CustomField(key.clone());
            let taken = self.columns.iter().flatten().any(|r| {
                matches!(&r.target, Target::CustomField(k) if k.eq_ignore_ascii_case(&key) || *k == def.id)
            });
            if taken {
                continue;
            }
            self.columns[i] = Some(Rule::new(target));
            matched.push((header.clone(), key));
        }
        matched
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(id: &str, name: &str, key: &str) -> CustomFieldDef {
        CustomFieldDef {
            id: id.into(),
            name: name.into(),
            field_key: key.into(),
            data_type: "TEXT".into(),
            picklist_options: vec![],
        }
    }

    #[test]
    fn headers_match_names_and_keys() {
        let defs = [
            def("f1", "Lifetime Value", "contact.lifetime_value"),
            def("f2", "Stage", "contact.lifecycle_stage"),
        ];
        assert_eq!(find("Lifetime Value", &defs).unwrap().id, "f1");
        assert_eq!(find("lifetime_value", &defs).unwrap().id, "f1");
        assert_eq!(find("Lifecycle Stage", &defs).unwrap().id, "f2");
        assert_eq!(find("STAGE", &defs).unwrap().id, "f2");
        assert!(find("Notes", &defs).is_none());
        assert!(find("", &defs).is_none());
    }
}
