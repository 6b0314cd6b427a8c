//! The agents' inbox: the tabs (Aguardando, Meus, Resolvidos, Todos), one conversation with
//! its actions and reply box, and the contact's panel. It works as plain pages and forms;
//! `/static/inbox.js` keeps it live by reading the event stream (`/inbox/events`) and
//! swapping in the same parts of this page, rendered again.

mod view;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use saw_app::AppError;
use saw_app::tags::Target;
use saw_app::tickets::{Compose, TicketAction, Transfer};
use saw_core::ids::{ChannelId, MessageId, QueueId, TicketId, UserId};
use saw_store::repo::contacts::ContactEdit;
use saw_store::repo::inbox::{Cursor, Filter, Tab};
use serde::Deserialize;

use super::Chrome;
use crate::error::{self, PageError, render};
use crate::extract::{FormFields, Viewer};
use crate::i18n::Tr;
use crate::live::LiveRequest;
use crate::state::AppState;
use view::{ContactView, MessageView, TicketItem};

/// The page's address: tab, filters, the list's page and the conversation's older messages.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InboxQuery {
    aba: Option<String>,
    fila: Option<String>,
    canal: Option<String>,
    etiqueta: Option<String>,
    busca: Option<String>,
    depois: Option<String>,
    antes: Option<String>,
    ok: Option<String>,
}

impl InboxQuery {
    fn tab(&self, sees_all: bool) -> Tab {
        match self.aba.as_deref() {
            Some("meus") => Tab::Mine,
            Some("resolvidos") => Tab::Resolved,
            Some("todos") if sees_all => Tab::All,
            _ => Tab::Pending,
        }
    }

    fn filter(&self) -> Filter {
        let id = |v: &Option<String>| v.as_deref().and_then(|s| s.parse::<i64>().ok());
        Filter {
            queue: id(&self.fila).map(QueueId::new),
            channel: id(&self.canal).map(ChannelId::new),
            tag: id(&self.etiqueta),
            search: self.busca.clone().filter(|s| !s.trim().is_empty()),
        }
    }

    /// `micros.id` of the last row of the page before.
    fn cursor(&self) -> Option<Cursor> {
        let (at, id) = self.depois.as_deref()?.split_once('.')?;
        Some(Cursor {
            at: chrono::DateTime::from_timestamp_micros(at.parse().ok()?)?,
            id: TicketId::new(id.parse().ok()?),
        })
    }

    fn before(&self) -> Option<MessageId> {
        self.antes
            .as_deref()
            .and_then(|s| s.parse().ok())
            .map(MessageId::new)
    }

    /// The query string that keeps the tab and filters (not the pages).
    fn keep(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("aba", &self.aba),
            ("fila", &self.fila),
            ("canal", &self.canal),
            ("etiqueta", &self.etiqueta),
            ("busca", &self.busca),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                q.append_pair(name, v);
            }
        }
        q.finish()
    }

    fn with_tab(&self, aba: &str) -> Self {
        Self {
            aba: Some(aba.to_owned()),
            ..self.without_pages()
        }
    }

    fn without_pages(&self) -> Self {
        Self {
            depois: None,
            antes: None,
            ok: None,
            ..self.clone()
        }
    }
}

fn tab_name(tab: Tab) -> &'static str {
    match tab {
        Tab::Pending => "aguardando",
        Tab::Mine => "meus",
        Tab::Resolved => "resolvidos",
        Tab::All => "todos",
    }
}

/// The open conversation.
struct Open {
    id: i64,
    title: String,
    protocol: String,
    channel: String,
    status: &'static str,
    status_label: String,
    queue: Option<String>,
    assignee: Option<String>,
    opted_out: bool,
    messages: Vec<MessageView>,
    older: Option<i64>,
    contact: ContactView,
    /// The ticket's tags and the contact's: id, name, color.
    tags: Vec<(i64, String, String)>,
    contact_tags: Vec<(i64, String, String)>,
    /// Quick replies for `/` in the reply box: shortcut and text, filled for this ticket.
    quick_replies: Vec<(String, String)>,
    /// WhatsApp's window is closed: the reply box offers the approved templates instead.
    needs_template: bool,
    templates: Vec<view::TemplateView>,
    /// A random key per rendering of the reply box: a double submit sends once.
    reply_key: String,
}

#[derive(Template)]
#[template(path = "inbox/page.html")]
struct InboxPage {
    chrome: Chrome,
    t: Tr,
    tab: &'static str,
    keep: String,
    search: String,
    pending: i64,
    mine: i64,
    tickets: Vec<TicketItem>,
    next: Option<String>,
    open_id: i64,
    me: i64,
    open: Option<Open>,
    /// Id, name, and whether the list is filtered by it.
    queues: Vec<(i64, String, bool)>,
    channels: Vec<(i64, String, bool)>,
    /// The account's tags: id, name, color, and whether the list is filtered by it.
    all_tags: Vec<(i64, String, String, bool)>,
    people: Vec<(i64, String)>,
    no_queues: bool,
    /// The person's own status, and the team.
    my_status: &'static str,
    team: Vec<view::TeamMember>,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<InboxQuery>,
) -> Response {
    page(&state, &viewer, &q, None, None).await
}

pub async fn show_ticket(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<InboxQuery>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return PageError::not_found(viewer.t).into_response();
    };
    page(&state, &viewer, &q, Some(TicketId::new(id)), None).await
}

/// What the inbox page reads before rendering.
struct Loaded {
    list: saw_app::inbox::TabPage,
    open: Option<saw_app::inbox::Conversation>,
    /// The quick replies, filled for the open conversation.
    quick_replies: Vec<saw_store::repo::quick_replies::QuickReply>,
    no_queues: bool,
    queues: Vec<(i64, String, bool)>,
    channels: Vec<(i64, String, bool)>,
    all_tags: Vec<(i64, String, String, bool)>,
    team: Vec<saw_store::repo::team::Member>,
}

/// The inbox, with a conversation open, or an error from an action shown above it.
async fn page(
    state: &AppState,
    viewer: &Viewer,
    q: &InboxQuery,
    ticket: Option<TicketId>,
    failure: Option<(StatusCode, String)>,
) -> Response {
    let (t, user) = (viewer.t, &viewer.user);
    let sees_all = user.role.sees_all_queues();
    let tab = q.tab(sees_all);
    let loaded = async {
        // The conversation first: reading it marks it read, which the list then shows.
        let open = match ticket {
            Some(id) => Some(saw_app::inbox::conversation(&state.app, user, id, q.before()).await?),
            None => None,
        };
        let list = saw_app::inbox::tab(&state.app, user, tab, q.filter(), q.cursor()).await?;
        let my_queues = saw_app::queues::of_user(&state.app, user.id).await?;
        let filter = q.filter();
        let queues: Vec<(i64, String, bool)> = saw_app::queues::list(&state.app, user.account_id)
            .await?
            .into_iter()
            .map(|s| {
                (
                    s.queue.id.get(),
                    s.queue.name,
                    filter.queue == Some(s.queue.id),
                )
            })
            .collect();
        let channels = saw_app::channels::names(&state.app, user.account_id)
            .await?
            .into_iter()
            .map(|c| (c.id.get(), c.name, filter.channel == Some(c.id)))
            .collect();
        let all_tags = saw_app::tags::list(&state.app, user.account_id)
            .await?
            .into_iter()
            .map(|g| (g.id.get(), g.name, g.color, filter.tag == Some(g.id.get())))
            .collect();
        let company = viewer.account.name.as_str();
        let quick_replies = match &open {
            Some(c) => {
                saw_app::quick_replies::filled_for(&state.app, user, &c.ticket, company).await?
            }
            None => Vec::new(),
        };
        Ok::<_, AppError>(Loaded {
            list,
            open,
            quick_replies,
            no_queues: my_queues.is_empty(),
            queues,
            channels,
            all_tags,
            team: saw_app::team::members(&state.app, user.account_id).await?,
        })
    };
    let Loaded {
        list,
        open,
        quick_replies,
        no_queues,
        queues,
        channels,
        all_tags,
        team,
    } = match loaded.await {
        Ok(v) => v,
        Err(e) => return PageError::from_app(t, e).into_response(),
    };
    let now = chrono::Utc::now();
    let zone = viewer.account.time_zone.tz();
    // The team is everyone active: the people a ticket can go to, and the viewer's status.
    let people: Vec<(i64, String)> = team.iter().map(|m| (m.id.get(), m.name.clone())).collect();
    let my_status = team
        .iter()
        .find(|m| m.id == user.id)
        .map_or(saw_core::user::AgentStatus::Available, |m| m.status);
    let open = open.map(|c| {
        let tk = &c.ticket;
        let triple = |g: &saw_store::repo::tags::Tag| (g.id.get(), g.name.clone(), g.color.clone());
        Open {
            id: tk.id.get(),
            title: view::contact_title(
                tk.contact_name.as_deref(),
                tk.contact_phone.as_deref(),
                &tk.contact_external_id,
            ),
            protocol: tk.protocol.clone(),
            channel: tk.channel_name.clone(),
            status: tk.status.as_str(),
            status_label: view::status_label(t, tk.status),
            queue: tk.queue.as_ref().map(|(_, n)| n.clone()),
            assignee: tk.assignee.as_ref().map(|(_, n)| n.clone()),
            opted_out: tk.contact_opted_out,
            messages: view::message_views(&c.messages, t, zone, now),
            older: c.older.map(MessageId::get),
            contact: view::contact_view(&c.contact, &c.history, t, zone),
            tags: tk.tags.iter().map(triple).collect(),
            contact_tags: c.contact_tags.iter().map(triple).collect(),
            needs_template: c.needs_template,
            templates: view::template_views(&c.templates),
            quick_replies: quick_replies
                .into_iter()
                .map(|q| (q.shortcut, q.body))
                .collect(),
            reply_key: saw_app::random::token(),
        }
    });
    let mut chrome = Chrome::new(viewer, "inbox").with_flash(&super::Flash { ok: q.ok.clone() });
    let status = match failure {
        Some((status, message)) => {
            chrome = chrome.with_error(message);
            status
        }
        None => StatusCode::OK,
    };
    let page = InboxPage {
        chrome,
        t,
        tab: tab_name(tab),
        keep: q.keep(),
        search: q.busca.clone().unwrap_or_default(),
        pending: list.pending,
        mine: list.mine,
        tickets: list
            .rows
            .iter()
            .map(|r| view::ticket_item(r, t, user.id, now, zone))
            .collect(),
        next: list
            .next
            .map(|c| format!("{}.{}", c.at.timestamp_micros(), c.id)),
        open_id: open.as_ref().map_or(0, |o| o.id),
        me: user.id.get(),
        open,
        queues,
        channels,
        all_tags,
        people,
        no_queues,
        my_status: my_status.as_str(),
        team: team.iter().map(|m| view::team_member(m, t)).collect(),
    };
    (status, render(&page, t)).into_response()
}

/// `POST /inbox/tickets/{id}/{action}`: the conversation's buttons and forms. Success goes
/// back to the conversation (or to the list when the ticket left the person's queues) with
/// a notice; a refusal shows the page with the reason.
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    Query(q): Query<InboxQuery>,
    form: FormFields,
) -> Response {
    let Ok(id) = id.parse::<i64>().map(TicketId::new) else {
        return PageError::not_found(viewer.t).into_response();
    };
    let user = &viewer.user;
    let actor = saw_app::Actor::user(user, viewer.client.ip.clone());
    let q = q.without_pages();
    let done = match action.as_str() {
        "reply" => reply(&state, &viewer, id, &form)
            .await
            .map(|_| (q.clone(), "")),
        "contact" => edit_contact(&state, &viewer, id, &form)
            .await
            .map(|_| (q.clone(), "contact_saved")),
        "tag" | "untag" | "contact-tag" | "contact-untag" => {
            tag_action(&state, &viewer, id, &action, form.get("tag"))
                .await
                .map(|_| (q.clone(), ""))
        }
        "template" => {
            let outgoing = saw_app::tickets::Outgoing {
                content: Compose::Payload(saw_core::outbound::OutboundPayload::Template(
                    view::template_from_form(&form),
                )),
                private: false,
                reply_to: None,
                idempotency_key: Some(form.get("key").to_owned()).filter(|k| !k.is_empty()),
            };
            saw_app::tickets::post_message(&state.app, user, id, outgoing)
                .await
                .map(|_| (q.clone(), ""))
        }
        "retry" => {
            let message = form.get("message_id").parse::<i64>().map(MessageId::new);
            match message {
                Ok(message) => saw_app::tickets::retry_message(&state.app, user, id, message)
                    .await
                    .map(|_| (q.clone(), "message_retried")),
                Err(_) => Err(AppError::NotFound),
            }
        }
        other => {
            let (action, flash, tab) = match other {
                "accept" => (TicketAction::Accept, "ticket_accepted", Some("meus")),
                "resolve" => (
                    TicketAction::Resolve {
                        reason: Some(form.get("reason").to_owned()),
                    },
                    "ticket_resolved",
                    None,
                ),
                "reopen" => (TicketAction::Reopen, "ticket_reopened", Some("meus")),
                "return-to-bot" => (TicketAction::ReturnToBot, "ticket_returned", None),
                "transfer" => (
                    TicketAction::Transfer(transfer_of(&form)),
                    "ticket_transferred",
                    None,
                ),
                _ => return PageError::not_found(viewer.t).into_response(),
            };
            saw_app::tickets::act(&state.app, &actor, user, id, action)
                .await
                .map(|_| (tab.map_or(q.clone(), |tab| q.with_tab(tab)), flash))
        }
    };
    match done {
        Ok((q, flash)) => {
            let mut to = if saw_app::tickets::may_see(&state.app, user, id).await {
                format!("/inbox/tickets/{id}?{}", q.keep())
            } else {
                format!("/inbox?{}", q.keep())
            };
            if !flash.is_empty() {
                to.push_str(&format!("&ok={flash}"));
            }
            Redirect::to(&to).into_response()
        }
        Err(AppError::NotFound) => PageError::not_found(viewer.t).into_response(),
        Err(e) => {
            let failure = (error::status_of(&e), error::message(viewer.t, &e));
            let shown = saw_app::tickets::may_see(&state.app, user, id)
                .await
                .then_some(id);
            page(&state, &viewer, &q, shown, Some(failure)).await
        }
    }
}

/// Puts a tag on (or takes it off) the ticket or its contact.
async fn tag_action(
    state: &AppState,
    viewer: &Viewer,
    id: TicketId,
    action: &str,
    tag: &str,
) -> Result<(), AppError> {
    let user = &viewer.user;
    let target = match action.starts_with("contact-") {
        true => Target::Contact(
            saw_app::tickets::one(&state.app, user, id)
                .await?
                .contact_id,
        ),
        false => Target::Ticket(id),
    };
    match action.ends_with("untag") {
        true => saw_app::tags::remove(&state.app, user, target, tag).await,
        false => saw_app::tags::add(&state.app, user, target, tag).await,
    }
    .map(drop)
}

fn transfer_of(form: &FormFields) -> Transfer {
    let id = |name| form.get(name).parse::<i64>().ok();
    Transfer {
        queue: id("queue_id").map(QueueId::new),
        user: id("user_id").map(UserId::new),
        note: Some(form.get("note").to_owned()).filter(|n| !n.trim().is_empty()),
    }
}

async fn reply(
    state: &AppState,
    viewer: &Viewer,
    id: TicketId,
    form: &FormFields,
) -> Result<(), AppError> {
    let key = Some(form.get("key").to_owned()).filter(|k| !k.is_empty());
    let private = form.checked("private");
    let mut text = form.get("text").to_owned();
    if !private && viewer.account.conversations.signature && !text.trim().is_empty() {
        text = format!("*{}*: {text}", viewer.user.name);
    }
    let reply_to = form.get("reply_to").parse::<i64>().ok().map(MessageId::new);
    let outgoing = saw_app::tickets::Outgoing {
        content: Compose::Text(text),
        private,
        reply_to: reply_to.filter(|_| !private),
        idempotency_key: key,
    };
    saw_app::tickets::post_message(&state.app, &viewer.user, id, outgoing)
        .await
        .map(drop)
}

async fn edit_contact(
    state: &AppState,
    viewer: &Viewer,
    id: TicketId,
    form: &FormFields,
) -> Result<(), AppError> {
    let ticket = saw_app::tickets::one(&state.app, &viewer.user, id).await?;
    let edit = ContactEdit {
        name: Some(form.get("name")),
        notes: Some(form.get("notes")),
        opted_out: Some(form.checked("opted_out")),
        fields: None,
    };
    let actor = saw_app::Actor::user(&viewer.user, viewer.client.ip.clone());
    saw_app::contacts::edit(&state.app, &actor, &viewer.user, ticket.contact_id, edit).await
}

/// `POST /inbox/tickets/{id}/upload`: a file (and its caption) from the reply box, sent by
/// the inbox's script as `multipart/form-data` with the `X-CSRF-Token` header; answers as the
/// API does (the message, or `{"error"}`).
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Response {
    crate::api::tickets::post_as(&state, &viewer.user, &id, &headers, request)
        .await
        .into_response()
}

/// `GET /inbox/push/key`: SAW's VAPID public key, for `pushManager.subscribe`.
pub async fn push_key(State(state): State<AppState>, _viewer: Viewer) -> Response {
    match saw_app::push::vapid(&state.app).await {
        Ok(v) => axum::Json(serde_json::json!({"public_key": v.public_key})).into_response(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

/// `POST /inbox/push`: the browser's push subscription (JSON, with the CSRF header).
pub async fn push_subscribe(
    State(state): State<AppState>,
    viewer: Viewer,
    body: String,
) -> Response {
    match saw_app::push::subscribe(&state.app, &viewer.user, &body).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

/// `POST /inbox/status`: Disponível, Pausa or Ausente.
pub async fn set_status(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<InboxQuery>,
    form: FormFields,
) -> Response {
    let raw = form.get("status");
    let saved = match saw_core::user::AgentStatus::parse(raw) {
        Some(status) => saw_app::team::set_status(&state.app, &viewer.user, status).await,
        None => Err(AppError::InvalidAgentStatus(raw.to_owned())),
    };
    let q = q.without_pages();
    match saved {
        Ok(()) => Redirect::to(&format!("/inbox?{}&ok=status_saved", q.keep())).into_response(),
        Err(e) => {
            let failure = (error::status_of(&e), error::message(viewer.t, &e));
            page(&state, &viewer, &q, None, Some(failure)).await
        }
    }
}

/// `GET /inbox/events`: the live stream for the signed-in inbox (SSE or WebSocket).
pub async fn events(State(state): State<AppState>, viewer: Viewer, live: LiveRequest) -> Response {
    let online = saw_app::team::connected(&state.app, &viewer.user).await;
    live.serve(state, viewer.user, Some(online))
}

#[derive(Template)]
#[template(path = "inbox/new.html")]
struct NewConversationPage {
    chrome: Chrome,
    t: Tr,
    /// Each WhatsApp number: id, name, its approved templates.
    channels: Vec<(i64, String, Vec<view::TemplateView>)>,
    typed: (String, String),
}

async fn new_page(
    state: &AppState,
    viewer: &Viewer,
    typed: (String, String),
    failure: Option<(StatusCode, String)>,
) -> Response {
    let channels = match saw_app::inbox::template_channels(&state.app, &viewer.user).await {
        Ok(list) => list,
        Err(e) => return PageError::from_app(viewer.t, e).into_response(),
    };
    let mut chrome = Chrome::new(viewer, "inbox");
    let mut status = StatusCode::OK;
    if let Some((code, message)) = failure {
        chrome = chrome.with_error(message);
        status = code;
    }
    let page = NewConversationPage {
        chrome,
        t: viewer.t,
        channels: channels
            .iter()
            .map(|(c, list)| (c.id.get(), c.name.clone(), view::template_views(list)))
            .collect(),
        typed,
    };
    (status, render(&page, viewer.t)).into_response()
}

/// `GET /inbox/new`: "Nova conversa", a WhatsApp number and an approved template.
pub async fn new_conversation(State(state): State<AppState>, viewer: Viewer) -> Response {
    new_page(&state, &viewer, Default::default(), None).await
}

/// `POST /inbox/new`: writes first; the conversation opens as the person's.
pub async fn start_conversation(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormFields,
) -> Response {
    let Ok(channel) = form.get("channel_id").parse::<i64>() else {
        return PageError::not_found(viewer.t).into_response();
    };
    let new = saw_app::conversations::NewConversation {
        channel: ChannelId::new(channel),
        phone: form.get("phone").to_owned(),
        name: Some(form.get("name").to_owned()),
        template: view::template_from_form(&form),
    };
    match saw_app::conversations::start(&state.app, &viewer.user, new).await {
        Ok((ticket, _)) => Redirect::to(&format!(
            "/inbox/tickets/{ticket}?aba=meus&ok=conversation_started"
        ))
        .into_response(),
        Err(AppError::NotFound) => PageError::not_found(viewer.t).into_response(),
        Err(e) => {
            let failure = (error::status_of(&e), error::message(viewer.t, &e));
            let typed = (form.get("phone").to_owned(), form.get("name").to_owned());
            new_page(&state, &viewer, typed, Some(failure)).await
        }
    }
}
