//! The calls `undo` makes besides the bulk ones: read, update and delete one contact.

use reqwest::Method;
use serde_json::Value;

use super::client::Client;
use super::error::ApiError;
use crate::event::Endpoint;

/// HighLevel answers an unknown (or deleted) contact id with 400 "Contact not found" (the spec
/// lists 400 and no 404); both count as "no such contact".
fn not_found(e: &ApiError) -> bool {
    matches!(e, ApiError::Rejected { status: 400 | 404, message }
        if message.to_ascii_lowercase().contains("not found"))
}

fn contact_path(id: &str) -> String {
    let id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    format!("/contacts/{id}")
}

impl Client {
    /// `GET /contacts/{id}`: the contact object, or `None` when there is no such contact.
    pub async fn get_contact(&self, location: &str, id: &str) -> Result<Option<Value>, ApiError> {
        let path = contact_path(id);
        match self
            .call::<Value, ()>(Endpoint::GetContact, location, Method::GET, &path, None)
            .await
        {
            Ok(v) => match v.get("contact") {
                Some(c) if c.is_object() => Ok(Some(c.clone())),
                _ => Err(ApiError::Protocol {
                    endpoint: Endpoint::GetContact,
                    message: "the answer has no contact".into(),
                }),
            },
            Err(e) if not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `DELETE /contacts/{id}`. `Ok(false)`: there was no such contact (already deleted).
    pub async fn delete_contact(&self, location: &str, id: &str) -> Result<bool, ApiError> {
        let path = contact_path(id);
        match self
            .call::<Value, ()>(
                Endpoint::DeleteContact,
                location,
                Method::DELETE,
                &path,
                None,
            )
            .await
        {
            Ok(v) if v.get("succeded").and_then(Value::as_bool) == Some(false) => {
                Err(ApiError::Protocol {
                    endpoint: Endpoint::DeleteContact,
                    message: "the server answered succeded: false".into(),
                })
            }
            Ok(_) => Ok(true),
            Err(e) if not_found(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `PUT /contacts/{id}` with an `UpdateContactDto` body.
    pub async fn update_contact(
        &self,
        location: &str,
        id: &str,
        body: &Value,
    ) -> Result<(), ApiError> {
        let path = contact_path(id);
        self.call::<Value, Value>(
            Endpoint::UpdateContact,
            location,
            Method::PUT,
            &path,
            Some(body),
        )
        .await
        .map(|_| ())
    }
}
