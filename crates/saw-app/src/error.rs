use saw_core::ValidationError;
use saw_store::StoreError;

/// Why a service refused or failed. The web layer maps each to one HTTP status and a
/// translated message in one place; the CLI prints the English text.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("not found")]
    NotFound,
    #[error("a user with this e-mail already exists")]
    EmailTaken,
    #[error("a queue with this name already exists")]
    QueueNameTaken,
    #[error("unknown queue '{0}'")]
    UnknownQueue(String),
    #[error("the account must keep at least one active admin")]
    LastAdmin,
    #[error("the default queue cannot be deleted; make another queue the default first")]
    DefaultQueue,
    #[error("this queue still has tickets; transfer them before deleting it")]
    QueueInUse,
    #[error(
        "this WhatsApp phone number id or Telegram bot is already connected as another channel (deactivated ones count too; see `saw channel list`)"
    )]
    ChannelTaken,
    #[error("several active tokens are named '{0}': revoke by id (see `saw token list`)")]
    AmbiguousToken(String),
    #[error("the token '{0}' was revoked already")]
    AlreadyRevoked(String),
    #[error("the webhook signature does not match the app secret of any number SAW serves")]
    BadSignature,
    #[error("the body could not be read: {0}")]
    Malformed(String),
    #[error("the ticket is resolved; reopen it before writing to the customer")]
    TicketResolved,
    #[error(
        "the customer's 24-hour window is closed: WhatsApp only accepts an approved template until the customer writes again"
    )]
    WindowClosed,
    #[error("the ticket is resolved already")]
    AlreadyResolved,
    #[error(
        "the ticket is not waiting any more: someone else accepted it, or it is with the bot or resolved"
    )]
    NotPending,
    #[error("only a ticket waiting in a queue or with an agent can go back to the bot")]
    NotWithPeople,
    #[error("only a resolved ticket can be reopened")]
    NotResolved,
    #[error("the customer has another ticket under way on this channel (#{0}); continue there")]
    OtherTicketOpen(saw_core::ids::TicketId),
    #[error("a resolved ticket cannot be transferred; reopen it first")]
    TransferResolved,
    #[error("choose where the ticket goes: a queue, a person, or both")]
    NoTransferTarget,
    #[error("unknown or deactivated user '{0}'")]
    UnknownUser(String),
    #[error("unknown tag '{0}': an admin creates tags first")]
    UnknownTag(String),
    #[error("a tag with this name already exists")]
    TagNameTaken,
    #[error("a shortcut is one word of letters, digits, - or _ (at most 30 characters)")]
    InvalidShortcut,
    #[error("this shortcut is in use already")]
    ShortcutTaken,
    #[error("only admins and supervisors may do this")]
    Forbidden,
    #[error("unknown distribution '{0}': use manual, round_robin or least_busy")]
    InvalidDistribution(String),
    #[error("the waiting limit must be a whole number of minutes from 0 to {max}")]
    InvalidMaxWait { max: i64 },
    #[error("unknown status '{0}': use available, paused or away")]
    InvalidAgentStatus(String),
    #[error("{0}")]
    InvalidReport(crate::reports::ReportProblem),
    #[error("the message to answer is not one of this conversation's messages")]
    UnknownReplyTo,
    #[error(
        "the phone number is not valid: write it with the country and area codes, e.g. +55 11 98765-4321"
    )]
    InvalidPhone,
    #[error(
        "this contact asked for no messages (SAIR): SAW does not start conversations with them"
    )]
    ContactOptedOut,
    #[error("only a failed message can be sent again; this one is {0}")]
    NotFailed(String),
    #[error(
        "this Idempotency-Key was used for another request; use a new key for each new message"
    )]
    IdempotencyKeyReused,
    #[error("the flow is not valid: {0}")]
    InvalidFlow(String),
    #[error("the business hours are not valid: {0}")]
    InvalidHours(crate::hours::HoursProblem),
    #[error("this token belongs to another bot: add that bot as a new channel")]
    OtherBot,
    #[error("only WhatsApp channels have message templates")]
    WhatsAppOnly,
    #[error("the provider refused: {0}")]
    Provider(String),
    #[error("no template {0} on this number; sync the templates or check the name and language")]
    UnknownTemplate(String),
    #[error("the template is {0} at Meta, not approved: it cannot be sent")]
    TemplateNotApproved(String),
    #[error("the template needs {body} body and {header} header parameters")]
    TemplateParameters { body: i64, header: i64 },
    #[error("this message type cannot be sent here: {0}")]
    Unsendable(String),
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    #[error("the code is not valid")]
    InvalidCode,
    #[error("too many failed sign-ins from this address; try again in {minutes} minutes")]
    LockedOut { minutes: i64 },
    #[error("the account is not set up yet: start `saw serve` once")]
    NotSetUp,
    #[error("{0}")]
    Secrets(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            e if e.is_conflict_on("users", "email") => AppError::EmailTaken,
            e if e.is_conflict_on("queues", "name_key") => AppError::QueueNameTaken,
            e if e.is_conflict_on("tags", "name_key") => AppError::TagNameTaken,
            e if e.is_conflict_on("channels", "provider_key") => AppError::ChannelTaken,
            e => AppError::Store(e),
        }
    }
}

impl AppError {
    /// A stable code for API errors and translation keys.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid(v) => v.code(),
            AppError::NotFound => "not_found",
            AppError::EmailTaken => "email_taken",
            AppError::QueueNameTaken => "queue_name_taken",
            AppError::UnknownQueue(_) => "unknown_queue",
            AppError::LastAdmin => "last_admin",
            AppError::DefaultQueue => "default_queue",
            AppError::QueueInUse => "queue_in_use",
            AppError::ChannelTaken => "channel_taken",
            AppError::AmbiguousToken(_) => "ambiguous_token",
            AppError::AlreadyRevoked(_) => "already_revoked",
            AppError::BadSignature => "bad_signature",
            AppError::Malformed(_) => "malformed",
            AppError::TicketResolved => "ticket_resolved",
            AppError::WindowClosed => "window_closed",
            AppError::IdempotencyKeyReused => "idempotency_key_reused",
            AppError::NotFailed(_) => "not_failed",
            AppError::AlreadyResolved => "already_resolved",
            AppError::NotPending => "not_pending",
            AppError::NotWithPeople => "not_with_people",
            AppError::NotResolved => "not_resolved",
            AppError::OtherTicketOpen(_) => "other_ticket_open",
            AppError::TransferResolved => "transfer_resolved",
            AppError::NoTransferTarget => "no_transfer_target",
            AppError::UnknownUser(_) => "unknown_user",
            AppError::UnknownTag(_) => "unknown_tag",
            AppError::UnknownReplyTo => "unknown_reply_to",
            AppError::InvalidPhone => "invalid_phone",
            AppError::ContactOptedOut => "contact_opted_out",
            AppError::InvalidDistribution(_) => "invalid_distribution",
            AppError::InvalidMaxWait { .. } => "invalid_max_wait",
            AppError::InvalidAgentStatus(_) => "invalid_agent_status",
            AppError::InvalidReport(_) => "invalid_report",
            AppError::TagNameTaken => "tag_name_taken",
            AppError::InvalidShortcut => "invalid_shortcut",
            AppError::ShortcutTaken => "shortcut_taken",
            AppError::Forbidden => "not_allowed",
            AppError::OtherBot => "other_bot",
            AppError::InvalidFlow(_) => "invalid_flow",
            AppError::InvalidHours(_) => "invalid_hours",
            AppError::WhatsAppOnly => "whatsapp_only",
            AppError::Provider(_) => "provider_error",
            AppError::UnknownTemplate(_) => "unknown_template",
            AppError::TemplateNotApproved(_) => "template_not_approved",
            AppError::TemplateParameters { .. } => "template_parameters",
            AppError::Unsendable(_) => "unsendable",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::WrongCurrentPassword => "wrong_current_password",
            AppError::InvalidCode => "invalid_code",
            AppError::LockedOut { .. } => "locked_out",
            AppError::NotSetUp => "not_set_up",
            AppError::Secrets(_) => "secrets",
            AppError::Store(StoreError::Unavailable(_)) => "unavailable",
            AppError::Store(_) => "internal",
        }
    }
}
