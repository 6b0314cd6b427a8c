//! Flows as admins handle them: exported and imported as YAML, from the CLI or the
//! chatbot page (one flow for the account, optionally one per channel). An import is checked whole — YAML syntax (with its line), shape and meaning (with
//! the field's path) — and changes nothing when it is refused.

use chrono::{DateTime, Utc};
pub use saw_bot::Flow;
pub use saw_bot::fields::FieldKind;
pub use saw_bot::flow::{Action, Ask, AutoReply, Edit};
use saw_core::ids::{AccountId, ChannelId};
use saw_store::now;
use saw_store::repo::{accounts, audit, bot};

use crate::{Actor, App, AppError, channels};

/// The YAML of the flow that answers on `channel` (`None`: the account's default), as it
/// runs: the stored one, or the built-in example when none is stored.
pub async fn export(
    app: &App,
    account: AccountId,
    channel: Option<ChannelId>,
) -> Result<String, AppError> {
    let stored = app
        .store
        .read(move |c| {
            let found = match channel {
                Some(channel) => bot::flow_for(c, account, channel)?,
                None => bot::default_flow(c, account)?,
            };
            let language = accounts::by_id(c, account)?.language;
            Ok::<_, AppError>((found, language))
        })
        .await?;
    Ok(match stored {
        (Some((_, yaml)), _) => yaml,
        (None, language) => Flow::example(language).to_yaml(),
    })
}

/// `yaml` as a flow, checked whole, for a channel of the account (`None`: its default).
async fn checked(
    app: &App,
    account: AccountId,
    channel: Option<ChannelId>,
    yaml: &str,
) -> Result<Flow, AppError> {
    let flow = Flow::from_yaml(yaml).map_err(|e| AppError::InvalidFlow(e.to_string()))?;
    if let Some(channel) = channel {
        channels::get_decrypted(app, account, channel).await?;
    }
    Ok(flow)
}

/// Checks `yaml` and stores it as the flow of `channel` (`None`: the account's default).
pub async fn import(
    app: &App,
    actor: &Actor,
    account: AccountId,
    channel: Option<ChannelId>,
    yaml: &str,
) -> Result<Flow, AppError> {
    let flow = checked(app, account, channel, yaml).await?;
    let (name, text) = (flow.name.clone(), flow.to_yaml());
    let mut entry = actor.audit(account, "flow.imported", name.clone());
    entry.detail = Some(match channel {
        Some(channel) => format!("for channel {channel}"),
        None => "the account's default".into(),
    });
    app.store
        .write(move |c| {
            let at = now();
            bot::put_flow(c, account, channel, &name, &text, at)?;
            // Published: the draft of that scope has served its purpose.
            bot::discard_draft(c, account, channel)?;
            audit::record(c, &entry, at)
        })
        .await?;
    Ok(flow)
}

/// The draft of `channel` (`None`: the account's default) and when it was saved.
pub async fn draft(
    app: &App,
    account: AccountId,
    channel: Option<ChannelId>,
) -> Result<Option<(String, DateTime<Utc>)>, AppError> {
    Ok(app
        .store
        .read(move |c| bot::draft(c, account, channel))
        .await?)
}

/// Whether a draft waits to be tried on the sandbox.
pub async fn has_draft(app: &App, account: AccountId) -> Result<bool, AppError> {
    Ok(app.store.read(move |c| bot::has_draft(c, account)).await?)
}

/// Checks `yaml` like [`import`] and keeps it as the draft of `channel` (`None`: the
/// account's default), to try on the sandbox; what answers customers does not change.
pub async fn save_draft(
    app: &App,
    actor: &Actor,
    account: AccountId,
    channel: Option<ChannelId>,
    yaml: &str,
) -> Result<Flow, AppError> {
    let flow = checked(app, account, channel, yaml).await?;
    let text = flow.to_yaml();
    let entry = actor.audit(account, "flow.draft_saved", flow.name.clone());
    app.store
        .write(move |c| {
            let at = now();
            bot::put_draft(c, account, channel, &text, at)?;
            audit::record(c, &entry, at)
        })
        .await?;
    Ok(flow)
}

/// Drops the draft of `channel` (`None`: the account's default).
pub async fn discard_draft(
    app: &App,
    actor: &Actor,
    account: AccountId,
    channel: Option<ChannelId>,
) -> Result<(), AppError> {
    let target = match channel {
        Some(channel) => format!("channel {channel}"),
        None => "the account's default".to_owned(),
    };
    let entry = actor.audit(account, "flow.draft_discarded", target);
    app.store
        .write(move |c| {
            if !bot::discard_draft(c, account, channel)? {
                return Err(AppError::NotFound);
            }
            audit::record(c, &entry, now())?;
            Ok(())
        })
        .await
}

/// The channels that answer with a flow of their own rather than the account's default.
pub async fn channels_with_own_flow(
    app: &App,
    account: AccountId,
) -> Result<Vec<ChannelId>, AppError> {
    Ok(app
        .store
        .read(move |c| bot::channels_with_own_flow(c, account))
        .await?)
}

/// Drops `channel`'s own flow: the account's default answers there again, also in
/// conversations under way (at the same step when it exists there).
pub async fn use_default(
    app: &App,
    actor: &Actor,
    account: AccountId,
    channel: ChannelId,
) -> Result<(), AppError> {
    let mut entry = actor.audit(account, "flow.removed", format!("channel {channel}"));
    entry.detail = Some("the channel follows the account's default flow".into());
    app.store
        .write(move |c| {
            if !bot::remove_channel_flow(c, account, channel)? {
                return Err(AppError::NotFound);
            }
            audit::record(c, &entry, now())?;
            Ok(())
        })
        .await
}

/// The flow the editor works on for `channel` (`None`: the account's default): its draft,
/// else the flow answering there now.
pub async fn editing(
    app: &App,
    account: AccountId,
    channel: Option<ChannelId>,
) -> Result<Flow, AppError> {
    let yaml = match draft(app, account, channel).await? {
        Some((yaml, _)) => yaml,
        None => export(app, account, channel).await?,
    };
    Flow::from_yaml(&yaml).map_err(|e| AppError::InvalidFlow(e.to_string()))
}

/// Makes one change of the tree editor on [`editing`]'s flow and keeps the result as the
/// draft (checked whole; customers keep the published flow until it is published).
pub async fn edit(
    app: &App,
    actor: &Actor,
    account: AccountId,
    channel: Option<ChannelId>,
    change: Edit,
) -> Result<Flow, AppError> {
    let flow = editing(app, account, channel)
        .await?
        .edited(change)
        .map_err(|e| AppError::InvalidFlow(e.to_string()))?;
    save_draft(app, actor, account, channel, &flow.to_yaml()).await
}

/// Publishes the draft of `channel` (`None`: the account's default).
pub async fn publish_draft(
    app: &App,
    actor: &Actor,
    account: AccountId,
    channel: Option<ChannelId>,
) -> Result<Flow, AppError> {
    let (yaml, _) = draft(app, account, channel)
        .await?
        .ok_or(AppError::NotFound)?;
    import(app, actor, account, channel, &yaml).await
}
