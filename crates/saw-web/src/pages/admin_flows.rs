//! Admin: the chatbot's flow — the account's default and a channel's own — edited as YAML
//! (the same format as `saw flow export|import`), checked whole before it is published,
//! or kept as a draft to try on the sandbox first.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use saw_app::flows::{Action, Ask, AutoReply, Edit, FieldKind, Flow};
use saw_app::{Actor, AppError};
use saw_core::channel::Channel;
use saw_core::ids::ChannelId;
use serde::Deserialize;

use super::{Chrome, FlashQuery};
use crate::error::{self, PageError, render};
use crate::extract::{AdminViewer, FormFields, Viewer};
use crate::i18n::Tr;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/flows.html")]
struct FlowsPage {
    chrome: Chrome,
    /// The channel being edited; `None` for the account's default flow.
    channel: Option<Channel>,
    /// Every active channel, and whether it has a flow of its own.
    channels: Vec<(Channel, bool)>,
    /// Whether what is shown is the channel's own flow (not the default it follows).
    own: bool,
    /// "Rascunho salvo em …" when what is shown is an unpublished draft.
    draft_notice: Option<String>,
    yaml: String,
    /// The flow as a tree of menus and options, edited one change at a time.
    tree: Option<Tree>,
    /// Queue names, for options that hand the ticket to a queue.
    queues: Vec<String>,
    /// Kinds of answers a question may expect, by YAML name.
    field_kinds: Vec<&'static str>,
    /// The `channel` form field: the channel's id, or blank for the account's default.
    channel_value: String,
}

/// The tree editor's view of a flow.
pub struct Tree {
    greeting: String,
    menus: Vec<MenuView>,
    /// (index, keywords, answer)
    auto_replies: Vec<(usize, String, String)>,
}

pub struct MenuView {
    id: String,
    text: String,
    first: bool,
    /// (id, title, what choosing it does, in words)
    options: Vec<(String, String, String)>,
}

fn tree(flow: &Flow, t: Tr) -> Tree {
    let action = |a: &Action| match a {
        Action::Menu(id) => t.fmt("flows.does_menu", &[("menu", id)]),
        Action::Answer { text, .. } => t.fmt("flows.does_answer", &[("text", text)]),
        Action::Ask(ask) => t.fmt("flows.does_ask", &[("field", &ask.field)]),
        Action::Queue(queue) => t.fmt("flows.does_queue", &[("queue", queue)]),
        Action::Human => t.get("flows.does_human").to_owned(),
    };
    Tree {
        greeting: flow.greeting.clone(),
        menus: flow
            .menus
            .iter()
            .map(|m| MenuView {
                id: m.id.clone(),
                text: m.text.clone(),
                first: m.id == flow.menu,
                options: m
                    .options
                    .iter()
                    .map(|o| (o.id.clone(), o.title.clone(), action(&o.action)))
                    .collect(),
            })
            .collect(),
        auto_replies: flow
            .auto_replies
            .iter()
            .enumerate()
            .map(|(n, r)| (n, r.keywords.join(", "), r.answer.clone()))
            .collect(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Scope {
    channel: Option<i64>,
}

fn actor(viewer: &Viewer) -> Actor {
    Actor::user(&viewer.user, viewer.client.ip.clone())
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    chrome: Chrome,
    channel: Option<ChannelId>,
    typed: Option<String>,
    status: StatusCode,
) -> Response {
    let account = viewer.account.id;
    let loaded = async {
        let list = saw_app::channels::list(&state.app, account).await?;
        let own = saw_app::flows::channels_with_own_flow(&state.app, account).await?;
        let draft = saw_app::flows::draft(&state.app, account, channel).await?;
        let zone = viewer.account.time_zone.tz();
        let draft_saved = draft
            .as_ref()
            .map(|(_, at)| at.with_timezone(&zone).format("%d/%m/%Y %H:%M").to_string());
        let yaml = match (typed, draft) {
            (Some(yaml), _) => yaml,
            (None, Some((yaml, _))) => yaml,
            (None, None) => saw_app::flows::export(&state.app, account, channel).await?,
        };
        let tree = saw_app::flows::editing(&state.app, account, channel)
            .await
            .ok()
            .map(|flow| tree(&flow, viewer.t));
        let queues = saw_app::queues::list(&state.app, account).await?;
        let queues = queues.into_iter().map(|q| q.queue.name).collect();
        Ok::<_, AppError>((list, own, draft_saved, yaml, tree, queues))
    };
    let (list, own, draft_saved, yaml, tree, queues) = match loaded.await {
        Ok(found) => found,
        Err(e) => return PageError::from_app(viewer.t, e).into_response(),
    };
    let channels: Vec<(Channel, bool)> = list
        .into_iter()
        .filter(|s| s.channel.active)
        .map(|s| {
            let has_own = own.contains(&s.channel.id);
            (s.channel, has_own)
        })
        .collect();
    let editing = match channel {
        Some(id) => match channels.iter().find(|(c, _)| c.id == id) {
            Some((c, _)) => Some(c.clone()),
            None => return PageError::from_app(viewer.t, AppError::NotFound).into_response(),
        },
        None => None,
    };
    let p = FlowsPage {
        chrome,
        own: channel.is_none_or(|id| own.contains(&id)),
        channel: editing,
        channels,
        draft_notice: draft_saved
            .map(|when| viewer.t.fmt("flows.draft_notice", &[("when", &when)])),
        yaml,
        tree,
        queues,
        field_kinds: FieldKind::ALL.iter().map(|k| k.name()).collect(),
        channel_value: channel.map(|c| c.to_string()).unwrap_or_default(),
    };
    (status, render(&p, viewer.t)).into_response()
}

/// `GET /admin/flows[?channel=ID]`.
pub async fn show(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    Query(scope): Query<Scope>,
    flash: FlashQuery,
) -> Response {
    let chrome = Chrome::new(&viewer, "flows").with_flash(&flash);
    let channel = scope.channel.map(ChannelId::new);
    page(&state, &viewer, chrome, channel, None, StatusCode::OK).await
}

/// `GET /admin/flows/export[?channel=ID]`: the YAML as a file to keep or edit elsewhere.
pub async fn export(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    Query(scope): Query<Scope>,
) -> Response {
    let channel = scope.channel.map(ChannelId::new);
    match saw_app::flows::export(&state.app, viewer.account.id, channel).await {
        Ok(yaml) => {
            let name = match channel {
                Some(id) => format!("attachment; filename=\"fluxo-conexao-{id}.yaml\""),
                None => "attachment; filename=\"fluxo.yaml\"".to_owned(),
            };
            (
                [
                    (
                        header::CONTENT_TYPE,
                        "application/yaml; charset=utf-8".to_owned(),
                    ),
                    (header::CONTENT_DISPOSITION, name),
                ],
                yaml,
            )
                .into_response()
        }
        Err(e) => PageError::from_app(viewer.t, e).into_response(),
    }
}

fn channel_field(form: &FormFields) -> Result<Option<ChannelId>, AppError> {
    match form.get("channel").trim() {
        "" => Ok(None),
        raw => raw
            .parse::<i64>()
            .map(|id| Some(ChannelId::new(id)))
            .map_err(|_| AppError::NotFound),
    }
}

/// `POST /admin/flows`: `channel` (blank for the account's default), `yaml`, and `action`
/// `draft` to keep it as a draft to try on the sandbox; checked whole either way, and
/// stored only when valid.
pub async fn publish(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    form: FormFields,
) -> Response {
    let channel = match channel_field(&form) {
        Ok(channel) => channel,
        Err(e) => return PageError::from_app(viewer.t, e).into_response(),
    };
    let yaml = form.get("yaml");
    let (app, account, who) = (&state.app, viewer.account.id, actor(&viewer));
    let as_draft = form.get("action") == "draft";
    let saved = match as_draft {
        true => saw_app::flows::save_draft(app, &who, account, channel, yaml).await,
        false => saw_app::flows::import(app, &who, account, channel, yaml).await,
    };
    let flash = if as_draft {
        "flow_draft_saved"
    } else {
        "flow_published"
    };
    let typed = Some(yaml.to_owned());
    settle(&state, &viewer, channel, saved, flash, typed).await
}

/// After a change: back to the page with its notice, or the page again with the error
/// (and, for the YAML editor, the text as typed).
async fn settle<T>(
    state: &AppState,
    viewer: &Viewer,
    channel: Option<ChannelId>,
    done: Result<T, AppError>,
    flash: &str,
    typed: Option<String>,
) -> Response {
    match done {
        Ok(_) => Redirect::to(&back(channel, flash)).into_response(),
        Err(e) => {
            let chrome = Chrome::new(viewer, "flows").with_error(error::message(viewer.t, &e));
            page(state, viewer, chrome, channel, typed, error::status_of(&e)).await
        }
    }
}

/// `POST /admin/flows/default`: the channel drops its own flow and follows the default.
pub async fn use_default(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    form: FormFields,
) -> Response {
    let channel = match channel_field(&form) {
        Ok(Some(channel)) => channel,
        Ok(None) | Err(_) => {
            return PageError::from_app(viewer.t, AppError::NotFound).into_response();
        }
    };
    let account = viewer.account.id;
    let done = saw_app::flows::use_default(&state.app, &actor(&viewer), account, channel).await;
    settle(&state, &viewer, Some(channel), done, "flow_default", None).await
}

/// `POST /admin/flows/discard`: drops the draft, the published flow stays.
pub async fn discard_draft(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    form: FormFields,
) -> Response {
    let channel = match channel_field(&form) {
        Ok(channel) => channel,
        Err(e) => return PageError::from_app(viewer.t, e).into_response(),
    };
    let account = viewer.account.id;
    let done = saw_app::flows::discard_draft(&state.app, &actor(&viewer), account, channel).await;
    settle(&state, &viewer, channel, done, "flow_draft_discarded", None).await
}

/// `POST /admin/flows/tree`: one change of the tree editor (`op` and its fields), kept as
/// the draft.
pub async fn edit_tree(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    form: FormFields,
) -> Response {
    let channel = match channel_field(&form) {
        Ok(channel) => channel,
        Err(e) => return PageError::from_app(viewer.t, e).into_response(),
    };
    let Some(change) = change_of(&form) else {
        return PageError::from_app(viewer.t, AppError::NotFound).into_response();
    };
    let account = viewer.account.id;
    let done = saw_app::flows::edit(&state.app, &actor(&viewer), account, channel, change).await;
    settle(&state, &viewer, channel, done, "flow_draft_saved", None).await
}

/// The editor's form as one change; `None` for an unknown `op`.
fn change_of(form: &FormFields) -> Option<Edit> {
    let field = |name: &str| form.get(name).to_owned();
    Some(match form.get("op") {
        "greeting" => Edit::Greeting(field("text")),
        "menu_text" => Edit::MenuText {
            menu: field("menu"),
            text: field("text"),
        },
        "add_option" => Edit::AddOption {
            menu: field("menu"),
            title: field("title"),
            action: match form.get("kind") {
                "answer" => Action::Answer {
                    text: field("answer"),
                    ask_more: true,
                },
                "queue" => Action::Queue(field("queue")),
                "ask" => Action::Ask(Box::new(Ask {
                    field: field("field"),
                    prompt: field("prompt"),
                    kind: FieldKind::from_name(form.get("field_kind")).unwrap_or_default(),
                    then: Action::Queue(field("queue")),
                })),
                _ => Action::Human,
            },
        },
        "add_submenu" => Edit::AddSubmenu {
            parent: field("menu"),
            title: field("title"),
            text: field("text"),
            human_title: field("human_title"),
        },
        "remove_option" => Edit::RemoveOption {
            menu: field("menu"),
            option: field("option"),
        },
        "move_option" => Edit::MoveOption {
            menu: field("menu"),
            option: field("option"),
            up: form.get("dir") == "up",
        },
        "add_auto_reply" => Edit::AddAutoReply(AutoReply {
            keywords: form.get("keywords").split(',').map(str::to_owned).collect(),
            answer: field("answer"),
            ask_more: form.get("ask_more") == "on",
        }),
        "remove_auto_reply" => Edit::RemoveAutoReply {
            index: form.get("index").parse().ok()?,
        },
        _ => return None,
    })
}

/// `POST /admin/flows/publish-draft`: the draft answers customers from now on.
pub async fn publish_draft(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    form: FormFields,
) -> Response {
    let channel = match channel_field(&form) {
        Ok(channel) => channel,
        Err(e) => return PageError::from_app(viewer.t, e).into_response(),
    };
    let account = viewer.account.id;
    let done = saw_app::flows::publish_draft(&state.app, &actor(&viewer), account, channel).await;
    settle(&state, &viewer, channel, done, "flow_published", None).await
}

fn back(channel: Option<ChannelId>, flash: &str) -> String {
    match channel {
        Some(id) => format!("/admin/flows?channel={id}&ok={flash}"),
        None => format!("/admin/flows?ok={flash}"),
    }
}
