//! Stage 6: the per-row report and the run summary.
#[derive(Debug, Clone, Default)]
pub struct Summary {}
