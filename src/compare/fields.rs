//! What a row would change on a contact. One comparison serves both `plan` (the fields an
//! update would change) and the import's fidelity check (the sent fields that did not stick),
//! so the two can never disagree about what "the same value" means.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;

use crate::contact::{ContactFields, Field, ValidRow};

/// A contact as HighLevel shows it (a listing entry, or the contact an upsert returns), reduced
/// to what the importer can send. Read leniently: a field of an unexpected type is left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RemoteContact {
    /// `None` for a contact that only exists in the plan (an earlier row would create it).
    pub id: Option<String>,
    /// The input row that would create this contact, for a contact that only exists in the
    /// plan.
    pub created_by_row: Option<u64>,
    /// Standard fields by API name, as text (`dnd` as `true`/`false`).
    pub fields: BTreeMap<&'static str, String>,
    pub tags: Vec<String>,
    pub business_id: Option<String>,
    /// Custom field values by field id.
    pub custom_fields: BTreeMap<String, Value>,
}

/// One entry of a contact's `customFields`: its id and value (`None` without an id).
fn custom_field(item: &Value) -> Option<(String, Value)> {
    let fid = item.get("id").and_then(Value::as_str)?;
    let value = ["value", "fieldValue", "field_value"]
        .iter()
        .find_map(|k| item.get(*k))
        .cloned()
        .unwrap_or(Value::Null);
    Some((fid.to_owned(), value))
}

impl RemoteContact {
    /// Reads a contact object; `None` if it has no id.
    pub fn from_json(v: &Value) -> Option<RemoteContact> {
        let obj = v.as_object()?;
        RemoteContact::from_fields(|name| obj.get(name).cloned())
    }

    /// Reads a contact from its properties, each taken (at most once) by name: from an
    /// object, or from the few an upsert answer kept, whose text is then moved, not copied.
    /// `None` if it has no id.
    pub fn from_fields(mut take: impl FnMut(&str) -> Option<Value>) -> Option<RemoteContact> {
        let Value::String(id) = take("id")? else {
            return None;
        };
        let dnd = take("dndSettings");
        let mut fields = BTreeMap::new();
        // The standard fields an upsert body can carry (tags and business go through bulk
        // calls; the location is the request's).
        for f in Field::ALL
            .into_iter()
            .filter(|f| !matches!(f, Field::Tags | Field::BusinessId | Field::LocationId))
        {
            if let Some(channel) = f.dnd_channel() {
                let status = dnd
                    .as_ref()
                    .and_then(|d| d.get(channel))
                    .and_then(|c| c.get("status"))
                    .and_then(Value::as_str);
                if let Some(status) = status {
                    fields.insert(f.api_name(), status.to_owned());
                }
                continue;
            }
            let text = match take(f.api_name()) {
                Some(Value::String(s)) if !s.trim().is_empty() => s,
                Some(Value::Bool(b)) => b.to_string(),
                Some(Value::Number(n)) => n.to_string(),
                _ => continue,
            };
            fields.insert(f.api_name(), text);
        }
        let tags = match take("tags") {
            Some(Value::Array(a)) => a
                .into_iter()
                .filter_map(|t| match t {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let mut custom_fields = BTreeMap::new();
        if let Some(Value::Array(items)) = take("customFields") {
            for item in &items {
                if let Some((fid, value)) = custom_field(item) {
                    custom_fields.insert(fid, value);
                }
            }
        }
        let business_id = match take("businessId") {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            _ => None,
        };
        Some(RemoteContact {
            id: Some(id),
            created_by_row: None,
            fields,
            tags,
            business_id,
            custom_fields,
        })
    }

    /// The contact of an upsert answer, if it is the whole contact (the spec says it is); an
    /// answer with little more than the id cannot show what stuck, so it is not checked.
    pub fn from_upsert_answer(v: &Value) -> Option<RemoteContact> {
        let obj = v.as_object()?;
        let shows_keys = obj.contains_key("email") || obj.contains_key("phone");
        if !shows_keys {
            return None;
        }
        RemoteContact::from_json(v)
    }

    /// How a warning names this contact.
    pub fn label(&self) -> String {
        match (&self.id, self.created_by_row) {
            (Some(id), _) => format!("contact {id}"),
            (None, Some(row)) => format!("the contact row {row} would create"),
            (None, None) => "a new contact".into(),
        }
    }

    /// The contact after `row` was written to it, except the `skip` key (a conflicting match
    /// key HighLevel ignores). Tags are added, never replaced.
    pub fn apply(&mut self, row: &ValidRow, skip: Option<Field>) {
        for (field, value) in sent_fields(&row.contact) {
            if Some(field) != skip {
                self.fields.insert(field.api_name(), value.into_owned());
            }
        }
        for cf in &row.contact.custom_fields {
            if let Some(id) = cf.id.as_ref().or(cf.key.as_ref()) {
                self.custom_fields
                    .insert(id.clone(), cf.field_value.clone());
            }
        }
        for t in &row.tags {
            if !self.tags.iter().any(|x| x.eq_ignore_ascii_case(t)) {
                self.tags.push(t.clone());
            }
        }
        if let Some(b) = &row.business_id {
            self.business_id = Some(b.clone());
        }
    }

    pub fn email(&self) -> Option<&str> {
        self.fields.get("email").map(String::as_str)
    }

    pub fn phone(&self) -> Option<&str> {
        self.fields.get("phone").map(String::as_str)
    }
}

/// One sent value the contact does not have.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDiff {
    /// The API name (`gender`), `tags`, `businessId`, or a custom field's key (its id when the
    /// key is unknown).
    pub field: String,
    pub sent: String,
    /// What the contact has; `None` when it has nothing.
    pub kept: Option<String>,
}

impl FieldDiff {
    /// The fidelity warning: short, with both values.
    pub fn did_not_stick(&self) -> String {
        format!(
            "{} was sent as '{}' but HighLevel kept {}",
            self.field,
            short(&self.sent),
            self.kept
                .as_deref()
                .map_or_else(|| "nothing".to_owned(), |k| format!("'{}'", short(k)))
        )
    }
}

fn short(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

/// The standard fields of an upsert body with their values as text (borrowed from the body
/// where they are text already).
pub fn sent_fields(c: &ContactFields) -> Vec<(Field, Cow<'_, str>)> {
    let text = [
        (Field::FirstName, &c.first_name),
        (Field::LastName, &c.last_name),
        (Field::Name, &c.name),
        (Field::Email, &c.email),
        (Field::Phone, &c.phone),
        (Field::Gender, &c.gender),
        (Field::Address1, &c.address1),
        (Field::City, &c.city),
        (Field::State, &c.state),
        (Field::PostalCode, &c.postal_code),
        (Field::Website, &c.website),
        (Field::Timezone, &c.timezone),
        (Field::Source, &c.source),
        (Field::DateOfBirth, &c.date_of_birth),
        (Field::Country, &c.country),
        (Field::CompanyName, &c.company_name),
        (Field::AssignedTo, &c.assigned_to),
    ];
    let mut out: Vec<(Field, Cow<'_, str>)> = text
        .into_iter()
        .filter_map(|(f, v)| v.as_deref().map(|v| (f, Cow::Borrowed(v))))
        .collect();
    if let Some(d) = c.dnd {
        out.push((Field::Dnd, Cow::Borrowed(if d { "true" } else { "false" })));
    }
    for (f, status) in c.dnd_settings.channels() {
        out.push((f, Cow::Borrowed(status)));
    }
    out
}

/// The fields of an upsert body whose value differs from the contact's, after normalisation
/// (emails and country/gender ignoring case, phones by digits, dates as dates, custom fields
/// by id and value). `skip` leaves out a match key HighLevel would not write.
///
/// A custom field sent by key only (its id unknown, e.g. not checked online) cannot be matched
/// to the contact's `{id, value}` list and is left out.
pub fn diff_sent(
    c: &ContactFields,
    contact: &RemoteContact,
    skip: Option<Field>,
) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    for (field, sent) in sent_fields(c) {
        if Some(field) == skip {
            continue;
        }
        let kept = contact.fields.get(field.api_name());
        if !kept.is_some_and(|k| same(field, &sent, k)) {
            out.push(FieldDiff {
                field: field.api_name().to_owned(),
                sent: sent.into_owned(),
                kept: kept.cloned(),
            });
        }
    }
    for cf in &c.custom_fields {
        let Some(id) = &cf.id else { continue };
        let kept = contact.custom_fields.get(id).filter(|v| !v.is_null());
        if !kept.is_some_and(|k| same_value(&cf.field_value, k)) {
            out.push(FieldDiff {
                field: cf.label.clone().unwrap_or_else(|| id.clone()),
                sent: value_text(&cf.field_value),
                kept: kept.map(value_text),
            });
        }
    }
    out
}

/// [`diff_sent`] plus what the bulk calls would change: tags the contact lacks (ignoring
/// case) and a different business.
pub fn diff_row(row: &ValidRow, contact: &RemoteContact, skip: Option<Field>) -> Vec<FieldDiff> {
    let mut out = diff_sent(&row.contact, contact, skip);
    let missing: Vec<&str> = row
        .tags
        .iter()
        .filter(|t| !contact.tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        out.push(FieldDiff {
            field: "tags".into(),
            sent: missing.join(", "),
            kept: (!contact.tags.is_empty()).then(|| contact.tags.join(", ")),
        });
    }
    if let Some(b) = &row.business_id {
        if contact.business_id.as_deref() != Some(b.as_str()) {
            out.push(FieldDiff {
                field: "businessId".into(),
                sent: b.clone(),
                kept: contact.business_id.clone(),
            });
        }
    }
    out
}

/// Whether two values of a standard field are the same to HighLevel.
fn same(field: Field, sent: &str, kept: &str) -> bool {
    let (sent, kept) = (sent.trim(), kept.trim());
    match field {
        Field::Email
        | Field::Country
        | Field::Gender
        | Field::Dnd
        | Field::DndEmail
        | Field::DndCall
        | Field::DndSms => same_lowercase(sent, kept),
        Field::Phone => digits(sent).eq(digits(kept)),
        Field::DateOfBirth => match (as_date(sent), as_date(kept)) {
            (Some(a), Some(b)) => a == b,
            _ => sent == kept,
        },
        _ => sent == kept,
    }
}

fn digits(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().filter(char::is_ascii_digit)
}

/// `a.to_lowercase() == b.to_lowercase()`, without the two copies when both are ASCII.
fn same_lowercase(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// A date written as `YYYY-MM-DD`, an ISO timestamp (its date part, as written), or epoch
/// milliseconds.
fn as_date(s: &str) -> Option<chrono::NaiveDate> {
    let s = s.trim();
    if let Some(d) = iso_date(s) {
        return Some(d);
    }
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '-') {
        let ms: i64 = s.parse().ok()?;
        return chrono::DateTime::from_timestamp_millis(ms).map(|d| d.date_naive());
    }
    None
}

/// `YYYY-MM-DD`, alone or starting an ISO timestamp.
fn iso_date(s: &str) -> Option<chrono::NaiveDate> {
    let d = chrono::NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?;
    (s.len() == 10 || s[10..].starts_with(['T', ' '])).then_some(d)
}

/// Whether two custom field values are the same: lists as sets, numbers as numbers, dates as
/// dates, text trimmed.
fn same_value(sent: &Value, kept: &Value) -> bool {
    let mut a = atoms(sent);
    let mut b = atoms(kept);
    a.sort();
    b.sort();
    a.dedup();
    b.dedup();
    if a == b {
        return true;
    }
    // A DATE field may come back as epoch milliseconds.
    match (a.as_slice(), kept) {
        ([date], Value::Number(n)) => {
            iso_date(date).is_some()
                && iso_date(date) == n.as_i64().and_then(|ms| as_date(&ms.to_string()))
        }
        _ => false,
    }
}

fn atoms(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().flat_map(atoms).collect(),
        Value::Null => Vec::new(),
        Value::Number(n) => vec![n.as_f64().map_or_else(|| n.to_string(), |f| f.to_string())],
        Value::String(s) => {
            let s = s.trim();
            if let Ok(f) = s.parse::<f64>() {
                vec![f.to_string()]
            } else if let Some(d) = as_date(s) {
                vec![d.to_string()]
            } else {
                vec![s.to_owned()]
            }
        }
        other => vec![other.to_string()],
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::CustomFieldInput;
    use serde_json::json;

    fn contact(v: Value) -> RemoteContact {
        RemoteContact::from_json(&v).unwrap()
    }

    #[test]
    fn normalised_values_are_the_same() {
        let c = contact(json!({
            "id": "c1", "email": "Ann@Example.com", "phone": "+1 (415) 555-2671",
            "dateOfBirth": "1990-09-25T00:00:00.000Z", "country": "us", "dnd": false,
            "customFields": [{"id": "f1", "value": "120.50"}, {"id": "f2", "value": ["b", "a"]}]
        }));
        let sent = ContactFields {
            email: Some("ann@example.com".into()),
            phone: Some("+14155552671".into()),
            date_of_birth: Some("1990-09-25".into()),
            country: Some("US".into()),
            dnd: Some(false),
            custom_fields: vec![
                CustomFieldInput {
                    id: Some("f1".into()),
                    key: None,
                    field_value: json!(120.5),
                    label: Some("contact.lifetime_value".into()),
                    column: None,
                },
                CustomFieldInput {
                    id: Some("f2".into()),
                    key: None,
                    field_value: json!(["a", "b"]),
                    label: None,
                    column: None,
                },
            ],
            ..ContactFields::default()
        };
        assert_eq!(diff_sent(&sent, &c, None), []);
    }

    #[test]
    fn differences_name_the_field_and_both_values() {
        let c = contact(json!({"id": "c1", "gender": "male", "tags": ["Lead"],
            "customFields": [{"id": "f1", "value": 3}]}));
        let row = ValidRow {
            contact: ContactFields {
                gender: Some("female".into()),
                city: Some("Oslo".into()),
                custom_fields: vec![CustomFieldInput {
                    id: Some("f1".into()),
                    key: None,
                    field_value: json!(4),
                    label: Some("contact.employees".into()),
                    column: None,
                }],
                ..ContactFields::default()
            },
            tags: vec!["lead".into(), "vip".into()],
            business_id: Some("b1".into()),
            location_id: None,
            warnings: vec![],
        };
        let d = diff_row(&row, &c, None);
        let names: Vec<&str> = d.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(
            names,
            ["gender", "city", "contact.employees", "tags", "businessId"]
        );
        assert_eq!(
            d[0].did_not_stick(),
            "gender was sent as 'female' but HighLevel kept 'male'"
        );
        assert_eq!(
            d[1].did_not_stick(),
            "city was sent as 'Oslo' but HighLevel kept nothing"
        );
        assert_eq!(d[3].sent, "vip", "only the tags the contact lacks");
        assert_eq!(diff_row(&row, &c, Some(Field::Gender)).len(), 4);
    }

    #[test]
    fn apply_adds_tags_and_keeps_the_skipped_key() {
        let mut c = contact(json!({"id": "c1", "phone": "+14155550100", "tags": ["a"]}));
        let row = ValidRow {
            contact: ContactFields {
                phone: Some("+14155550199".into()),
                first_name: Some("Al".into()),
                ..ContactFields::default()
            },
            tags: vec!["A".into(), "b".into()],
            business_id: None,
            location_id: None,
            warnings: vec![],
        };
        c.apply(&row, Some(Field::Phone));
        assert_eq!(c.phone(), Some("+14155550100"));
        assert_eq!(c.fields["firstName"], "Al");
        assert_eq!(c.tags, ["a", "b"]);
        assert!(diff_row(&row, &c, Some(Field::Phone)).is_empty());
    }

    #[test]
    fn odd_shapes_do_not_panic() {
        assert!(RemoteContact::from_json(&json!({"email": "x@y.z"})).is_none());
        assert!(RemoteContact::from_json(&json!([1, 2])).is_none());
        let c = contact(
            json!({"id": "c", "tags": "notalist", "customFields": [1, {"id": 2}],
            "dateOfBirth": 638323200000u64, "firstName": {"a": 1}}),
        );
        assert!(c.tags.is_empty() && c.custom_fields.is_empty());
        assert!(!c.fields.contains_key("firstName"));
        assert!(same(
            Field::DateOfBirth,
            "1990-03-25",
            &c.fields["dateOfBirth"]
        ));
    }

    #[test]
    fn keys_compare_case_blind_and_phones_by_digits() {
        assert!(same(Field::Email, " Ann@X.com", "ann@x.COM "));
        assert!(!same(Field::Email, "ann@x.com", "anne@x.com"));
        // Not ASCII: what `to_lowercase` says (the Kelvin sign is a `k`).
        assert!(same(Field::Email, "ÄB\u{212a}@x.com", "äbk@x.com"));
        assert!(!same(Field::Email, "äb@x.com", "ab@x.com"));
        assert!(same(Field::Gender, "Female", "female"));
        assert!(same(Field::Phone, "+1 (555) 010-0000", "15550100000"));
        assert!(!same(Field::Phone, "+1 555 0100", "+1 555 01000"));
        assert!(!same(Field::FirstName, "Ann", "ann"));
    }
}
