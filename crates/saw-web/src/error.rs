//! Every failure mapped to an HTTP status and a message in one place: [`status_of`] decides
//! the status for pages and the API alike; pages show a translated message, the API answers
//! `{"error": {"code", "message"}}`. Internal causes are logged, never shown.

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use saw_app::AppError;
use saw_app::hours::HoursProblem;
use saw_app::reports::ReportProblem;
use saw_core::ValidationError;
use saw_store::StoreError;

use crate::i18n::Tr;

pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Invalid(_)
        | AppError::UnknownQueue(_)
        | AppError::UnknownUser(_)
        | AppError::UnknownTag(_)
        | AppError::UnknownReplyTo
        | AppError::InvalidPhone
        | AppError::InvalidDistribution(_)
        | AppError::InvalidMaxWait { .. }
        | AppError::InvalidAgentStatus(_)
        | AppError::InvalidShortcut
        | AppError::NoTransferTarget
        | AppError::WrongCurrentPassword => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::EmailTaken
        | AppError::QueueNameTaken
        | AppError::LastAdmin
        | AppError::DefaultQueue
        | AppError::QueueInUse
        | AppError::ChannelTaken
        | AppError::AmbiguousToken(_)
        | AppError::AlreadyRevoked(_)
        | AppError::TicketResolved
        | AppError::NotFailed(_)
        | AppError::AlreadyResolved
        | AppError::NotPending
        | AppError::NotWithPeople
        | AppError::NotResolved
        | AppError::OtherTicketOpen(_)
        | AppError::TransferResolved
        | AppError::ContactOptedOut
        | AppError::TagNameTaken
        | AppError::ShortcutTaken
        | AppError::WindowClosed => StatusCode::CONFLICT,
        AppError::IdempotencyKeyReused
        | AppError::WhatsAppOnly
        | AppError::OtherBot
        | AppError::InvalidFlow(_)
        | AppError::InvalidHours(_)
        | AppError::UnknownTemplate(_)
        | AppError::TemplateNotApproved(_)
        | AppError::TemplateParameters { .. }
        | AppError::Unsendable(_)
        | AppError::InvalidReport(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Provider(_) => StatusCode::BAD_GATEWAY,
        AppError::InvalidCredentials | AppError::InvalidCode | AppError::BadSignature => {
            StatusCode::UNAUTHORIZED
        }
        AppError::Malformed(_) => StatusCode::BAD_REQUEST,
        AppError::LockedOut { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::NotSetUp | AppError::Store(StoreError::Unavailable(_)) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        AppError::Secrets(_) | AppError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The message a person reads, in their language.
pub fn message(t: Tr, e: &AppError) -> String {
    match e {
        AppError::Invalid(v) => validation_message(t, v),
        AppError::UnknownQueue(name) => t.fmt("error.unknown_queue", &[("name", name)]),
        AppError::UnknownUser(name) => t.fmt("error.unknown_user", &[("name", name)]),
        AppError::UnknownTag(name) => t.fmt("error.unknown_tag", &[("name", name)]),
        AppError::InvalidDistribution(v) | AppError::InvalidAgentStatus(v) => {
            t.fmt(&format!("error.{}", e.code()), &[("value", v)])
        }
        AppError::InvalidMaxWait { max } => t.fmt("error.invalid_max_wait", &[("max", max)]),
        AppError::OtherTicketOpen(id) => t.fmt("error.other_ticket_open", &[("id", id)]),
        AppError::AmbiguousToken(name) => t.fmt("error.ambiguous_token", &[("name", name)]),
        AppError::AlreadyRevoked(name) => t.fmt("error.already_revoked", &[("name", name)]),
        AppError::Malformed(why) => t.fmt("error.malformed", &[("why", why)]),
        AppError::Provider(why) => t.fmt("error.provider_error", &[("why", why)]),
        AppError::UnknownTemplate(name) => t.fmt("error.unknown_template", &[("name", name)]),
        AppError::TemplateNotApproved(status) => {
            t.fmt("error.template_not_approved", &[("status", status)])
        }
        AppError::TemplateParameters { body, header } => t.fmt(
            "error.template_parameters",
            &[("body", body), ("header", header)],
        ),
        AppError::Unsendable(why) => t.fmt("error.unsendable", &[("why", why)]),
        AppError::InvalidFlow(why) => t.fmt("error.invalid_flow", &[("why", why)]),
        AppError::InvalidHours(problem) => hours_problem(t, problem),
        AppError::InvalidReport(problem) => report_problem(t, problem),
        AppError::NotFailed(status) => {
            let status = t.get(&format!("status.{status}")).to_owned();
            t.fmt("error.not_failed", &[("status", &status)])
        }
        AppError::LockedOut { minutes } => t.fmt("error.locked_out", &[("minutes", minutes)]),
        AppError::Secrets(_) | AppError::Store(_) if status_of(e).is_server_error() => {
            let key = if status_of(e) == StatusCode::SERVICE_UNAVAILABLE {
                "error.unavailable"
            } else {
                "error.internal"
            };
            t.get(key).to_owned()
        }
        other => {
            let key = format!("error.{}", other.code());
            let text = t.get(&key);
            if text == key {
                t.get("error.internal").to_owned()
            } else {
                text.to_owned()
            }
        }
    }
}

fn validation_message(t: Tr, v: &ValidationError) -> String {
    match v {
        ValidationError::NameTooLong { max }
        | ValidationError::PasswordTooLong { max }
        | ValidationError::InvalidMessageText { max }
        | ValidationError::NoteTooLong { max } => {
            t.fmt(&format!("error.{}", v.code()), &[("max", max)])
        }
        ValidationError::InvalidMenuOptionId { position }
        | ValidationError::EmptyMenuOptionTitle { position } => {
            t.fmt(&format!("error.{}", v.code()), &[("position", position)])
        }
        ValidationError::DuplicateMenuOptionId(id) => {
            t.fmt(&format!("error.{}", v.code()), &[("value", id)])
        }
        ValidationError::InvalidReopenGrace { max } | ValidationError::InvalidBotIdle { max } => {
            t.fmt(&format!("error.{}", v.code()), &[("max", max)])
        }
        ValidationError::PasswordTooShort { min } => {
            t.fmt("error.password_too_short", &[("min", min)])
        }
        ValidationError::UnknownRole(x)
        | ValidationError::UnknownTimeZone(x)
        | ValidationError::UnknownLanguage(x)
        | ValidationError::UnknownTelegramMode(x) => {
            t.fmt(&format!("error.{}", v.code()), &[("value", x)])
        }
        ValidationError::InvalidProviderId(field) | ValidationError::InvalidSecret(field) => {
            t.fmt(&format!("error.{}", v.code()), &[("field", field)])
        }
        ValidationError::InvalidEmail
        | ValidationError::EmptyName
        | ValidationError::InvalidColor
        | ValidationError::InvalidBotToken
        | ValidationError::InvalidApiBase
        | ValidationError::EmptyMenu => t.get(&format!("error.{}", v.code())).to_owned(),
    }
}

fn hours_problem(t: Tr, problem: &HoursProblem) -> String {
    let why = match problem {
        HoursProblem::Day { day, value } => t.fmt(
            "error.hours_day",
            &[
                ("day", &t.get(&format!("hours.day{day}")).to_owned()),
                ("value", value),
            ],
        ),
        HoursProblem::SpecialDate(line) => t.fmt("error.hours_special_date", &[("value", line)]),
        HoursProblem::DateTwice(date) => t.fmt("error.hours_date_twice", &[("value", date)]),
    };
    t.fmt("error.invalid_hours", &[("why", &why)])
}

fn report_problem(t: Tr, problem: &ReportProblem) -> String {
    match problem {
        ReportProblem::Date { field, value } => {
            t.fmt("error.report_date", &[("field", field), ("value", value)])
        }
        ReportProblem::Id { field, value } => {
            t.fmt("error.report_id", &[("field", field), ("value", value)])
        }
        ReportProblem::Flag { field, value } => {
            t.fmt("error.report_flag", &[("field", field), ("value", value)])
        }
        ReportProblem::Backwards => t.get("error.report_backwards").to_owned(),
        ReportProblem::TooLong { max_days } => t.fmt("error.report_too_long", &[("max", max_days)]),
        ReportProblem::UnknownChannel(value) => {
            t.fmt("error.report_unknown_channel", &[("value", value)])
        }
    }
}

fn log_if_internal(e: &AppError) {
    if status_of(e).is_server_error() {
        tracing::error!(error = %e, "request failed");
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: Tr,
    status: u16,
    title: String,
    message: String,
}

/// A failed page request, rendered as a small page in the viewer's language.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
    pub t: Tr,
}

impl PageError {
    pub fn new(t: Tr, status: StatusCode, message_key: &str) -> Self {
        Self {
            status,
            message: t.get(message_key).to_owned(),
            t,
        }
    }

    pub fn forbidden(t: Tr) -> Self {
        Self::new(t, StatusCode::FORBIDDEN, "error.forbidden")
    }

    pub fn not_found(t: Tr) -> Self {
        Self::new(t, StatusCode::NOT_FOUND, "error.not_found")
    }

    pub fn from_app(t: Tr, e: AppError) -> Self {
        log_if_internal(&e);
        Self {
            status: status_of(&e),
            message: message(t, &e),
            t,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title_key = match self.status {
            StatusCode::FORBIDDEN => "error.title_forbidden",
            StatusCode::NOT_FOUND => "error.title_not_found",
            s if s.is_server_error() => "error.title_server",
            _ => "error.title_request",
        };
        let page = ErrorPage {
            t: self.t,
            status: self.status.as_u16(),
            title: self.t.get(title_key).to_owned(),
            message: self.message,
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "cannot render the error page");
                (self.status, "error").into_response()
            }
        }
    }
}

/// A failed API call: `{"error": {"code": "...", "message": "..."}}` with the right status.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send a valid API token as 'Authorization: Bearer <token>' (create one with `saw token create`)",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this token's user may not do this",
        )
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        log_if_internal(&e);
        let status = status_of(&e);
        let message = if status.is_server_error() {
            "internal error; see the server log".to_owned()
        } else {
            e.to_string()
        };
        Self {
            status,
            code: e.code().to_owned(),
            message,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": { "code": self.code, "message": self.message } });
        (self.status, Json(body)).into_response()
    }
}

/// Renders a template or answers 500 (a template error is a bug, logged).
pub fn render(template: &impl Template, t: Tr) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            PageError::new(t, StatusCode::INTERNAL_SERVER_ERROR, "error.internal").into_response()
        }
    }
}
