//! Before the first row: columns that match no contact field are matched against the
//! location's own custom fields (with a token and one `--location`), as HighLevel's CSV
//! import does. The definitions read here are kept for checking values.

use std::sync::Arc;

use super::fields::FieldChecks;
use crate::api::Client;
use crate::event::Endpoint;
use crate::mapping::Mapper;
use crate::validation::custom_fields::{CustomFieldSet, CustomFieldsResponse};

/// Maps what it can and returns what the run should say about it.
pub(super) async fn match_location_fields(
    mapper: &mut Mapper,
    client: Option<&Client>,
    location: Option<&str>,
    checks: &mut FieldChecks,
) -> Vec<String> {
    let (Some(client), Some(location)) = (client, location) else {
        return Vec::new();
    };
    if !mapper.may_match_custom_fields() {
        return Vec::new();
    }
    let path = format!("/locations/{location}/customFields?model=contact");
    let defs = match client
        .get_json::<CustomFieldsResponse>(Endpoint::CustomFields, location, &path)
        .await
    {
        Ok(r) => r.custom_fields,
        // The checks read them again and say what went wrong, at the first custom value.
        Err(e) => {
            return vec![format!(
                "could not read the custom fields of location {location} to match columns to them ({e})"
            )]
        }
    };
    let matched = mapper.match_custom_fields(&defs);
    checks.seed(location, Arc::new(CustomFieldSet::new(defs)));
    if matched.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "columns matched to the location's custom fields by name or key: {}",
        matched
            .iter()
            .map(|(c, k)| format!("'{c}' → {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    )]
}
