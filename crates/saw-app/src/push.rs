//! Web Push: a person who allowed notifications on a phone or computer is told of a new
//! ticket waiting in their queues and of a customer's new message on their tickets while the
//! inbox is closed there (when it is open, the page itself rings). Messages are encrypted
//! for the browser (RFC 8291, aes128gcm) and signed with SAW's VAPID key (RFC 8292), made
//! on first use and kept encrypted with the other secrets.

use std::collections::VecDeque;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use saw_core::account::Language;
use saw_core::conversation::{MessageDirection, TicketStatus};
use saw_core::ids::{AccountId, QueueId, TicketId, UserId};
use saw_core::user::User;
use saw_store::now;
use saw_store::repo::{accounts, push, settings, tickets, users};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use web_push_native::WebPushBuilder;
use web_push_native::jwt_simple::algorithms::ES256KeyPair;

use crate::events::Event;
use crate::{App, AppError};

const KEY_SETTING: &str = "vapid_private_key";
/// How long a push service keeps a notification for a phone that is off: an hour.
const TTL: std::time::Duration = std::time::Duration::from_secs(3600);
/// How many events are looked at together (one read of the subscriptions for them all):
/// commits are taken whole until this many are at hand.
const READ_TOGETHER: usize = 64;

/// SAW's VAPID key pair.
pub struct Vapid {
    key: ES256KeyPair,
    /// The public key as browsers want it (`applicationServerKey`): uncompressed point,
    /// base64url.
    pub public_key: String,
}

/// The VAPID key, made and stored (encrypted) the first time.
pub async fn vapid(app: &App) -> Result<Vapid, AppError> {
    let secrets = app.secrets.clone();
    let raw = app
        .store
        .write(move |c| {
            if let Some(stored) = settings::get(c, KEY_SETTING)? {
                let sealed = URL_SAFE_NO_PAD
                    .decode(stored)
                    .map_err(|_| AppError::Secrets("the VAPID key is damaged".into()))?;
                return secrets.decrypt(&sealed);
            }
            let fresh = ES256KeyPair::generate().to_bytes();
            let sealed = URL_SAFE_NO_PAD.encode(secrets.encrypt(&fresh));
            settings::put(c, KEY_SETTING, &sealed)?;
            Ok(fresh)
        })
        .await?;
    let key = ES256KeyPair::from_bytes(&raw)
        .map_err(|e| AppError::Secrets(format!("the VAPID key is damaged: {e}")))?;
    let point = p256::SecretKey::from_slice(&raw)
        .map_err(|e| AppError::Secrets(format!("the VAPID key is damaged: {e}")))?
        .public_key()
        .to_encoded_point(false);
    Ok(Vapid {
        key,
        public_key: URL_SAFE_NO_PAD.encode(point.as_bytes()),
    })
}

/// Keeps the subscription a browser gave (`pushManager.subscribe`, as JSON).
pub async fn subscribe(app: &App, user: &User, subscription: &str) -> Result<(), AppError> {
    let parsed: serde_json::Value = serde_json::from_str(subscription)
        .map_err(|e| AppError::Malformed(format!("the subscription is not JSON: {e}")))?;
    serde_json::from_value::<WebPushBuilder>(parsed.clone())
        .map_err(|e| AppError::Malformed(format!("the subscription is not valid: {e}")))?;
    let endpoint = parsed["endpoint"].as_str().unwrap_or_default().to_owned();
    if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
        return Err(AppError::Malformed(
            "the subscription has no endpoint URL".into(),
        ));
    }
    let (account, id, json) = (user.account_id, user.id, parsed.to_string());
    Ok(app
        .store
        .write(move |c| push::subscribe(c, account, id, &endpoint, &json, now()))
        .await?)
}

/// A notification for a person's browsers.
struct Notice {
    account: AccountId,
    ticket: TicketId,
    /// The people to tell, with their browsers' (endpoint, subscription).
    to: Vec<(UserId, String, String)>,
    new_ticket: bool,
}

/// Listens to the event bus until aborted.
pub fn spawn(app: App, http: reqwest::Client) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut events = app.events.subscribe();
        // A ticket is announced once per kind, however often it changes while waiting.
        let mut told: VecDeque<(TicketId, bool)> = VecDeque::with_capacity(1024);
        let mut vapid_key: Option<Arc<Vapid>> = None;
        loop {
            // The events already there are looked at together: one read for a burst.
            let mut ready: Vec<_> = match events.recv().await {
                Ok(published) => published.iter().map(|n| n.event.clone()).collect(),
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            };
            while ready.len() < READ_TOGETHER {
                match events.try_recv() {
                    Ok(published) => ready.extend(published.iter().map(|n| n.event.clone())),
                    Err(TryRecvError::Lagged(_)) => continue,
                    Err(_) => break,
                }
            }
            let notices = match recipients(&app, &ready).await {
                Ok(notices) => notices,
                Err(error) => {
                    tracing::warn!(%error, "finding whom to notify failed");
                    continue;
                }
            };
            for notice in notices {
                tell(&app, &http, &mut told, &mut vapid_key, notice).await;
            }
        }
    })
}

/// Sends one notice, unless it announces a ticket already announced.
async fn tell(
    app: &App,
    http: &reqwest::Client,
    told: &mut VecDeque<(TicketId, bool)>,
    vapid_key: &mut Option<Arc<Vapid>>,
    notice: Notice,
) {
    if notice.new_ticket {
        if told.contains(&(notice.ticket, true)) {
            return;
        }
        if told.len() == 1024 {
            told.pop_front();
        }
        told.push_back((notice.ticket, true));
    }
    if vapid_key.is_none() {
        match vapid(app).await {
            Ok(v) => *vapid_key = Some(Arc::new(v)),
            Err(error) => {
                tracing::warn!(%error, "the VAPID key is unavailable");
                return;
            }
        }
    }
    if let Some(key) = vapid_key {
        deliver(app, http, key, notice).await;
    }
}

/// Who hears of these events: the queue's members for a ticket that starts waiting, the
/// assignee for a customer's message; never someone whose inbox is open here. One read for
/// them all.
async fn recipients(app: &App, events: &[Arc<Event>]) -> Result<Vec<Notice>, AppError> {
    let wanted: Vec<Wanted> = events.iter().filter_map(|e| wanted(e)).collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let found = app
        .store
        .read(move |c| {
            if !push::any(c)? {
                return Ok(Vec::new());
            }
            wanted
                .into_iter()
                .map(|w| {
                    let to = match w.queue {
                        Some(q) => push::of_queue(c, q)?,
                        None => push::of_assignee(c, w.ticket)?,
                    };
                    Ok((w, to))
                })
                .collect::<Result<Vec<_>, saw_store::StoreError>>()
        })
        .await?;
    Ok(found
        .into_iter()
        .filter_map(|(w, mut to)| {
            to.retain(|(user, _, _)| !app.presence.is_online(*user));
            (!to.is_empty()).then_some(Notice {
                account: w.account,
                ticket: w.ticket,
                to,
                new_ticket: w.new_ticket,
            })
        })
        .collect())
}

/// An event someone may have to hear of, and whose subscriptions to read for it.
struct Wanted {
    account: AccountId,
    ticket: TicketId,
    new_ticket: bool,
    /// The queue whose members hear of a ticket that starts waiting; `None`: the ticket's
    /// assignee.
    queue: Option<QueueId>,
}

fn wanted(event: &Event) -> Option<Wanted> {
    match *event {
        Event::TicketChanged {
            account_id,
            ticket_id,
            status: TicketStatus::Pending,
            queue_id: Some(queue),
            ..
        } => Some(Wanted {
            account: account_id,
            ticket: ticket_id,
            new_ticket: true,
            queue: Some(queue),
        }),
        Event::MessageCreated {
            account_id,
            ticket_id,
            direction: MessageDirection::Inbound,
            ..
        } => Some(Wanted {
            account: account_id,
            ticket: ticket_id,
            new_ticket: false,
            queue: None,
        }),
        _ => None,
    }
}

async fn deliver(app: &App, http: &reqwest::Client, vapid: &Vapid, notice: Notice) {
    let (account, ticket) = (notice.account, notice.ticket);
    let facts = app
        .store
        .read(move |c| {
            let row = tickets::visible(c, account, ticket, tickets::Visibility::Account)?;
            let language = accounts::by_id(c, account)?.language;
            let contact = users::first_admin(c, account)?.email.to_string();
            Ok::<_, AppError>((row, language, contact))
        })
        .await;
    let Ok((row, language, contact)) = facts else {
        return;
    };
    let who = row
        .contact_name
        .clone()
        .or(row.contact_phone.clone())
        .unwrap_or_else(|| row.contact_external_id.clone());
    let title = match (language, notice.new_ticket) {
        (Language::PtBr, true) => "Novo atendimento aguardando",
        (Language::PtBr, false) => "Nova mensagem",
        (_, true) => "New ticket waiting",
        (_, false) => "New message",
    };
    let body = match &row.queue {
        Some((_, queue)) if notice.new_ticket => format!("{who} · {queue}"),
        _ => who,
    };
    let payload = serde_json::json!({
        "title": title,
        "body": body,
        "ticket_id": ticket,
        "url": format!("/inbox/tickets/{ticket}"),
    })
    .to_string();
    let subject = format!("mailto:{contact}");
    for (_, endpoint, subscription) in notice.to {
        let Ok(builder) = serde_json::from_str::<WebPushBuilder>(&subscription) else {
            continue;
        };
        let request = match builder
            .with_valid_duration(TTL)
            .with_vapid(&vapid.key, &subject)
            .build(payload.clone())
        {
            Ok(r) => r,
            Err(error) => {
                tracing::warn!(%error, "a push message could not be built");
                continue;
            }
        };
        let (parts, body) = request.into_parts();
        let sent = http
            .post(parts.uri.to_string())
            .headers(parts.headers)
            .body(body)
            .send()
            .await;
        let host = parts.uri.host().unwrap_or_default().to_owned();
        match sent.map(|r| r.status().as_u16()) {
            Ok(404 | 410) => {
                let gone = endpoint.clone();
                let _ = app.store.write(move |c| push::forget(c, &gone)).await;
            }
            Ok(status) if status >= 400 => {
                tracing::warn!(status, push_service = %host, "a push service refused a notification");
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, push_service = %host, "a push service could not be reached");
            }
        }
    }
}
