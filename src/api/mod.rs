//! Stage 4's transport: the HighLevel API v2 client, its pacing and its errors.

mod client;
mod error;
pub mod lane;
pub mod limiter;
mod stats;
mod token;
mod undo_calls;

pub use client::{
    Client, ClientConfig, PerContact, RateLimitInfo, TagAnswers, TagChange, TagOp, Upserted,
    API_VERSION, DEFAULT_BASE_URL,
};
pub use error::ApiError;
pub use lane::BudgetPolicy;
pub use limiter::RateLimit;
pub use stats::{Stats, StatsSnapshot};
pub use token::Token;
