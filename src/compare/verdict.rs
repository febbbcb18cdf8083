//! The one decision about a valid row and a contact: what `plan` predicts from the location's
//! listing, and what the import concludes from the contact its upsert returned. Both go
//! through [`classify`], which compares with [`diff_row`]/[`diff_sent`].

use super::fields::{diff_row, diff_sent, FieldDiff, RemoteContact};
use crate::contact::{Field, ValidRow};
use crate::event::RowStatus;

/// Which key HighLevel tries first when email and phone match different contacts: a setting
/// of the location ("Contact Deduplication Preferences") that the API does not expose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchOrder {
    /// The sandbox's default, and HighLevel's documented order for duplicate search.
    #[default]
    EmailFirst,
    PhoneFirst,
}

/// What the row's keys find among the contacts known so far.
#[derive(Debug, Clone, Copy)]
pub enum Match<'a> {
    None,
    /// One contact, by one key or by both.
    One(&'a RemoteContact),
    /// The first key (by [`MatchOrder`]) found `updated`, the other key found `other`:
    /// HighLevel updates `updated` and does not write `ignored`.
    Conflict {
        updated: &'a RemoteContact,
        other: &'a RemoteContact,
        ignored: Field,
    },
}

/// What the row is judged against.
#[derive(Debug, Clone, Copy)]
pub enum Against<'a> {
    /// `plan`: the location's contacts as listed, with the file's earlier rows applied.
    Listing(Match<'a>),
    /// The import: the upsert's answer. `contact` is `None` when the answer had no usable
    /// contact (then nothing can be checked).
    Upserted {
        created: bool,
        contact: Option<&'a RemoteContact>,
    },
}

/// The status, contact and notes for the row's report line.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub status: RowStatus,
    pub contact_id: Option<String>,
    pub changes: Vec<String>,
    pub warnings: Vec<String>,
}

/// The shared classifier. For the listing: `create` without a match, `unchanged` when nothing
/// would change, `update` with the fields that would, `conflict` when the keys match two
/// contacts. For an upsert: the server's created/updated, with a warning for every sent field
/// the returned contact does not have (the comparison `plan` uses for `changes`).
pub fn classify(row: &ValidRow, against: Against<'_>) -> Verdict {
    match against {
        Against::Listing(Match::None) => verdict(RowStatus::Create, None),
        Against::Listing(Match::One(c)) => {
            let changes = names(diff_row(row, c, None));
            let status = if changes.is_empty() {
                RowStatus::Unchanged
            } else {
                RowStatus::Update
            };
            Verdict {
                changes,
                ..verdict(status, c.id.clone())
            }
        }
        Against::Listing(Match::Conflict {
            updated,
            other,
            ignored,
        }) => {
            let first = match ignored {
                Field::Phone => "email",
                _ => "phone",
            };
            Verdict {
                changes: names(diff_row(row, updated, Some(ignored))),
                warnings: vec![format!(
                    "the {first} matches {} and the {ignored} matches {}: HighLevel would update {} and not write the {ignored}",
                    updated.label(),
                    other.label(),
                    updated.id.as_deref().unwrap_or("the first")
                )],
                ..verdict(RowStatus::Conflict, updated.id.clone())
            }
        }
        Against::Upserted { created, contact } => {
            let status = if created {
                RowStatus::Created
            } else {
                RowStatus::Updated
            };
            Verdict {
                warnings: contact
                    .map(|c| {
                        diff_sent(&row.contact, c, None)
                            .iter()
                            .map(|d| d.did_not_stick())
                            .collect()
                    })
                    .unwrap_or_default(),
                ..verdict(status, contact.and_then(|c| c.id.clone()))
            }
        }
    }
}

fn verdict(status: RowStatus, contact_id: Option<String>) -> Verdict {
    Verdict {
        status,
        contact_id,
        changes: Vec::new(),
        warnings: Vec::new(),
    }
}

fn names(diffs: Vec<FieldDiff>) -> Vec<String> {
    diffs.into_iter().map(|d| d.field).collect()
}
