//! `import --preflight-only`: every location the file would import into, checked once with
//! the read the import starts with (its custom fields) and, when the token says its scopes,
//! for `contacts.write`. Nothing is written.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::prepare::{Prepared, Preparer};
use super::run::{RunConfig, RunError};
use crate::api::{Client, Stats};
use crate::contact::Field;
use crate::event::Endpoint;
use crate::input::Reader;
use crate::mapping::Mapper;
use crate::validation::custom_fields::{CustomFieldSet, CustomFieldsResponse};
use crate::validation::Validator;

/// `--location` and the valid rows' own locations, in order.
pub fn locations_in(cfg: &RunConfig) -> Result<BTreeSet<String>, RunError> {
    let reader = Reader::open(&cfg.input, &cfg.input_options)?;
    let mapper = Mapper::for_input(cfg.mapping.as_ref(), &reader)?;
    let maps_location = mapper
        .describe()
        .iter()
        .any(|(_, t)| t == Field::LocationId.api_name());
    let mut found: BTreeSet<String> = cfg.location.iter().cloned().collect();
    if !maps_location {
        return Ok(found);
    }
    let preparer = Preparer {
        declared: CustomFieldSet::declared(mapper.declared_custom_fields()),
        mapper,
        validator: Validator::new(cfg.validation.clone())?,
        default_location: cfg.location.clone(),
        require_location: false,
        keep_raw: false,
        headers: None,
    };
    for record in reader {
        if let Prepared::Valid {
            location: Some(l), ..
        } = preparer.prepare(&record)
        {
            found.insert(l);
        }
    }
    Ok(found)
}

/// Each location with `Ok` or the reason it cannot be imported into.
pub async fn preflight(cfg: &RunConfig) -> Result<Vec<(String, Result<(), String>)>, RunError> {
    let locations = locations_in(cfg)?;
    if locations.is_empty() {
        return Err(RunError::NoLocation);
    }
    let Some(api) = cfg.api.clone() else {
        return Ok(Vec::new());
    };
    let client = Arc::new(Client::new(api, Arc::new(Stats::default()), None)?);
    let mut out = Vec::new();
    for loc in locations {
        let path = format!("/locations/{loc}/customFields?model=contact");
        let read = client
            .get_json::<CustomFieldsResponse>(Endpoint::CustomFields, &loc, &path)
            .await;
        let result = match read {
            Ok(_) => client.check_write_scope(&loc).await,
            Err(e) => Err(e),
        };
        out.push((loc, result.map_err(|e| e.to_string())));
    }
    Ok(out)
}
