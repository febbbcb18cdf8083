//! The one stream every stage reports into. The report file, the progress bar and the logs
//! are all consumers of these events ([`crate::report::EventSink`]); no stage prints. This
//! vocabulary depends on nothing above it: the run's summary is what [`crate::pipeline::run`]
//! returns and hands each sink at the end.

use serde::Serialize;

/// What happened to a row in the end. Exactly one per input row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RowStatus {
    Created,
    Updated,
    /// Failed validation; never sent.
    Invalid,
    /// Left out on purpose, never sent: the source marks the record as not wanted (a
    /// Salesforce record with `IsDeleted = 1`). The reason is in `warnings`.
    Skipped,
    /// Sent, but the upsert did not succeed (after retries).
    Failed,
    /// Dry run: the row would be sent.
    Valid,
    /// Not attempted because the run stopped early (interrupt, fatal API error, budget).
    Deferred,
    /// `--changed-only`, or `plan`: what would be sent equals what the contact already has.
    Unchanged,
    /// `plan`: no existing contact matches; the import would create one.
    Create,
    /// `plan`: an existing contact matches and some sent fields differ (listed in `changes`).
    Update,
    /// `plan`: the email matches one contact and the phone another; the API would update one
    /// and silently ignore the other key.
    Conflict,
}

impl RowStatus {
    pub const ALL: [RowStatus; 11] = [
        RowStatus::Created,
        RowStatus::Updated,
        RowStatus::Invalid,
        RowStatus::Skipped,
        RowStatus::Failed,
        RowStatus::Valid,
        RowStatus::Deferred,
        RowStatus::Unchanged,
        RowStatus::Create,
        RowStatus::Update,
        RowStatus::Conflict,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Created => "created",
            RowStatus::Updated => "updated",
            RowStatus::Invalid => "invalid",
            RowStatus::Skipped => "skipped",
            RowStatus::Failed => "failed",
            RowStatus::Valid => "valid",
            RowStatus::Deferred => "deferred",
            RowStatus::Unchanged => "unchanged",
            RowStatus::Create => "create",
            RowStatus::Update => "update",
            RowStatus::Conflict => "conflict",
        }
    }

    /// The status spelled [`RowStatus::as_str`].
    pub fn from_name(name: &str) -> Option<RowStatus> {
        RowStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// A row counts against exit code 0.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            RowStatus::Invalid | RowStatus::Failed | RowStatus::Deferred | RowStatus::Conflict
        )
    }
}

/// The outcome of a follow-up bulk call (tags or business) for one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    /// Nothing was asked of this step for this row.
    #[default]
    None,
    /// Applied.
    Done,
    /// The bulk call failed for this row.
    Failed,
    /// Not attempted: the upsert did not succeed, or the run stopped.
    Skipped,
}

impl StepStatus {
    /// Report spelling; `done_word` is "added" for tags and "set" for business.
    pub fn as_str(self, done_word: &'static str) -> &'static str {
        match self {
            StepStatus::None => "",
            StepStatus::Done => done_word,
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
        }
    }
}

/// How the warning starts that names a row sharing an email or phone with an earlier row
/// naming someone else (made by the pipeline, counted by the summary).
pub const SHARED_NOTE_START: &str = "shares its ";

/// Whether a row's warning is that note.
pub fn is_shared_note(warning: &str) -> bool {
    warning.starts_with(SHARED_NOTE_START)
}

/// The final account of one input row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowOutcome {
    /// Ordering key (0-based, contiguous); not written to the report.
    #[serde(skip)]
    pub seq: u64,
    pub row: u64,
    pub status: RowStatus,
    pub contact_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub location_id: Option<String>,
    pub tags_status: StepStatus,
    pub business_status: StepStatus,
    pub errors: Vec<String>,
    /// `plan`: the fields an update would change.
    pub changes: Vec<String>,
    /// The row succeeded but something is off, e.g. a sent field did not stick.
    pub warnings: Vec<String>,
    /// The row as read, kept only when invalid rows are written to a rejects file.
    #[serde(skip)]
    pub raw: Option<Box<RawRecord>>,
}

impl RowOutcome {
    /// A row's account with nothing but its status yet; every other field starts empty, so
    /// adding a field is one edit here.
    pub fn new(seq: u64, row: u64, status: RowStatus) -> Self {
        RowOutcome {
            seq,
            row,
            status,
            contact_id: None,
            email: None,
            phone: None,
            location_id: None,
            tags_status: StepStatus::None,
            business_status: StepStatus::None,
            errors: Vec::new(),
            changes: Vec::new(),
            warnings: Vec::new(),
            raw: None,
        }
    }

    pub fn with_error(mut self, error: impl Into<String>) -> Self {
        self.errors.push(error.into());
        self
    }
}

/// An input row as it was read, for writing it back out (`--rejects`).
#[derive(Debug, Clone, PartialEq)]
pub enum RawRecord {
    /// CSV cells with the file's headers.
    Cells {
        headers: std::sync::Arc<[String]>,
        cells: Vec<String>,
    },
    /// A JSONL object.
    Object(serde_json::Map<String, serde_json::Value>),
    /// The row could not be read; nothing to write back but the errors, under the file's
    /// headers when it has them (CSV, sheets).
    Unreadable {
        headers: Option<std::sync::Arc<[String]>>,
    },
}

/// The API endpoints the importer calls, for counting and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Endpoint {
    Upsert,
    BulkTagsAdd,
    BulkBusiness,
    CustomFields,
    ListContacts,
    /// `undo`'s calls.
    GetContact,
    UpdateContact,
    DeleteContact,
    BulkTagsRemove,
}

impl Endpoint {
    pub const ALL: [Endpoint; 9] = [
        Endpoint::Upsert,
        Endpoint::BulkTagsAdd,
        Endpoint::BulkBusiness,
        Endpoint::CustomFields,
        Endpoint::ListContacts,
        Endpoint::GetContact,
        Endpoint::UpdateContact,
        Endpoint::DeleteContact,
        Endpoint::BulkTagsRemove,
    ];

    pub fn path_label(self) -> &'static str {
        match self {
            Endpoint::Upsert => "POST /contacts/upsert",
            Endpoint::BulkTagsAdd => "POST /contacts/bulk/tags/update/add",
            Endpoint::BulkBusiness => "POST /contacts/bulk/business",
            Endpoint::CustomFields => "GET /locations/{id}/customFields",
            Endpoint::ListContacts => "GET /contacts/",
            Endpoint::GetContact => "GET /contacts/{id}",
            Endpoint::UpdateContact => "PUT /contacts/{id}",
            Endpoint::DeleteContact => "DELETE /contacts/{id}",
            Endpoint::BulkTagsRemove => "POST /contacts/bulk/tags/update/remove",
        }
    }
}

/// Everything a consumer may want to know, in the order it happened. `Row` events come in
/// input order, exactly once per input row.
#[derive(Debug, Clone)]
pub enum Event {
    Started {
        input: String,
        format: String,
        dry_run: bool,
    },
    Row(RowOutcome),
    /// A request is being retried after `reason`; `attempt` is the one about to be made.
    Retry {
        endpoint: Endpoint,
        attempt: u32,
        reason: String,
        delay_ms: u64,
    },
    /// The server said 429.
    RateLimited {
        endpoint: Endpoint,
        location_id: String,
    },
    /// A warning that concerns the run, not one row (e.g. the run is stopping).
    Notice {
        message: String,
    },
}
