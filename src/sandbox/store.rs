//! In-memory contacts, per location, with the email/phone indexes duplicate matching needs.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::validate::normalize_phone;
use super::{CustomFieldDef, SandboxContact};

/// One location's contacts. `seq` gives the stable insertion order that paging walks.
#[derive(Default)]
pub(crate) struct Location {
    contacts: BTreeMap<u64, SandboxContact>,
    seq_of: HashMap<String, u64>,
    by_email: HashMap<String, Vec<String>>,
    by_phone: HashMap<String, Vec<String>>,
    next_seq: u64,
}

/// All locations, plus which location each id lives in (for "does not belong to location").
#[derive(Default)]
pub(crate) struct Store {
    locations: HashMap<String, Location>,
    owner: HashMap<String, String>,
    /// Deleted ids, so bulk tag calls can answer "contact is deleted" as the spec shows.
    deleted: std::collections::HashSet<String>,
}

fn email_key(c: &SandboxContact) -> Option<String> {
    c.email.as_deref().map(str::to_lowercase)
}

fn phone_key(c: &SandboxContact) -> Option<String> {
    c.phone.as_deref().and_then(normalize_phone)
}

fn remove_from(index: &mut HashMap<String, Vec<String>>, key: Option<String>, id: &str) {
    if let Some(key) = key {
        if let Some(ids) = index.get_mut(&key) {
            ids.retain(|x| x != id);
            if ids.is_empty() {
                index.remove(&key);
            }
        }
    }
}

impl Location {
    fn unindex(&mut self, c: &SandboxContact) {
        remove_from(&mut self.by_email, email_key(c), &c.id);
        remove_from(&mut self.by_phone, phone_key(c), &c.id);
    }

    fn index(&mut self, c: &SandboxContact) {
        if let Some(k) = email_key(c) {
            self.by_email.entry(k).or_default().push(c.id.clone());
        }
        if let Some(k) = phone_key(c) {
            self.by_phone.entry(k).or_default().push(c.id.clone());
        }
    }

    /// The oldest contact with this email (case-insensitive).
    pub(crate) fn find_email(&self, email: &str) -> Option<String> {
        self.oldest(self.by_email.get(&email.to_lowercase()))
    }

    /// The oldest contact with this phone (compared as `+digits`).
    pub(crate) fn find_phone(&self, phone: &str) -> Option<String> {
        self.oldest(self.by_phone.get(&normalize_phone(phone)?))
    }

    fn oldest(&self, ids: Option<&Vec<String>>) -> Option<String> {
        ids?.iter()
            .min_by_key(|id| self.seq_of.get(*id).copied().unwrap_or(u64::MAX))
            .cloned()
    }

    pub(crate) fn get(&self, id: &str) -> Option<&SandboxContact> {
        self.contacts.get(self.seq_of.get(id)?)
    }

    /// Replaces (or inserts) a contact, keeping the indexes right.
    pub(crate) fn put(&mut self, c: SandboxContact) {
        if let Some(&seq) = self.seq_of.get(&c.id) {
            if let Some(old) = self.contacts.remove(&seq) {
                self.unindex(&old);
            }
            self.index(&c);
            self.contacts.insert(seq, c);
        } else {
            let seq = self.next_seq;
            self.next_seq += 1;
            self.seq_of.insert(c.id.clone(), seq);
            self.index(&c);
            self.contacts.insert(seq, c);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.contacts.len()
    }

    fn remove(&mut self, id: &str) -> Option<SandboxContact> {
        let seq = self.seq_of.remove(id)?;
        let c = self.contacts.remove(&seq)?;
        self.unindex(&c);
        Some(c)
    }

    /// Contacts in insertion order, after `start_after` (exclusive) when given.
    /// `None` when `start_after` is not an id of this location.
    pub(crate) fn page_iter<'a>(
        &'a self,
        start_after: Option<&str>,
    ) -> Option<impl Iterator<Item = &'a SandboxContact> + 'a> {
        let from = match start_after {
            Some(id) => *self.seq_of.get(id)? + 1,
            None => 0,
        };
        Some(self.contacts.range(from..).map(|(_, c)| c))
    }

    pub(crate) fn all(&self) -> impl Iterator<Item = &SandboxContact> {
        self.contacts.values()
    }
}

impl Store {
    pub(crate) fn location(&self, id: &str) -> Option<&Location> {
        self.locations.get(id)
    }

    /// Each location with contacts and how many, by id.
    pub(crate) fn sizes(&self) -> Vec<(String, usize)> {
        let mut v: Vec<(String, usize)> = self
            .locations
            .iter()
            .map(|(id, l)| (id.clone(), l.contacts.len()))
            .filter(|(_, n)| *n > 0)
            .collect();
        v.sort();
        v
    }

    pub(crate) fn location_mut(&mut self, id: &str) -> &mut Location {
        self.locations.entry(id.to_string()).or_default()
    }

    /// Which location holds this contact id.
    pub(crate) fn owner(&self, id: &str) -> Option<&str> {
        self.owner.get(id).map(String::as_str)
    }

    pub(crate) fn get(&self, id: &str) -> Option<&SandboxContact> {
        self.locations.get(self.owner.get(id)?)?.get(id)
    }

    /// Deletes a contact; `None` if there is no such contact.
    pub(crate) fn delete(&mut self, id: &str) -> Option<SandboxContact> {
        let loc = self.owner.remove(id)?;
        let c = self.locations.get_mut(&loc)?.remove(id)?;
        self.deleted.insert(id.to_owned());
        Some(c)
    }

    pub(crate) fn is_deleted(&self, id: &str) -> bool {
        self.deleted.contains(id)
    }

    pub(crate) fn put(&mut self, c: SandboxContact) {
        self.owner.insert(c.id.clone(), c.location_id.clone());
        let loc = c.location_id.clone();
        self.location_mut(&loc).put(c);
    }
}

/// A custom field as `GET /locations/{id}/customFields` lists it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListedField<'a> {
    id: String,
    name: &'a str,
    field_key: String,
    placeholder: &'a str,
    data_type: &'a str,
    position: usize,
    picklist_options: &'a [String],
    picklist_image_options: [String; 0],
    is_allowed_custom_option: bool,
    is_multi_file_allowed: bool,
    max_file_limit: u32,
    location_id: &'a str,
    model: &'static str,
}

/// The id a location gives a field: a hash of location and key, 20 alphanumerics like
/// HighLevel's ids, stable across runs so tests can hard-code nothing and still compare.
pub(crate) fn field_id(location_id: &str, key: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    // FNV-1a, then a splitmix stream for the characters.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in location_id.bytes().chain([0u8]).chain(key.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (0..20)
        .map(|_| {
            h = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = h;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            ALPHABET[(z % ALPHABET.len() as u64) as usize] as char
        })
        .collect()
}

pub(crate) fn list_fields<'a>(
    defs: &'a [CustomFieldDef],
    location_id: &'a str,
) -> Vec<ListedField<'a>> {
    defs.iter()
        .enumerate()
        .map(|(i, d)| ListedField {
            id: field_id(location_id, d.short_key()),
            name: &d.name,
            field_key: format!("contact.{}", d.short_key()),
            placeholder: &d.placeholder,
            data_type: d.data_type.as_str(),
            position: i * 50,
            picklist_options: &d.options,
            picklist_image_options: [],
            is_allowed_custom_option: false,
            is_multi_file_allowed: false,
            max_file_limit: 0,
            location_id,
            model: "contact",
        })
        .collect()
}

/// The contact as `GetContectByIdSchema` shows it. Absent fields are omitted (as the real API
/// omits unset fields), while `tags`, `customFields` and `dnd` are always present.
pub(crate) fn contact_json(c: &SandboxContact) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            m.insert(k.to_string(), Value::String(v.clone()));
        }
    };
    put("id", &Some(c.id.clone()));
    put("locationId", &Some(c.location_id.clone()));
    put("firstName", &c.first_name);
    put("lastName", &c.last_name);
    put("name", &c.display_name());
    put("email", &c.email);
    put("emailLowerCase", &c.email.as_deref().map(str::to_lowercase));
    put("phone", &c.phone);
    put("gender", &c.gender);
    put("address1", &c.address1);
    put("city", &c.city);
    put("state", &c.state);
    put("postalCode", &c.postal_code);
    put("country", &c.country);
    put("website", &c.website);
    put("timezone", &c.timezone);
    put("companyName", &c.company_name);
    put("source", &c.source);
    put("assignedTo", &c.assigned_to);
    put("dateOfBirth", &c.date_of_birth);
    put("businessId", &c.business_id);
    put(
        "firstNameLowerCase",
        &c.first_name.as_deref().map(str::to_lowercase),
    );
    put(
        "lastNameLowerCase",
        &c.last_name.as_deref().map(str::to_lowercase),
    );
    put(
        "fullNameLowerCase",
        &c.display_name().map(|n| n.to_lowercase()),
    );
    put("dateAdded", &Some(c.date_added.clone()));
    put("dateUpdated", &Some(c.date_updated.clone()));
    m.insert("type".into(), json!("lead"));
    m.insert("dnd".into(), json!(c.dnd.unwrap_or(false)));
    if let Some(v) = &c.dnd_settings {
        m.insert("dndSettings".into(), v.clone());
    }
    if let Some(v) = &c.inbound_dnd_settings {
        m.insert("inboundDndSettings".into(), v.clone());
    }
    m.insert("tags".into(), json!(c.tags));
    m.insert(
        "customFields".into(),
        Value::Array(
            c.custom_fields
                .iter()
                .map(|f| json!({"id": f.id, "value": f.value}))
                .collect(),
        ),
    );
    Value::Object(m)
}
