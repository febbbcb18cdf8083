//! What a run does with the rows it classifies.

use crate::plan::PlanOptions;

#[derive(Debug, Clone, Default)]
pub enum Mode {
    /// Send every valid row (needs an API client; without one a run is an offline check).
    #[default]
    Import,
    /// `validate` and `--dry-run`: classify and report, send nothing. `online`: read the
    /// location's custom fields to check values the way the import will.
    Check { online: bool },
    /// `plan`: judge valid rows against the location's contacts instead of sending them.
    Plan(PlanOptions),
}

impl Mode {
    /// The mode the run can actually have: nothing is sent or read without a client.
    pub(super) fn resolved(&self, has_client: bool) -> Mode {
        match self {
            Mode::Import if !has_client => Mode::Check { online: false },
            Mode::Check { online } => Mode::Check {
                online: *online && has_client,
            },
            m => m.clone(),
        }
    }

    /// Anything is written to the location.
    pub fn sends(&self) -> bool {
        matches!(self, Mode::Import)
    }

    /// Every row needs a location: the import sends to it, `plan` reads its contacts.
    pub(super) fn needs_location(&self) -> bool {
        matches!(self, Mode::Import | Mode::Plan(_))
    }
}
