//! Custom field values checked against a location's definitions
//! (`GET /locations/{id}/customFields`): the key must exist, and the value must fit the
//! field's type and options. The import and `validate` (with a token) call the same check.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use crate::contact::{CustomFieldInput, RowError};

/// One custom field of a location, as HighLevel lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomFieldDef {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// `contact.lifetime_value`
    #[serde(default)]
    pub field_key: String,
    #[serde(default)]
    pub data_type: String,
    #[serde(default)]
    pub picklist_options: Vec<Value>,
}

/// `{"customFields": [...]}`
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomFieldsResponse {
    #[serde(default)]
    pub custom_fields: Vec<CustomFieldDef>,
}

/// A location's custom fields, by key (with and without `contact.`) and by id.
#[derive(Debug, Clone, Default)]
pub struct CustomFieldSet {
    defs: Vec<CustomFieldDef>,
    by_name: HashMap<String, usize>,
}

impl CustomFieldSet {
    pub fn new(defs: Vec<CustomFieldDef>) -> Self {
        let mut by_name = HashMap::new();
        for (i, d) in defs.iter().enumerate() {
            by_name.insert(d.id.clone(), i);
            if !d.field_key.is_empty() {
                let key = d.field_key.to_lowercase();
                if let Some(short) = key.strip_prefix("contact.") {
                    by_name.insert(short.to_owned(), i);
                }
                by_name.insert(key, i);
            }
        }
        CustomFieldSet { defs, by_name }
    }

    /// Definitions a mapping file declares (key, type, options), for checking offline.
    pub fn declared(fields: Vec<(String, String, Vec<String>)>) -> Self {
        CustomFieldSet::new(
            fields
                .into_iter()
                .map(|(key, data_type, options)| CustomFieldDef {
                    id: key.clone(),
                    name: key.clone(),
                    field_key: key,
                    data_type,
                    picklist_options: options.into_iter().map(Value::String).collect(),
                })
                .collect(),
        )
    }

    /// Checks and normalises the values of the fields this set knows, leaving keys as they
    /// are and other fields alone: the offline half of [`CustomFieldSet::check`].
    pub fn check_known(&self, fields: &mut [CustomFieldInput]) -> Vec<RowError> {
        let mut errors = Vec::new();
        for f in fields.iter_mut() {
            let Some(def) = self.find(f) else { continue };
            match normalise(def, &f.field_value) {
                Ok(v) => f.field_value = v,
                Err(m) => errors.push(RowError::new(
                    None,
                    format!("custom field {} ({}): {m}", def.field_key, def.data_type),
                )),
            }
        }
        errors
    }

    pub fn len(&self) -> usize {
        self.defs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    fn find(&self, field: &CustomFieldInput) -> Option<&CustomFieldDef> {
        let name = field.id.as_deref().or(field.key.as_deref())?;
        self.by_name
            .get(name)
            .or_else(|| self.by_name.get(&name.to_lowercase()))
            .map(|i| &self.defs[*i])
    }

    /// Resolves every field to its id and normalises its value for its type; returns the
    /// problems, each naming the field.
    pub fn check(&self, fields: &mut [CustomFieldInput]) -> Vec<RowError> {
        let mut errors = Vec::new();
        for f in fields.iter_mut() {
            let label = f.key.clone().or_else(|| f.id.clone()).unwrap_or_default();
            let Some(def) = self.find(f) else {
                errors.push(RowError::new(
                    None,
                    format!("custom field {label}: the location has no such custom field"),
                ));
                continue;
            };
            match normalise(def, &f.field_value) {
                Ok(v) => {
                    f.field_value = v;
                    f.id = Some(def.id.clone());
                    f.label = Some(if def.field_key.is_empty() {
                        label.clone()
                    } else {
                        def.field_key.clone()
                    });
                    f.key = None;
                }
                Err(m) => errors.push(RowError::new(
                    None,
                    format!("custom field {label} ({}): {m}", def.data_type),
                )),
            }
        }
        errors
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Array(items) => items.iter().map(as_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

fn as_list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(as_text)
            .filter(|s| !s.is_empty())
            .collect(),
        other => as_text(other)
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
    }
}

fn options(def: &CustomFieldDef) -> Vec<String> {
    def.picklist_options
        .iter()
        .filter_map(|o| match o {
            Value::String(s) => Some(s.clone()),
            Value::Object(m) => m
                .get("label")
                .or_else(|| m.get("value"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => None,
        })
        .collect()
}

/// The option as the location spells it, matched ignoring case.
fn pick(def: &CustomFieldDef, value: &str) -> Result<String, String> {
    let opts = options(def);
    if opts.is_empty() {
        return Ok(value.to_owned());
    }
    opts.iter()
        .find(|o| o.eq_ignore_ascii_case(value))
        .cloned()
        .ok_or_else(|| {
            format!(
                "\"{value}\" is not one of its options ({})",
                opts.join(", ")
            )
        })
}

fn normalise(def: &CustomFieldDef, v: &Value) -> Result<Value, String> {
    match def.data_type.as_str() {
        "NUMERICAL" | "MONETORY" => {
            if let Value::Number(_) = v {
                return Ok(v.clone());
            }
            let text = as_text(v);
            // Exports write money as "$1,250.50" or "1 250,50 €": accept the common
            // thousands separators and currency signs, not decimal commas.
            let cleaned: String = text
                .chars()
                .filter(|c| !matches!(c, ',' | ' ' | '$' | '€' | '£' | '¥'))
                .collect();
            cleaned
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| format!("\"{text}\" is not a number"))
        }
        "CHECKBOX" | "MULTIPLE_OPTIONS" => {
            let picked: Result<Vec<String>, String> =
                as_list(v).iter().map(|s| pick(def, s)).collect();
            Ok(Value::Array(
                picked?.into_iter().map(Value::String).collect(),
            ))
        }
        "SINGLE_OPTIONS" | "RADIO" => Ok(Value::String(pick(def, &as_text(v))?)),
        "DATE" => super::normalise_date(&as_text(v)).map(Value::String),
        "FILE_UPLOAD" => Err("file upload fields cannot be set from a file of contacts".to_owned()),
        _ => Ok(Value::String(as_text(v))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set() -> CustomFieldSet {
        let r: CustomFieldsResponse = serde_json::from_value(json!({"customFields": [
            {"id": "f1", "name": "Lifetime Value", "fieldKey": "contact.lifetime_value", "dataType": "MONETORY"},
            {"id": "f2", "fieldKey": "contact.favourite_colour", "dataType": "SINGLE_OPTIONS", "picklistOptions": ["Red", "Green"]},
            {"id": "f3", "fieldKey": "contact.interests", "dataType": "MULTIPLE_OPTIONS", "picklistOptions": ["Sports", "Music"]},
            {"id": "f4", "fieldKey": "contact.signup_date", "dataType": "DATE"},
            {"id": "f5", "fieldKey": "contact.notes", "dataType": "LARGE_TEXT"},
            {"id": "f6", "fieldKey": "contact.file", "dataType": "FILE_UPLOAD"}
        ]}))
        .unwrap();
        CustomFieldSet::new(r.custom_fields)
    }

    fn field(key: &str, v: Value) -> CustomFieldInput {
        CustomFieldInput {
            id: None,
            key: Some(key.into()),
            field_value: v,
            label: None,
        }
    }

    #[test]
    fn resolves_keys_to_ids_and_normalises_values() {
        let mut f = vec![
            field("contact.lifetime_value", json!("$1,250.50")),
            field("favourite_colour", json!("red")),
            field("contact.interests", json!("music, sports")),
            field("contact.signup_date", json!("12/25/2020")),
            field("contact.notes", json!(" hello ")),
        ];
        assert!(set().check(&mut f).is_empty());
        assert_eq!(f[0].id.as_deref(), Some("f1"));
        assert_eq!(f[0].key, None);
        assert_eq!(f[0].field_value, json!(1250.5));
        assert_eq!(f[1].field_value, json!("Red"));
        assert_eq!(f[2].field_value, json!(["Music", "Sports"]));
        assert_eq!(f[3].field_value, json!("2020-12-25"));
        assert_eq!(f[4].field_value, json!("hello"));
    }

    #[test]
    fn declared_types_check_values_offline_and_keep_keys() {
        let set = CustomFieldSet::declared(vec![
            ("contact.lifetime_value".into(), "MONETORY".into(), vec![]),
            (
                "contact.tier".into(),
                "SINGLE_OPTIONS".into(),
                vec!["Gold".into(), "Silver".into()],
            ),
        ]);
        let mut f = vec![
            field("contact.lifetime_value", json!("1,200")),
            field("contact.tier", json!("gold")),
            field("contact.undeclared", json!("anything")),
        ];
        assert!(set.check_known(&mut f).is_empty());
        assert_eq!(f[0].field_value, json!(1200.0));
        assert_eq!(
            f[0].key.as_deref(),
            Some("contact.lifetime_value"),
            "keys stay for the online check"
        );
        assert_eq!(f[1].field_value, json!("Gold"));
        let mut bad = vec![
            field("contact.lifetime_value", json!("n/a")),
            field("contact.tier", json!("Bronze")),
        ];
        let errors: Vec<String> = set
            .check_known(&mut bad)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(errors.len(), 2);
        assert!(
            errors[0].contains("contact.lifetime_value") && errors[1].contains("Bronze"),
            "{errors:?}"
        );
    }

    #[test]
    fn mismatches_name_the_field() {
        let mut f = vec![
            field("contact.lifetime_value", json!("lots")),
            field("contact.favourite_colour", json!("Purple")),
            field("contact.interests", json!(["Music", "Knitting"])),
            field("contact.signup_date", json!("2020-02-30")),
            field("contact.nope", json!("x")),
            field("contact.file", json!("a.pdf")),
        ];
        let errors: Vec<String> = set()
            .check(&mut f)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(errors.len(), 6, "{errors:?}");
        assert!(errors[0].contains("contact.lifetime_value") && errors[0].contains("not a number"));
        assert!(errors[1].contains("Purple") && errors[1].contains("Red, Green"));
        assert!(errors[2].contains("Knitting"));
        assert!(errors[3].contains("contact.signup_date"));
        assert!(errors[4].contains("no such custom field"));
        assert!(errors[5].contains("file upload"));
    }
}
