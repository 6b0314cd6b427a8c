//! A WhatsApp channel's message templates as last synced from Meta.

use chrono::{DateTime, Utc};
use saw_core::ids::ChannelId;

use crate::conn::Conn;
use crate::{StoreError, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub language: String,
    pub status: String,
    pub category: Option<String>,
    pub body_text: Option<String>,
    pub body_params: i64,
    pub header_params: i64,
    pub components: String,
    pub synced_at: DateTime<Utc>,
}

/// Replaces the channel's templates with `list` (Meta's list is the truth).
pub fn replace(c: &mut dyn Conn, channel: ChannelId, list: &[Template]) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM channel_templates WHERE channel_id = $1",
        params![channel],
    )?;
    for t in list {
        c.execute(
            "INSERT INTO channel_templates (channel_id, name, language, status, category, body_text, body_params,
                                            header_params, components, synced_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (channel_id, name, language) DO NOTHING",
            params![
                channel,
                &t.name,
                &t.language,
                &t.status,
                t.category.as_deref(),
                t.body_text.as_deref(),
                t.body_params,
                t.header_params,
                &t.components,
                t.synced_at
            ],
        )?;
    }
    Ok(())
}

pub fn of_channel(c: &mut dyn Conn, channel: ChannelId) -> Result<Vec<Template>, StoreError> {
    c.query_all(
        "SELECT name, language, status, category, body_text, body_params, header_params, components, synced_at
         FROM channel_templates WHERE channel_id = $1 ORDER BY name, language",
        params![channel],
        |r| {
            Ok(Template {
                name: r.text(0)?,
                language: r.text(1)?,
                status: r.text(2)?,
                category: r.opt_text(3)?,
                body_text: r.opt_text(4)?,
                body_params: r.i64(5)?,
                header_params: r.i64(6)?,
                components: r.text(7)?,
                synced_at: r.time(8)?,
            })
        },
    )
}
