//! WhatsApp message templates: synced from Meta (`GET /{waba}/message_templates`, every
//! page), kept per channel, and checked before a template send so an agent hears at once
//! that a name, language or parameter count is wrong instead of after Meta refuses it.

use saw_channels::outbound::whatsapp;
use saw_core::channel::ChannelConfig;
use saw_core::ids::{AccountId, ChannelId};
use saw_core::outbound::TemplatePayload;
use saw_store::repo::templates::{self, Template};
use saw_store::{Conn, now};

use crate::{Actor, App, AppError, channels, outbox};

/// Pages followed at most (100 templates each): a runaway `next` link must end.
const MAX_PAGES: usize = 50;

/// Fetches the channel's templates from Meta and replaces the stored ones; answers them.
pub async fn sync(
    app: &App,
    actor: &Actor,
    account: AccountId,
    channel: ChannelId,
) -> Result<Vec<Template>, AppError> {
    let (_, config) = channels::get_decrypted(app, account, channel).await?;
    let ChannelConfig::WhatsApp(wa) = config else {
        return Err(AppError::WhatsAppOnly);
    };
    let http = outbox::http_client()?;
    let mut url = whatsapp::templates_url(&wa.settings.api_base, &wa.settings.waba_id);
    let base = wa.settings.api_base.trim_end_matches('/').to_owned();
    let mut list = Vec::new();
    for _ in 0..MAX_PAGES {
        let response = http
            .get(&url)
            .bearer_auth(wa.secrets.access_token.expose())
            .send()
            .await
            .map_err(|e| AppError::Provider(crate::outbox::network_error(e)))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| AppError::Provider(crate::outbox::network_error(e)))?;
        if !(200..300).contains(&status) {
            let why = whatsapp::error_reason(&body)
                .unwrap_or_else(|| format!("WhatsApp answered HTTP {status}"));
            return Err(AppError::Provider(why));
        }
        let (page, next) =
            whatsapp::parse_templates(&body).map_err(|e| AppError::Provider(e.to_string()))?;
        let at = now();
        list.extend(page.into_iter().map(|t| Template {
            name: t.name,
            language: t.language,
            status: t.status,
            category: Some(t.category),
            body_text: t.body_text,
            body_params: t.body_param_count as i64,
            header_params: t.header_param_count as i64,
            components: t.components.to_string(),
            synced_at: at,
        }));
        // The token goes only to the channel's own API base.
        match next {
            Some(next) if next.starts_with(&format!("{base}/")) => url = next,
            _ => break,
        }
    }
    let entry = actor.audit(account, "channel.templates_synced", channel.to_string());
    let stored = list.clone();
    app.store
        .write(move |c| {
            templates::replace(c, channel, &stored)?;
            saw_store::repo::audit::record(c, &entry, now())
        })
        .await?;
    Ok(list)
}

pub async fn list(
    app: &App,
    account: AccountId,
    channel: ChannelId,
) -> Result<Vec<Template>, AppError> {
    channels::get_decrypted(app, account, channel).await?;
    Ok(app
        .store
        .read(move |c| templates::of_channel(c, channel))
        .await?)
}

/// Checks a template send against the synced templates, when there are any: the template
/// must exist in that language, be approved, and get exactly its parameters.
pub(crate) fn check(
    c: &mut dyn Conn,
    channel: ChannelId,
    t: &TemplatePayload,
) -> Result<(), AppError> {
    let known = templates::of_channel(c, channel).map_err(AppError::from)?;
    if known.is_empty() {
        // Never synced: Meta is the judge (132001 comes back as the message's failure).
        return Ok(());
    }
    let found = known
        .iter()
        .find(|k| k.name == t.name && k.language == t.language)
        .ok_or_else(|| AppError::UnknownTemplate(format!("{} ({})", t.name, t.language)))?;
    if found.status != "APPROVED" {
        return Err(AppError::TemplateNotApproved(found.status.clone()));
    }
    if found.body_params != t.body_params.len() as i64
        || found.header_params != t.header_params.len() as i64
    {
        return Err(AppError::TemplateParameters {
            body: found.body_params,
            header: found.header_params,
        });
    }
    Ok(())
}
