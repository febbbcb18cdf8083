//! The contact as the importer understands it: the fields HighLevel's `UpsertContactDto`
//! accepts, and the validated row that carries one to the pipeline.
//!
//! Every field is optional and skipped when absent: an empty cell means "leave the field
//! alone", so nothing here can serialise to `null` or `""` and blank an existing contact.

use serde::Serialize;

/// A standard HighLevel contact field, or one of the importer's routing fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    FirstName,
    LastName,
    Name,
    Email,
    Phone,
    Gender,
    Address1,
    City,
    State,
    PostalCode,
    Website,
    Timezone,
    Dnd,
    /// Do-not-disturb for one channel (`dndSettings.Email` …): an opt-out in the old CRM.
    DndEmail,
    DndCall,
    DndSms,
    Source,
    DateOfBirth,
    Country,
    CompanyName,
    AssignedTo,
    /// Not sent in the upsert body: added through the bulk tag endpoint.
    Tags,
    /// Not sent in the upsert body: set through the bulk business endpoint.
    BusinessId,
    /// Routes the row to a location (several locations per file).
    LocationId,
}

impl Field {
    pub const ALL: [Field; 24] = [
        Field::FirstName,
        Field::LastName,
        Field::Name,
        Field::Email,
        Field::Phone,
        Field::Gender,
        Field::Address1,
        Field::City,
        Field::State,
        Field::PostalCode,
        Field::Website,
        Field::Timezone,
        Field::Dnd,
        Field::DndEmail,
        Field::DndCall,
        Field::DndSms,
        Field::Source,
        Field::DateOfBirth,
        Field::Country,
        Field::CompanyName,
        Field::AssignedTo,
        Field::Tags,
        Field::BusinessId,
        Field::LocationId,
    ];

    /// The property name in HighLevel's API (and in mapping files).
    pub fn api_name(self) -> &'static str {
        match self {
            Field::FirstName => "firstName",
            Field::LastName => "lastName",
            Field::Name => "name",
            Field::Email => "email",
            Field::Phone => "phone",
            Field::Gender => "gender",
            Field::Address1 => "address1",
            Field::City => "city",
            Field::State => "state",
            Field::PostalCode => "postalCode",
            Field::Website => "website",
            Field::Timezone => "timezone",
            Field::Dnd => "dnd",
            Field::DndEmail => "dndSettings.Email",
            Field::DndCall => "dndSettings.Call",
            Field::DndSms => "dndSettings.SMS",
            Field::Source => "source",
            Field::DateOfBirth => "dateOfBirth",
            Field::Country => "country",
            Field::CompanyName => "companyName",
            Field::AssignedTo => "assignedTo",
            Field::Tags => "tags",
            Field::BusinessId => "businessId",
            Field::LocationId => "locationId",
        }
    }

    /// The `dndSettings` channel this field sets, for the per-channel opt-outs.
    pub fn dnd_channel(self) -> Option<&'static str> {
        match self {
            Field::DndEmail => Some("Email"),
            Field::DndCall => Some("Call"),
            Field::DndSms => Some("SMS"),
            _ => None,
        }
    }

    /// Parses an API property name exactly as `api_name` spells it.
    pub fn from_api_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.api_name() == name)
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.api_name())
    }
}

/// One custom field value in the upsert body. HighLevel takes either `id` or `key`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomFieldInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub field_value: serde_json::Value,
    /// The field's key for messages, kept when `key` gives way to the resolved `id`.
    #[serde(skip)]
    pub label: Option<String>,
    /// The input column the value came from, for warnings; `None` for constants.
    #[serde(skip)]
    pub column: Option<String>,
}

/// The upsert body without `locationId` and without `tags` (tags overwrite; they go through
/// the bulk endpoint instead).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dnd: Option<bool>,
    /// Per-channel do-not-disturb (`DndSettingsSchema`). Only ever `active`: an import
    /// records an opt-out, it never lifts one.
    #[serde(skip_serializing_if = "DndSettings::is_empty")]
    pub dnd_settings: DndSettings,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomFieldInput>,
}

/// `dndSettings` of the upsert body: the channels to mark do-not-disturb.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DndSettings {
    #[serde(rename = "Call", skip_serializing_if = "Option::is_none")]
    pub call: Option<DndSetting>,
    #[serde(rename = "Email", skip_serializing_if = "Option::is_none")]
    pub email: Option<DndSetting>,
    #[serde(rename = "SMS", skip_serializing_if = "Option::is_none")]
    pub sms: Option<DndSetting>,
}

/// `DndSettingSchema`; `status` is one of `active`, `inactive`, `permanent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DndSetting {
    pub status: String,
}

impl DndSettings {
    pub fn is_empty(&self) -> bool {
        self.call.is_none() && self.email.is_none() && self.sms.is_none()
    }

    /// Marks `field`'s channel (`Field::DndEmail` …) do-not-disturb; other fields are ignored.
    pub fn set_active(&mut self, field: Field) {
        let slot = match field {
            Field::DndEmail => &mut self.email,
            Field::DndCall => &mut self.call,
            Field::DndSms => &mut self.sms,
            _ => return,
        };
        *slot = Some(DndSetting {
            status: "active".into(),
        });
    }

    /// (field, status) for each channel set.
    pub fn channels(&self) -> Vec<(Field, &str)> {
        [
            (Field::DndEmail, &self.email),
            (Field::DndCall, &self.call),
            (Field::DndSms, &self.sms),
        ]
        .into_iter()
        .filter_map(|(f, s)| s.as_ref().map(|s| (f, s.status.as_str())))
        .collect()
    }
}

/// A row that passed validation: everything the pipeline needs to send it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValidRow {
    pub contact: ContactFields,
    /// Tags to add (deduplicated, order kept). Includes `--tag` values.
    pub tags: Vec<String>,
    pub business_id: Option<String>,
    /// From a `locationId` column; `None` means the run's `--location`.
    pub location_id: Option<String>,
    /// Cells left out of the body and notes on values sent, one per cell, for the report.
    pub warnings: Vec<String>,
}

/// One problem with one row, tied to the column it came from when there is one. Kept as the
/// report's line (`column '…': message`) in one allocation: rows with warnings are common in
/// real files, and building the column, the message and then the line took three.
#[derive(Clone, PartialEq, Eq)]
pub struct RowError {
    line: String,
    /// Where the message starts in `line`; 0 when there is no column.
    message_at: usize,
}

const COLUMN_OPEN: &str = "column '";
const COLUMN_CLOSE: &str = "': ";

impl RowError {
    pub fn new(column: Option<&str>, message: impl Into<String>) -> Self {
        let message = message.into();
        match column {
            None => RowError {
                line: message,
                message_at: 0,
            },
            Some(c) => Self::build(Some(c), message.len(), |s| s.push_str(&message)),
        }
    }

    /// Formats the message straight after the column's prefix, in the same string.
    pub fn formatted(column: Option<&str>, message: std::fmt::Arguments<'_>) -> Self {
        Self::build(column, 64, |s| {
            // Writing to a String cannot fail.
            let _ = std::fmt::Write::write_fmt(s, message);
        })
    }

    /// A line made of the column's prefix and what `write` adds, `room` bytes reserved for it.
    pub fn build(column: Option<&str>, room: usize, write: impl FnOnce(&mut String)) -> Self {
        let prefix = column.map_or(0, |c| COLUMN_OPEN.len() + c.len() + COLUMN_CLOSE.len());
        let mut line = String::with_capacity(prefix + room);
        if let Some(c) = column {
            line.push_str(COLUMN_OPEN);
            line.push_str(c);
            line.push_str(COLUMN_CLOSE);
        }
        write(&mut line);
        RowError {
            line,
            message_at: prefix,
        }
    }

    /// The input column (CSV header or JSONL key) as the user wrote it.
    pub fn column(&self) -> Option<&str> {
        (self.message_at > 0)
            .then(|| &self.line[COLUMN_OPEN.len()..self.message_at - COLUMN_CLOSE.len()])
    }

    pub fn message(&self) -> &str {
        &self.line[self.message_at..]
    }

    /// The report's line for it (as `Display` writes it), with no copy.
    pub fn into_line(self) -> String {
        self.line
    }
}

impl std::fmt::Debug for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowError")
            .field("column", &self.column())
            .field("message", &self.message())
            .finish()
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.line)
    }
}

#[cfg(test)]
mod row_error_tests {
    use super::RowError;

    #[test]
    fn a_row_error_gives_back_its_column_and_message() {
        let e = RowError::formatted(Some("Phone': x"), format_args!("{:?} left out", "1"));
        assert_eq!(e.column(), Some("Phone': x"));
        assert_eq!(e.message(), "\"1\" left out");
        assert_eq!(e.to_string(), "column 'Phone': x': \"1\" left out");
        let e = RowError::new(None, "row has neither");
        assert_eq!((e.column(), e.message()), (None, "row has neither"));
        let e = RowError::new(Some(""), "m");
        assert_eq!((e.column(), e.message()), (Some(""), "m"));
    }

    #[test]
    fn a_row_errors_line_is_what_it_displays() {
        for e in [
            RowError::new(Some("Phone Number"), "\"x\" left out: not a phone"),
            RowError::new(None, "row has neither"),
            RowError::new(Some(""), ""),
            RowError::formatted(Some("a': b"), format_args!("{:?} x", "y")),
        ] {
            assert_eq!(e.to_string(), e.clone().into_line());
        }
    }
}
