//! Contact cards a customer shares ("compartilhar contato"), in one structured shape.
//!
//! Why structured rather than raw JSON: WhatsApp sends vCard-like objects and Telegram a
//! flat `contact`, and the inbox must show both and offer "save as contact" the same way.
//! Every part is optional because WhatsApp says any part may be missing. Labels (`WORK`,
//! `CELL`, `HOME`) are kept as sent.

use serde::{Deserialize, Serialize};

/// One shared contact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactCard {
    /// The name as the sender's phone shows it (`formatted_name`; Telegram: first + last).
    pub formatted_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phones: Vec<ContactPhone>,
    pub emails: Vec<LabeledValue>,
    pub urls: Vec<LabeledValue>,
    pub addresses: Vec<ContactAddress>,
    pub organization: Option<ContactOrganization>,
    /// As sent (WhatsApp: `YYYY-MM-DD`).
    pub birthday: Option<String>,
    /// True when the customer shared their *own* number (Telegram `contact.user_id` equals
    /// the sender): a verified phone for that contact.
    pub is_sender: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPhone {
    /// As typed in the sender's address book (`+55 31 97654-3210`).
    pub phone: String,
    /// The WhatsApp id behind that number, when WhatsApp knows it.
    pub wa_id: Option<String>,
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabeledValue {
    pub value: String,
    pub label: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactAddress {
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub country: Option<String>,
    pub country_code: Option<String>,
    pub label: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactOrganization {
    pub company: Option<String>,
    pub department: Option<String>,
    pub title: Option<String>,
}
