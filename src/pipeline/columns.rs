//! Before the first row: columns that match no contact field are matched against the
//! location's own custom fields (with a token and one `--location`), as HighLevel's CSV
//! import does. The definitions read here are kept for checking values.

use std::sync::Arc;

use super::fields::FieldChecks;
use super::run::RunConfig;
use crate::api::{ApiError, Client, ClientConfig, Stats};
use crate::event::Endpoint;
use crate::mapping::Mapper;
use crate::validation::custom_fields::{CustomFieldDef, CustomFieldSet, CustomFieldsResponse};

/// The location's custom fields, for `init` with a token.
pub async fn read_location_fields(
    config: ClientConfig,
    location: &str,
) -> Result<Vec<CustomFieldDef>, ApiError> {
    let client = Client::new(config, Arc::new(Stats::default()), None)?;
    let path = format!("/locations/{location}/customFields?model=contact");
    let r: CustomFieldsResponse = client
        .get_json(Endpoint::CustomFields, location, &path)
        .await?;
    Ok(r.custom_fields)
}

/// The reads a run with this config makes before its rows, as the import's estimate and
/// `plan`'s count them: the one [`match_location_fields`] makes, and the preflight's.
pub(super) fn reads_first(cfg: &RunConfig, mapper: &Mapper) -> crate::plan::ReadsFirst {
    crate::plan::ReadsFirst {
        column_match: cfg
            .location
            .clone()
            .filter(|_| cfg.api.is_some() && mapper.may_match_custom_fields()),
        preflight: cfg.api.as_ref().is_some_and(|a| a.credentials.is_some()),
    }
}

/// Maps what it can and returns what the run should say about it; `Err` when the read
/// hit an error that stops the run (401, 403, daily limit).
pub(super) async fn match_location_fields(
    mapper: &mut Mapper,
    client: Option<&Client>,
    location: Option<&str>,
    checks: &mut FieldChecks,
) -> Result<Vec<String>, ApiError> {
    let (Some(client), Some(location)) = (client, location) else {
        return Ok(Vec::new());
    };
    if !mapper.may_match_custom_fields() {
        return Ok(Vec::new());
    }
    let path = format!("/locations/{location}/customFields?model=contact");
    let defs = match client
        .get_json::<CustomFieldsResponse>(Endpoint::CustomFields, location, &path)
        .await
    {
        Ok(r) => r.custom_fields,
        Err(e) if e.is_fatal() => return Err(e),
        // The checks read them again and say what went wrong, at the first custom value.
        Err(e) => {
            return Ok(vec![format!(
                "could not read the custom fields of location {location} to match columns to them ({e})"
            )])
        }
    };
    let matched = mapper.match_custom_fields(&defs);
    checks.seed(location, Arc::new(CustomFieldSet::new(defs)));
    if matched.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![format!(
        "columns matched to the location's custom fields by name or key: {}",
        matched
            .iter()
            .map(|(c, k)| format!("'{c}' → {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    )])
}
