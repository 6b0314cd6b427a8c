//! Contacts: one customer on one channel family, keyed by the provider's id exactly as sent.

use chrono::{DateTime, Utc};
use saw_core::ids::{AccountId, ContactId};

use crate::conn::{Conn, Row};
use crate::{StoreError, params};

/// What an inbound message tells about its sender.
pub struct SeenContact<'a> {
    pub account_id: AccountId,
    /// `whatsapp`, `telegram`, `sandbox`: ids are only unique within a family.
    pub family: &'a str,
    /// The provider's id of the customer, never "corrected".
    pub external_id: &'a str,
    pub name: Option<&'a str>,
    /// Canonical E.164 (`saw_core::phone::canonical_e164`), when the provider's id is a
    /// phone number.
    pub phone: Option<&'a str>,
    pub provider_user_id: Option<&'a str>,
}

/// Finds the contact or creates it; a name or provider user id the provider now sends
/// replaces the stored one (customers rename themselves), a missing one keeps it.
pub fn upsert_seen(
    c: &mut dyn Conn,
    s: &SeenContact<'_>,
    now: DateTime<Utc>,
) -> Result<ContactId, StoreError> {
    let mut existing = c.query_opt(
        "SELECT id, name, provider_user_id, phone FROM contacts
         WHERE account_id = $1 AND family = $2 AND external_id = $3",
        params![s.account_id, s.family, s.external_id],
        Known::of,
    )?;
    // A WhatsApp user first seen by their business-scoped id (number hidden) may later come
    // with their number: the same person, not a new contact.
    if existing.is_none()
        && let Some(user_id) = s.provider_user_id
    {
        existing = c.query_opt(
            "SELECT id, name, provider_user_id, phone FROM contacts
             WHERE account_id = $1 AND family = $2 AND provider_user_id = $3",
            params![s.account_id, s.family, user_id],
            Known::of,
        )?;
    }
    // The same phone written another way (a Brazilian mobile's old 8-digit `wa_id`): the
    // same person. Replies go to the id the provider uses now.
    if existing.is_none()
        && let Some(phone) = s.phone
    {
        existing = c.query_opt(
            "SELECT id, name, provider_user_id, phone FROM contacts
             WHERE account_id = $1 AND family = $2 AND phone = $3 ORDER BY id LIMIT 1",
            params![s.account_id, s.family, phone],
            Known::of,
        )?;
        if let Some(known) = &existing {
            c.execute(
                "UPDATE contacts SET external_id = $2, updated_at = $3 WHERE id = $1",
                params![known.id, s.external_id, now],
            )?;
        }
    }
    match existing {
        // Most messages come from a contact exactly as stored: nothing to write.
        Some(known) if !known.changed_by(s) => Ok(ContactId::new(known.id)),
        Some(known) => {
            c.execute(
                "UPDATE contacts SET name = COALESCE($2, name), provider_user_id = COALESCE($3, provider_user_id),
                 phone = COALESCE(phone, $4), updated_at = $5 WHERE id = $1",
                params![known.id, s.name, s.provider_user_id, s.phone, now],
            )?;
            Ok(ContactId::new(known.id))
        }
        None => c
            .insert_returning_id(
                "INSERT INTO contacts (account_id, family, external_id, name, phone, provider_user_id, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
                params![s.account_id, s.family, s.external_id, s.name, s.phone, s.provider_user_id, now],
            )
            .map(ContactId::new),
    }
}

/// A stored contact's fields that an inbound message may update.
struct Known {
    id: i64,
    name: Option<String>,
    provider_user_id: Option<String>,
    phone: Option<String>,
}

impl Known {
    fn of(r: &dyn Row) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.i64(0)?,
            name: r.opt_text(1)?,
            provider_user_id: r.opt_text(2)?,
            phone: r.opt_text(3)?,
        })
    }

    /// Whether `seen` would change anything: a new name or user id replaces the stored
    /// one, a phone only fills a missing one.
    fn changed_by(&self, seen: &SeenContact<'_>) -> bool {
        let replaces = |new: Option<&str>, old: &Option<String>| {
            new.is_some_and(|new| old.as_deref() != Some(new))
        };
        replaces(seen.name, &self.name)
            || replaces(seen.provider_user_id, &self.provider_user_id)
            || (self.phone.is_none() && seen.phone.is_some())
    }
}

/// The fields the bot collected (`{"pedido": "4521"}`).
pub fn fields(c: &mut dyn Conn, contact: ContactId) -> Result<String, StoreError> {
    c.query_one(
        "SELECT fields FROM contacts WHERE id = $1",
        params![contact],
        |r| r.text(0),
    )
}

pub fn set_fields(c: &mut dyn Conn, contact: ContactId, fields: &str) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE contacts SET fields = $2 WHERE id = $1",
        params![contact, fields],
    )
}

/// The name the provider gave the contact, if any.
pub fn name(c: &mut dyn Conn, contact: ContactId) -> Result<Option<String>, StoreError> {
    c.query_one(
        "SELECT name FROM contacts WHERE id = $1",
        params![contact],
        |r| r.opt_text(0),
    )
}

/// Whether the contact asked for no proactive messages.
pub fn opted_out(c: &mut dyn Conn, contact: ContactId) -> Result<bool, StoreError> {
    c.query_one(
        "SELECT opted_out FROM contacts WHERE id = $1",
        params![contact],
        |r| r.bool(0),
    )
}

/// The customer asked for no proactive messages ("SAIR").
pub fn opt_out(c: &mut dyn Conn, contact: ContactId) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE contacts SET opted_out = TRUE WHERE id = $1",
        params![contact],
    )
}

/// A contact as the inbox's panel and the API show it.
#[derive(Debug, Clone)]
pub struct ContactCard {
    pub id: ContactId,
    /// `whatsapp`, `telegram` or `sandbox`.
    pub family: String,
    pub external_id: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    /// What the bot collected, as a JSON object of strings.
    pub fields: String,
    pub notes: String,
    pub opted_out: bool,
    pub created_at: DateTime<Utc>,
}

pub fn card(
    c: &mut dyn Conn,
    account: AccountId,
    id: ContactId,
) -> Result<ContactCard, StoreError> {
    c.query_one(
        "SELECT id, family, external_id, name, phone, fields, notes, opted_out, created_at
         FROM contacts WHERE account_id = $1 AND id = $2",
        params![account, id],
        |r| {
            Ok(ContactCard {
                id: ContactId::new(r.i64(0)?),
                family: r.text(1)?,
                external_id: r.text(2)?,
                name: r.opt_text(3)?,
                phone: r.opt_text(4)?,
                fields: r.text(5)?,
                notes: r.text(6)?,
                opted_out: r.bool(7)?,
                created_at: r.time(8)?,
            })
        },
    )
}

/// What a person may change on a contact.
#[derive(Debug, Clone, Default)]
pub struct ContactEdit<'a> {
    pub name: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub opted_out: Option<bool>,
    pub fields: Option<&'a str>,
}

/// Applies the given changes; a `None` keeps the stored value.
pub fn edit(
    c: &mut dyn Conn,
    account: AccountId,
    id: ContactId,
    e: &ContactEdit<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE contacts SET name = COALESCE($3, name), notes = COALESCE($4, notes),
                opted_out = COALESCE($5, opted_out), fields = COALESCE($6, fields), updated_at = $7
         WHERE account_id = $1 AND id = $2",
        params![account, id, e.name, e.notes, e.opted_out, e.fields, now],
    )
}
