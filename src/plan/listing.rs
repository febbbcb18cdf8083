//! Reading a location's contacts: `GET /contacts/?locationId=…&limit=100`, page after page by
//! `startAfterId`/`startAfter`. Every page goes through the client, so it is paced by the
//! location's lane and counts against the same quota as the import's writes.

use serde_json::Value;

use crate::api::{ApiError, Client};
use crate::compare::RemoteContact;
use crate::event::Endpoint;

/// The most the endpoint returns per page.
pub const PAGE_SIZE: usize = 100;

/// Every contact of `location`, in the server's order. Stops at an empty or short page, when
/// the answer names no next page, or when the server repeats a cursor (so a misbehaving
/// server cannot loop it forever).
pub async fn list_contacts(
    client: &Client,
    location: &str,
) -> Result<Vec<RemoteContact>, ApiError> {
    let mut out = Vec::new();
    for_each_page(client, location, |page| {
        out.extend(page.iter().filter_map(RemoteContact::from_json));
    })
    .await?;
    Ok(out)
}

/// Every contact of `location` as the API shows it, one page at a time (`import --snapshot`
/// keeps them as they are).
pub async fn for_each_page(
    client: &Client,
    location: &str,
    mut on_page: impl FnMut(&[Value]),
) -> Result<(), ApiError> {
    let loc: String = url::form_urlencoded::byte_serialize(location.as_bytes()).collect();
    let mut cursor: Option<(String, Option<String>)> = None;
    let mut seen = std::collections::HashSet::new();
    loop {
        // A large location takes many pages: an interrupt stops between them.
        if client.is_stopping() {
            return Err(ApiError::Cancelled);
        }
        let mut path = format!("/contacts/?locationId={loc}&limit={PAGE_SIZE}");
        if let Some((id, after)) = &cursor {
            let id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
            path.push_str(&format!("&startAfterId={id}"));
            if let Some(after) = after {
                path.push_str(&format!("&startAfter={after}"));
            }
        }
        let page: Value = client
            .get_json(Endpoint::ListContacts, location, &path)
            .await?;
        let contacts = page
            .get("contacts")
            .and_then(Value::as_array)
            .ok_or_else(|| ApiError::Protocol {
                endpoint: Endpoint::ListContacts,
                message: "the answer has no contacts list".into(),
            })?;
        let n = contacts.len();
        on_page(contacts);
        let last_id = contacts
            .last()
            .and_then(|c| c.get("id"))
            .and_then(Value::as_str);
        let next = match page.get("meta").filter(|m| m.is_object()) {
            // The answer says where the next page starts, or that there is none.
            Some(meta) => meta
                .get("startAfterId")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(|id| {
                    let after = meta.get("startAfter").and_then(|v| match v {
                        Value::Number(n) => Some(n.to_string()),
                        Value::String(s) if !s.is_empty() => Some(s.clone()),
                        _ => None,
                    });
                    (id.to_owned(), after)
                }),
            // No meta (the spec's schema has none): a full page may have more after it.
            None => last_id
                .filter(|_| n >= PAGE_SIZE)
                .map(|id| (id.to_owned(), None)),
        };
        match next {
            Some(next) if n > 0 && seen.insert(next.0.clone()) => cursor = Some(next),
            _ => return Ok(()),
        }
    }
}
