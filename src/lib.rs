//! ghl-import: move contacts from CSV and JSONL files into HighLevel (API v2).
//!
//! The stages, each in its own module, in the order a row passes through them:
//! [`input`] reads records, [`mapping`] turns columns into fields, [`validation`] checks and
//! normalises them, [`pipeline`] sends them through the [`api`] client under the rate limit and
//! batches the bulk calls, and [`report`] writes one line per row. [`plan`] predicts an import from the location's contacts. [`sandbox`] is a HighLevel
//! emulator used by the tests and by `--sandbox`; [`state`] holds what a run knows about its
//! rows. Stages never print: they emit [`event::Event`]s that the report, progress bar and logs
//! consume.

pub mod api;
pub mod cli;
pub mod compare;
pub mod contact;
pub mod event;
pub mod input;
pub mod mapping;
pub mod pipeline;
pub mod plan;
pub mod report;
pub mod sandbox;
pub mod state;
pub mod undo;
pub mod validation;
