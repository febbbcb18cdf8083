//! The endpoints. Each handler sleeps the request's latency exactly once (`ctx.pause()`);
//! writes sleep between the duplicate lookup and the write, which is what lets two concurrent
//! upserts of one email both create a contact.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{Method, Response, Uri};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde_json::{json, Map, Value};

use super::server::{
    bad_request, form_pairs, json_response, lock, now_iso, unprocessable, ReqCtx, Shared,
};
use super::store::{contact_json, list_fields, Location, Store};
use super::validate::{self, normalize_phone, parse_date_of_birth, Prop};
use super::{CustomFieldType, CustomFieldValue, DuplicatePriority, SandboxContact};

type Resp = Response<Body>;
type St = State<Arc<Shared>>;
type Ctx = Extension<ReqCtx>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/contacts/upsert", post(upsert))
        .route("/contacts/", post(create).get(list))
        .route("/contacts", post(create).get(list))
        .route("/contacts/bulk/tags/update/{type}", post(bulk_tags))
        .route("/contacts/bulk/business", post(bulk_business))
        .route(
            "/contacts/{contactId}",
            get(get_contact).put(update_contact).delete(delete_contact),
        )
        .route("/locations/{locationId}/customFields", get(custom_fields))
        .route("/oauth/token", post(super::oauth::token))
        .route("/oauth/locationToken", post(super::oauth::location_token))
        .route(
            "/oauth/installedLocations",
            get(super::oauth::installed_locations),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .with_state(shared)
}

/// NestJS's answer for an unmatched route or method.
async fn not_found(method: Method, uri: Uri, Extension(ctx): Ctx) -> Resp {
    ctx.pause().await;
    json_response(
        404,
        json!({"statusCode": 404, "message": format!("Cannot {method} {}", uri.path()), "error": "Not Found"}),
    )
}

/// Why a body was refused: 400 (not a JSON object) or 422 (schema messages).
enum Refusal {
    BadRequest(String),
    Invalid(Vec<String>),
}

impl Refusal {
    fn response(self) -> Resp {
        match self {
            Refusal::BadRequest(m) => bad_request(&m),
            Refusal::Invalid(errors) => unprocessable(errors),
        }
    }
}

/// The body as a validated JSON object.
fn body_object(ctx: &ReqCtx, props: &[Prop]) -> Result<Map<String, Value>, Refusal> {
    let obj = match &ctx.body {
        None => Map::new(),
        Some(Err(e)) => return Err(Refusal::BadRequest(format!("Invalid JSON body: {e}"))),
        Some(Ok(Value::Object(m))) => m.clone(),
        Some(Ok(_)) => {
            return Err(Refusal::BadRequest(
                "Request body must be a JSON object".into(),
            ))
        }
    };
    let errors = validate::validate(&obj, props);
    if errors.is_empty() {
        Ok(obj)
    } else {
        Err(Refusal::Invalid(errors))
    }
}

/// Custom-field writes resolved to field ids: `None` clears the field.
type FieldWrites = Vec<(String, Option<Value>)>;

fn resolve_custom_fields(
    shared: &Shared,
    location_id: &str,
    body: &Map<String, Value>,
) -> Result<FieldWrites, Refusal> {
    let Some(Value::Array(items)) = body.get("customFields") else {
        return Ok(Vec::new());
    };
    let mut writes = Vec::new();
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(obj) = item.as_object() else {
            continue;
        };
        let by_id = obj.get("id").and_then(Value::as_str);
        let by_key = obj
            .get("key")
            .and_then(Value::as_str)
            .map(|k| k.strip_prefix("contact.").unwrap_or(k));
        let def = shared.config.custom_fields.iter().find(|d| {
            by_id.is_some_and(|id| d.id_in(location_id) == id)
                || by_key.is_some_and(|k| d.short_key() == k)
        });
        let Some(def) = def else {
            let what = match (by_id, by_key) {
                (Some(id), _) => format!("id {id}"),
                (None, Some(k)) => format!("key {k}"),
                (None, None) => "(no id or key)".to_string(),
            };
            errors.push(format!(
                "customFields.{i}: custom field with {what} does not exist in this location"
            ));
            continue;
        };
        let Some(value) = ["field_value", "fieldValue", "value"]
            .iter()
            .find_map(|k| obj.get(*k))
        else {
            continue; // nothing to write
        };
        let id = def.id_in(location_id);
        if value.is_null() {
            writes.push((id, None));
            continue;
        }
        use CustomFieldType::*;
        let ok = match def.data_type {
            Numerical | Monetory => {
                value.is_number()
                    || value
                        .as_str()
                        .is_some_and(|s| s.trim().parse::<f64>().is_ok())
            }
            Checkbox | MultipleOptions | TextboxList => {
                value.is_string()
                    || value
                        .as_array()
                        .is_some_and(|a| a.iter().all(Value::is_string))
            }
            FileUpload => value.is_object(),
            _ => value.is_string() || value.is_number() || value.is_boolean(),
        };
        if !ok {
            let want = match def.data_type {
                Numerical | Monetory => "a number",
                Checkbox | MultipleOptions | TextboxList => "a string or an array of strings",
                FileUpload => "an object",
                _ => "a string",
            };
            errors.push(format!(
                "customFields.{i}.field_value must be {want} for {}",
                def.short_key()
            ));
            continue;
        }
        writes.push((id, Some(value.clone())));
    }
    if errors.is_empty() {
        Ok(writes)
    } else {
        Err(Refusal::Invalid(errors))
    }
}

/// Writes the body's properties onto `c`: present overwrites, `null` clears, absent keeps.
fn apply(
    c: &mut SandboxContact,
    body: &Map<String, Value>,
    fields: &FieldWrites,
    skip: Option<&str>,
) {
    let text = |name: &str| -> Option<Option<String>> {
        if Some(name) == skip {
            return None;
        }
        match body.get(name)? {
            Value::String(s) => Some(Some(s.clone())),
            _ => Some(None),
        }
    };
    macro_rules! set {
        ($($field:ident = $name:literal),* $(,)?) => {
            $(if let Some(v) = text($name) { c.$field = v; })*
        };
    }
    set!(
        first_name = "firstName",
        last_name = "lastName",
        name = "name",
        email = "email",
        gender = "gender",
        address1 = "address1",
        city = "city",
        state = "state",
        postal_code = "postalCode",
        website = "website",
        timezone = "timezone",
        source = "source",
        country = "country",
        company_name = "companyName",
        assigned_to = "assignedTo",
    );
    if let Some(v) = text("phone") {
        c.phone = v.map(|p| normalize_phone(&p).unwrap_or(p));
    }
    if let Some(v) = text("dateOfBirth") {
        c.date_of_birth = v.and_then(|d| parse_date_of_birth(&d));
    }
    if let Some(v) = body.get("dnd") {
        c.dnd = v.as_bool();
    }
    if let Some(v) = body.get("dndSettings") {
        c.dnd_settings = merge_channels(c.dnd_settings.take(), v);
    }
    if let Some(v) = body.get("inboundDndSettings") {
        c.inbound_dnd_settings = Some(v.clone()).filter(|v| !v.is_null());
    }
    if let Some(v) = body.get("tags") {
        c.tags = v
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
    }
    for (id, value) in fields {
        c.custom_fields.retain(|f| &f.id != id);
        if let Some(value) = value {
            c.custom_fields.push(CustomFieldValue {
                id: id.clone(),
                value: value.clone(),
            });
        }
    }
}

/// `dndSettings` written channel by channel: the channels the body names replace the
/// contact's, the others stay (assumed; the spec does not say). `null` clears them all.
fn merge_channels(old: Option<Value>, sent: &Value) -> Option<Value> {
    let Value::Object(sent) = sent else {
        return None;
    };
    let mut merged = match old {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    for (channel, setting) in sent {
        merged.insert(channel.clone(), setting.clone());
    }
    Some(Value::Object(merged))
}

/// Which existing contact a write targets, which field matched, and which field to leave
/// unwritten because it matched a different contact.
struct Target {
    id: Option<String>,
    matched: Option<&'static str>,
    skip: Option<&'static str>,
}

fn find_target(
    loc: Option<&Location>,
    body: &Map<String, Value>,
    priority: DuplicatePriority,
) -> Target {
    let none = Target {
        id: None,
        matched: None,
        skip: None,
    };
    let Some(loc) = loc else { return none };
    let by_email = body
        .get("email")
        .and_then(Value::as_str)
        .and_then(|e| loc.find_email(e));
    let by_phone = body
        .get("phone")
        .and_then(Value::as_str)
        .and_then(|p| loc.find_phone(p));
    let ordered = match priority {
        DuplicatePriority::EmailFirst => [("email", by_email), ("phone", by_phone)],
        DuplicatePriority::PhoneFirst => [("phone", by_phone), ("email", by_email)],
    };
    match ordered {
        [(f1, Some(a)), (f2, Some(b))] => Target {
            skip: (a != b).then_some(f2),
            id: Some(a),
            matched: Some(f1),
        },
        [(f1, Some(a)), (_, None)] => Target {
            id: Some(a),
            matched: Some(f1),
            skip: None,
        },
        [(_, None), (f2, Some(b))] => Target {
            id: Some(b),
            matched: Some(f2),
            skip: None,
        },
        _ => none,
    }
}

fn new_contact(shared: &Shared, location_id: &str) -> SandboxContact {
    let now = now_iso();
    SandboxContact {
        id: shared.new_id(),
        location_id: location_id.to_string(),
        date_added: now.clone(),
        date_updated: now,
        ..Default::default()
    }
}

fn location_id(body: &Map<String, Value>) -> String {
    body.get("locationId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Creates or updates `target` (if it still exists); returns the contact and whether it is new.
fn write(
    shared: &Shared,
    store: &mut Store,
    loc_id: &str,
    target: &Target,
    body: &Map<String, Value>,
    fields: &FieldWrites,
) -> (SandboxContact, bool) {
    let existing = target
        .id
        .as_deref()
        .and_then(|id| store.location(loc_id)?.get(id))
        .cloned();
    let (mut c, is_new) = match existing {
        Some(c) => (c, false),
        None => (new_contact(shared, loc_id), true),
    };
    let gender = c.gender.clone();
    apply(
        &mut c,
        body,
        fields,
        if is_new { None } else { target.skip },
    );
    if !is_new && shared.config.drop_gender_on_update {
        c.gender = gender;
    }
    if !is_new {
        c.date_updated = now_iso();
    }
    store.put(c.clone());
    (c, is_new)
}

/// The checked body of a write, its location and its resolved custom fields; a refusal is
/// answered after the injected latency, like any response.
async fn write_body(
    shared: &Shared,
    ctx: &ReqCtx,
    props: &[Prop],
) -> Result<(Map<String, Value>, String, FieldWrites), Resp> {
    let prepared = body_object(ctx, props).and_then(|body| {
        let loc = location_id(&body);
        let fields = resolve_custom_fields(shared, &loc, &body)?;
        Ok((body, loc, fields))
    });
    match prepared {
        Ok(p) => Ok(p),
        Err(refusal) => {
            ctx.pause().await;
            Err(refusal.response())
        }
    }
}

async fn upsert(State(shared): St, Extension(ctx): Ctx) -> Resp {
    let (body, loc, fields) = match write_body(&shared, &ctx, validate::UPSERT).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let priority = shared.config.duplicate_priority;
    let (contact, is_new) = if ctx.latency.is_zero() {
        // No latency: lookup and write in one critical section, so tests are deterministic.
        let mut store = lock(&shared.store);
        let target = find_target(store.location(&loc), &body, priority);
        write(&shared, &mut store, &loc, &target, &body, &fields)
    } else {
        // Latency: the lookup and the write are apart, as on the real API (see module docs).
        let target = find_target(lock(&shared.store).location(&loc), &body, priority);
        ctx.pause().await;
        write(
            &shared,
            &mut lock(&shared.store),
            &loc,
            &target,
            &body,
            &fields,
        )
    };
    json_response(
        200,
        json!({"new": is_new, "contact": contact_json(&contact), "traceId": shared.trace_id()}),
    )
}

async fn create(State(shared): St, Extension(ctx): Ctx) -> Resp {
    let (body, loc, fields) = match write_body(&shared, &ctx, validate::CREATE).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let target = find_target(
        lock(&shared.store).location(&loc),
        &body,
        shared.config.duplicate_priority,
    );
    ctx.pause().await;
    if let (Some(id), Some(field)) = (&target.id, target.matched) {
        return json_response(
            400,
            json!({"statusCode": 400, "message": "This location does not allow duplicated contacts.",
                   "meta": {"contactId": id, "matchingField": field}}),
        );
    }
    let (contact, _) = write(
        &shared,
        &mut lock(&shared.store),
        &loc,
        &Target {
            id: None,
            matched: None,
            skip: None,
        },
        &body,
        &fields,
    );
    json_response(201, json!({"contact": contact_json(&contact)}))
}

async fn get_contact(State(shared): St, Extension(ctx): Ctx, Path(id): Path<String>) -> Resp {
    ctx.pause().await;
    match lock(&shared.store).get(&id) {
        Some(c) => json_response(200, json!({"contact": contact_json(c)})),
        None => contact_not_found(),
    }
}

/// `PUT /contacts/{contactId}` (`UpdateContactDto`): like an upsert's update of that contact,
/// with no matching and no location in the body.
async fn update_contact(State(shared): St, Extension(ctx): Ctx, Path(id): Path<String>) -> Resp {
    let Some(loc) = lock(&shared.store).owner(&id).map(str::to_owned) else {
        ctx.pause().await;
        return contact_not_found();
    };
    let prepared = body_object(&ctx, validate::UPDATE)
        .and_then(|body| Ok((resolve_custom_fields(&shared, &loc, &body)?, body)));
    ctx.pause().await;
    let (fields, body) = match prepared {
        Ok(p) => p,
        Err(refusal) => return refusal.response(),
    };
    let mut store = lock(&shared.store);
    let Some(mut c) = store.get(&id).cloned() else {
        return contact_not_found();
    };
    apply(&mut c, &body, &fields, None);
    c.date_updated = now_iso();
    store.put(c.clone());
    json_response(200, json!({"succeded": true, "contact": contact_json(&c)}))
}

/// `DELETE /contacts/{contactId}`: `{"succeded": true}` (`DeleteContactsSuccessfulResponseDto`).
async fn delete_contact(State(shared): St, Extension(ctx): Ctx, Path(id): Path<String>) -> Resp {
    ctx.pause().await;
    match lock(&shared.store).delete(&id) {
        Some(_) => json_response(200, json!({"succeded": true})),
        None => contact_not_found(),
    }
}

fn contact_not_found() -> Resp {
    json_response(
        400,
        json!({"statusCode": 400, "message": "Contact not found"}),
    )
}

fn matches_query(c: &SandboxContact, q: &str) -> bool {
    let q = q.to_lowercase();
    [
        c.display_name(),
        c.email.clone(),
        c.phone.clone(),
        c.company_name.clone(),
    ]
    .into_iter()
    .flatten()
    .any(|v| v.to_lowercase().contains(&q))
}

fn epoch_ms(iso: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(iso)
        .ok()
        .map(|d| d.timestamp_millis())
}

async fn list(State(shared): St, Extension(ctx): Ctx, uri: Uri) -> Resp {
    ctx.pause().await;
    let pairs = form_pairs(uri.query().unwrap_or(""));
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let mut errors = Vec::new();
    for (k, _) in &pairs {
        if !["locationId", "startAfterId", "startAfter", "query", "limit"].contains(&k.as_str()) {
            errors.push(format!("property {k} should not exist"));
        }
    }
    let loc = get("locationId").unwrap_or_default().to_string();
    if loc.is_empty() {
        errors.push("locationId should not be empty".into());
    }
    let mut limit = 20usize;
    if let Some(l) = get("limit") {
        match l.trim().parse::<f64>() {
            Ok(n) if n > 100.0 => errors.push("limit must not be greater than 100".into()),
            Ok(n) if n < 1.0 => errors.push("limit must not be less than 1".into()),
            Ok(n) => limit = n as usize,
            Err(_) => {
                errors.push("limit must be a number conforming to the specified constraints".into())
            }
        }
    }
    if get("startAfter").is_some_and(|s| s.trim().parse::<f64>().is_err()) {
        errors.push("startAfter must be a number conforming to the specified constraints".into());
    }
    if !errors.is_empty() {
        return unprocessable(errors);
    }
    let query = get("query").filter(|q| !q.is_empty());
    let start_after = get("startAfterId").filter(|s| !s.is_empty());
    let keep = |c: &&SandboxContact| query.is_none_or(|q| matches_query(c, q));

    let store = lock(&shared.store);
    let empty = Location::default();
    let location = store.location(&loc).unwrap_or(&empty);
    let Some(iter) = location.page_iter(start_after) else {
        return bad_request("Invalid startAfterId");
    };
    let mut iter = iter.filter(keep);
    let page: Vec<&SandboxContact> = iter.by_ref().take(limit).collect();
    let more = iter.next().is_some();
    let total = if query.is_some() {
        location.all().filter(keep).count()
    } else {
        location.len()
    };
    let from_start = location
        .page_iter(start_after)
        .map_or(0, |i| i.filter(keep).count());
    let before = total.saturating_sub(from_start);
    let current_page = before / limit.max(1) + 1;
    let last = page.last().filter(|_| more);
    let next_url = last.map(|c| {
        format!(
            "{}/contacts/?locationId={}&startAfter={}&startAfterId={}",
            format_args!("http://{}", shared.addr),
            loc,
            epoch_ms(&c.date_added).unwrap_or(0),
            c.id
        )
    });
    let meta = json!({
        "total": total,
        "nextPageUrl": next_url,
        "startAfterId": last.map(|c| c.id.clone()),
        "startAfter": last.and_then(|c| epoch_ms(&c.date_added)),
        "currentPage": current_page,
        "nextPage": more.then_some(current_page + 1),
        "prevPage": (current_page > 1).then(|| current_page - 1),
    });
    let contacts: Vec<Value> = page.into_iter().map(contact_json).collect();
    json_response(
        200,
        json!({"contacts": contacts, "count": total, "meta": meta}),
    )
}

/// HighLevel (Firestore-style) ids: 20 ASCII alphanumerics.
fn is_firebase_id(id: &str) -> bool {
    id.len() == 20 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

async fn bulk_tags(State(shared): St, Extension(ctx): Ctx, Path(kind): Path<String>) -> Resp {
    ctx.pause().await;
    let add = match kind.as_str() {
        "add" => true,
        "remove" => false,
        _ => {
            return unprocessable(vec![
                "type must be one of the following values: add, remove".into(),
            ])
        }
    };
    let body = match body_object(&ctx, validate::UPDATE_TAGS) {
        Ok(b) => b,
        Err(refusal) => return refusal.response(),
    };
    let remove_all = body
        .get("removeAllTags")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if add && remove_all {
        return bad_request("removeAllTags can only be used with remove type");
    }
    let loc = location_id(&body);
    let tags = str_list(body.get("tags"));
    let mut store = lock(&shared.store);
    let mut responses = Vec::new();
    let mut error_count = 0;
    for id in str_list(body.get("contacts")) {
        let error = if !is_firebase_id(&id) {
            Some("contact id is not a valid firebase id")
        } else {
            match store.owner(&id) {
                None if store.is_deleted(&id) => Some("contact is deleted"),
                None => Some("contact not found"),
                Some(owner) if owner != loc => Some("contact does not belong to location"),
                Some(_) => None,
            }
        };
        if let Some(message) = error {
            error_count += 1;
            responses.push(json!({"contactId": id, "message": message, "type": "error"}));
            continue;
        }
        let Some(mut c) = store.get(&id).cloned() else {
            continue;
        };
        let old = c.tags.clone();
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        if add {
            for t in &tags {
                if !c.tags.contains(t) {
                    c.tags.push(t.clone());
                    added.push(t.clone());
                }
            }
        } else {
            let drop: Vec<String> = if remove_all {
                old.clone()
            } else {
                tags.clone()
            };
            c.tags.retain(|t| {
                let gone = drop.contains(t);
                if gone {
                    removed.push(t.clone());
                }
                !gone
            });
        }
        c.date_updated = now_iso();
        store.put(c);
        responses.push(
            json!({"contactId": id, "message": "Tags updated", "type": "success",
            "oldTags": old, "tagsAdded": added, "tagsRemoved": removed}),
        );
    }
    json_response(
        201,
        json!({"succeded": error_count == 0, "errorCount": error_count, "responses": responses}),
    )
}

async fn bulk_business(State(shared): St, Extension(ctx): Ctx) -> Resp {
    ctx.pause().await;
    let body = match body_object(&ctx, validate::BUSINESS) {
        Ok(b) => b,
        Err(refusal) => return refusal.response(),
    };
    let ids = str_list(body.get("ids"));
    let mut errors = Vec::new();
    if ids.len() > 50 {
        errors.push("ids must contain no more than 50 elements".to_string());
    }
    if ids.iter().any(|id| id.chars().count() > 50) {
        errors.push("each value in ids must be shorter than or equal to 50 characters".to_string());
    }
    if !errors.is_empty() {
        return unprocessable(errors);
    }
    let loc = location_id(&body);
    let business = body
        .get("businessId")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut store = lock(&shared.store);
    let mut updated: Vec<String> = Vec::new();
    for id in ids {
        if updated.contains(&id) {
            continue;
        }
        let Some(mut c) = store.location(&loc).and_then(|l| l.get(&id)).cloned() else {
            continue;
        };
        c.business_id = business.clone();
        c.date_updated = now_iso();
        store.put(c);
        updated.push(id);
    }
    json_response(200, json!({"success": true, "ids": updated}))
}

async fn custom_fields(
    State(shared): St,
    Extension(ctx): Ctx,
    Path(loc): Path<String>,
    uri: Uri,
) -> Resp {
    ctx.pause().await;
    let pairs = form_pairs(uri.query().unwrap_or(""));
    let mut errors = Vec::new();
    let mut model = "all".to_string();
    for (k, v) in &pairs {
        if k == "model" {
            model = v.clone();
        } else {
            errors.push(format!("property {k} should not exist"));
        }
    }
    if !["contact", "opportunity", "all"].contains(&model.as_str()) {
        errors.push("model must be one of the following values: contact, opportunity, all".into());
    }
    if !errors.is_empty() {
        return unprocessable(errors);
    }
    let fields = if model == "opportunity" {
        Vec::new()
    } else {
        list_fields(&shared.config.custom_fields, &loc)
    };
    json_response(200, json!({"customFields": fields}))
}
