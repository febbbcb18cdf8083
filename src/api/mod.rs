//! Stage 4's transport: the HighLevel API v2 client, its pacing and its errors.

pub mod batch_window;
pub mod calls;
mod client;
pub mod credentials;
mod error;
pub mod fast_map;
pub mod lane;
pub mod limiter;
pub mod oauth;
pub mod series;
mod stats;
mod token;
mod undo_calls;
mod upsert_answer;

pub use calls::MAX_BUSINESS_BATCH;
pub use client::{
    Client, ClientConfig, PerContact, RateLimitInfo, TagAnswers, TagChange, TagOp, Upserted,
    API_VERSION, DEFAULT_BASE_URL,
};
pub use credentials::{Credentials, CredentialsError};
pub use error::ApiError;
pub use lane::BudgetPolicy;
pub use limiter::RateLimit;
pub use oauth::TokenSource;
pub use series::LocationSeries;
pub use stats::{Stats, StatsSnapshot};
pub use token::Token;
