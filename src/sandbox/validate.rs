//! Request-body validation against the OpenAPI schemas, with NestJS/class-validator messages.
//!
//! The real server is a NestJS app with `whitelist` + `forbidNonWhitelisted`, so unknown
//! properties are refused with "property X should not exist" (observed in issues 262/313). The
//! other messages are class-validator's defaults for the decorators the schema implies.

use serde_json::{Map, Value};

/// The JSON type a property must have.
#[derive(Clone, Copy)]
pub(crate) enum Ty {
    Str,
    Bool,
    StrArray,
    Enum(&'static [&'static str]),
    Obj(&'static [Prop]),
    /// `customFields[]`: checked item by item here, resolved against the location later.
    CustomFields,
}

/// One property of a schema.
pub(crate) struct Prop {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
}

const fn opt(name: &'static str, ty: Ty) -> Prop {
    Prop {
        name,
        ty,
        required: false,
    }
}

const fn req(name: &'static str, ty: Ty) -> Prop {
    Prop {
        name,
        ty,
        required: true,
    }
}

const DND_STATUS: &[&str] = &["active", "inactive", "permanent"];
const INBOUND_STATUS: &[&str] = &["active", "inactive"];

const DND_SETTING: &[Prop] = &[
    req("status", Ty::Enum(DND_STATUS)),
    opt("message", Ty::Str),
    opt("code", Ty::Str),
];
const DND_SETTINGS: &[Prop] = &[
    opt("Call", Ty::Obj(DND_SETTING)),
    opt("Email", Ty::Obj(DND_SETTING)),
    opt("SMS", Ty::Obj(DND_SETTING)),
    opt("WhatsApp", Ty::Obj(DND_SETTING)),
    opt("GMB", Ty::Obj(DND_SETTING)),
    opt("FB", Ty::Obj(DND_SETTING)),
];
const INBOUND_SETTING: &[Prop] = &[
    req("status", Ty::Enum(INBOUND_STATUS)),
    opt("message", Ty::Str),
];
const INBOUND_SETTINGS: &[Prop] = &[opt("all", Ty::Obj(INBOUND_SETTING))];

macro_rules! contact_props {
    ($($extra:expr),*) => {
        &[
            opt("firstName", Ty::Str),
            opt("lastName", Ty::Str),
            opt("name", Ty::Str),
            opt("email", Ty::Str),
            req("locationId", Ty::Str),
            opt("gender", Ty::Str),
            opt("phone", Ty::Str),
            opt("address1", Ty::Str),
            opt("city", Ty::Str),
            opt("state", Ty::Str),
            opt("postalCode", Ty::Str),
            opt("website", Ty::Str),
            opt("timezone", Ty::Str),
            opt("dnd", Ty::Bool),
            opt("dndSettings", Ty::Obj(DND_SETTINGS)),
            opt("inboundDndSettings", Ty::Obj(INBOUND_SETTINGS)),
            opt("tags", Ty::StrArray),
            opt("customFields", Ty::CustomFields),
            opt("source", Ty::Str),
            opt("dateOfBirth", Ty::Str),
            opt("country", Ty::Str),
            opt("companyName", Ty::Str),
            opt("assignedTo", Ty::Str),
            $($extra),*
        ]
    };
}

/// `UpsertContactDto`.
pub(crate) const UPSERT: &[Prop] = contact_props!(opt("createNewIfDuplicateAllowed", Ty::Bool));
/// `CreateContactDto`.
pub(crate) const CREATE: &[Prop] = contact_props!();
/// `UpdateContactDto`: no locationId, gender, companyName or createNewIfDuplicateAllowed.
pub(crate) const UPDATE: &[Prop] = &[
    opt("firstName", Ty::Str),
    opt("lastName", Ty::Str),
    opt("name", Ty::Str),
    opt("email", Ty::Str),
    opt("phone", Ty::Str),
    opt("address1", Ty::Str),
    opt("city", Ty::Str),
    opt("state", Ty::Str),
    opt("postalCode", Ty::Str),
    opt("website", Ty::Str),
    opt("timezone", Ty::Str),
    opt("dnd", Ty::Bool),
    opt("dndSettings", Ty::Obj(DND_SETTINGS)),
    opt("inboundDndSettings", Ty::Obj(INBOUND_SETTINGS)),
    opt("tags", Ty::StrArray),
    opt("customFields", Ty::CustomFields),
    opt("source", Ty::Str),
    opt("dateOfBirth", Ty::Str),
    opt("country", Ty::Str),
    opt("assignedTo", Ty::Str),
];
/// `UpdateTagsDTO`.
pub(crate) const UPDATE_TAGS: &[Prop] = &[
    req("contacts", Ty::StrArray),
    req("tags", Ty::StrArray),
    req("locationId", Ty::Str),
    opt("removeAllTags", Ty::Bool),
];
/// `ContactsBusinessUpdate`.
pub(crate) const BUSINESS: &[Prop] = &[
    req("locationId", Ty::Str),
    req("ids", Ty::StrArray),
    // Required but nullable: `null` removes the business.
    req("businessId", Ty::Str),
];

/// Keys a custom-field input item may carry (`fieldValue` and `value` are accepted aliases).
const CUSTOM_FIELD_KEYS: &[&str] = &["id", "key", "field_value", "fieldValue", "value"];

/// Validates `body` against `props`; returns the class-validator messages (empty = valid).
pub(crate) fn validate(body: &Map<String, Value>, props: &[Prop]) -> Vec<String> {
    let mut errors = Vec::new();
    check_object(body, props, "", &mut errors);
    if let Some(Value::String(email)) = body.get("email") {
        if !looks_like_email(email) {
            errors.push("email must be an email".to_string());
        }
    }
    if let Some(Value::String(dob)) = body.get("dateOfBirth") {
        if parse_date_of_birth(dob).is_none() {
            errors.push(
                "dateOfBirth must be a date in one of the formats YYYY/MM/DD, MM/DD/YYYY, \
                 YYYY-MM-DD, MM-DD-YYYY, YYYY.MM.DD, MM.DD.YYYY, YYYY_MM_DD, MM_DD_YYYY"
                    .to_string(),
            );
        }
    }
    errors
}

fn check_object(obj: &Map<String, Value>, props: &[Prop], prefix: &str, errors: &mut Vec<String>) {
    for key in obj.keys() {
        if !props.iter().any(|p| p.name == key) {
            errors.push(format!("property {prefix}{key} should not exist"));
        }
    }
    for prop in props {
        let name = format!("{prefix}{}", prop.name);
        match obj.get(prop.name) {
            None => {
                if prop.required {
                    errors.push(format!("{name} should not be empty"));
                    type_error(prop.ty, &name, errors);
                }
            }
            // class-validator's @IsOptional lets null through; required-and-null is only
            // legal for businessId, which the business handler treats as "remove".
            Some(Value::Null) => {
                if prop.required && prop.name != "businessId" {
                    errors.push(format!("{name} should not be empty"));
                }
            }
            Some(value) => check_value(value, prop.ty, &name, errors),
        }
    }
}

fn type_error(ty: Ty, name: &str, errors: &mut Vec<String>) {
    let msg = match ty {
        Ty::Str => format!("{name} must be a string"),
        Ty::Bool => format!("{name} must be a boolean value"),
        Ty::StrArray | Ty::CustomFields => format!("{name} must be an array"),
        Ty::Enum(values) => format!(
            "{name} must be one of the following values: {}",
            values.join(", ")
        ),
        Ty::Obj(_) => format!("nested property {name} must be either object or array"),
    };
    errors.push(msg);
}

fn check_value(value: &Value, ty: Ty, name: &str, errors: &mut Vec<String>) {
    match ty {
        Ty::Str => {
            if !value.is_string() {
                type_error(ty, name, errors);
            }
        }
        Ty::Bool => {
            if !value.is_boolean() {
                type_error(ty, name, errors);
            }
        }
        Ty::Enum(values) => {
            if !value.as_str().is_some_and(|s| values.contains(&s)) {
                type_error(ty, name, errors);
            }
        }
        Ty::StrArray => match value.as_array() {
            None => type_error(ty, name, errors),
            Some(items) => {
                if !items.iter().all(Value::is_string) {
                    errors.push(format!("each value in {name} must be a string"));
                }
            }
        },
        Ty::Obj(props) => match value.as_object() {
            None => type_error(ty, name, errors),
            Some(obj) => check_object(obj, props, &format!("{name}."), errors),
        },
        Ty::CustomFields => match value.as_array() {
            None => type_error(ty, name, errors),
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    let at = format!("{name}.{i}");
                    let Some(obj) = item.as_object() else {
                        errors.push(format!(
                            "nested property {at} must be either object or array"
                        ));
                        continue;
                    };
                    for key in obj.keys() {
                        if !CUSTOM_FIELD_KEYS.contains(&key.as_str()) {
                            errors.push(format!("property {at}.{key} should not exist"));
                        }
                    }
                    for key in ["id", "key"] {
                        if obj.get(key).is_some_and(|v| !v.is_string()) {
                            errors.push(format!("{at}.{key} must be a string"));
                        }
                    }
                    if !obj.get("id").is_some_and(Value::is_string)
                        && !obj.get("key").is_some_and(Value::is_string)
                    {
                        errors.push(format!("{at}.id should not be empty"));
                    }
                }
            }
        },
    }
}

/// class-validator's `IsEmail`, roughly: one `@`, a non-empty local part, a dotted domain.
pub(crate) fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !s.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|part| !part.is_empty())
}

/// Parses the eight formats the spec lists into `YYYY-MM-DD`.
pub(crate) fn parse_date_of_birth(s: &str) -> Option<String> {
    let sep = s.chars().find(|c| matches!(c, '/' | '-' | '.' | '_'))?;
    let parts: Vec<&str> = s.split(sep).collect();
    if parts.len() != 3
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let (y, m, d) = if parts[0].len() == 4 {
        (parts[0], parts[1], parts[2])
    } else if parts[2].len() == 4 {
        (parts[2], parts[0], parts[1])
    } else {
        return None;
    };
    let (y, m, d): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let date = chrono::NaiveDate::from_ymd_opt(y, m, d)?;
    Some(date.format("%Y-%m-%d").to_string())
}

/// Phone as HighLevel compares it: `+` and digits. Ten digits without `+` are taken as a US
/// number (the sandbox's locations are US locations).
pub(crate) fn normalize_phone(s: &str) -> Option<String> {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    if s.trim_start().starts_with('+') {
        Some(format!("+{digits}"))
    } else if digits.len() == 10 {
        Some(format!("+1{digits}"))
    } else {
        Some(format!("+{digits}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages() {
        let body = json!({"locationId": "x", "dnd": "yes", "tags": [1], "foo": 1, "email": "nope",
            "dndSettings": {"Call": {"status": "maybe"}}, "customFields": [{"value": 1}]});
        let errs = validate(body.as_object().unwrap(), UPSERT);
        assert!(
            errs.contains(&"property foo should not exist".into()),
            "{errs:?}"
        );
        assert!(errs.contains(&"dnd must be a boolean value".into()));
        assert!(errs.contains(&"each value in tags must be a string".into()));
        assert!(errs.contains(&"email must be an email".into()));
        assert!(errs
            .iter()
            .any(|e| e.starts_with("dndSettings.Call.status must be one of")));
        assert!(errs.contains(&"customFields.0.id should not be empty".into()));
        let errs = validate(json!({}).as_object().unwrap(), UPSERT);
        assert_eq!(
            errs,
            vec![
                "locationId should not be empty",
                "locationId must be a string"
            ]
        );
    }

    #[test]
    fn dates_and_phones() {
        assert_eq!(
            parse_date_of_birth("09/25/1990").as_deref(),
            Some("1990-09-25")
        );
        assert_eq!(
            parse_date_of_birth("1990_09_25").as_deref(),
            Some("1990-09-25")
        );
        assert_eq!(parse_date_of_birth("1990-13-01"), None);
        assert_eq!(parse_date_of_birth("25 Sep 1990"), None);
        assert_eq!(
            normalize_phone("+1 888-888-8888").as_deref(),
            Some("+18888888888")
        );
        assert_eq!(
            normalize_phone("(888) 888-8888").as_deref(),
            Some("+18888888888")
        );
        assert_eq!(normalize_phone("n/a"), None);
    }
}
