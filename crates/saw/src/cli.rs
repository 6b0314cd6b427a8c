//! Every command, flag and environment variable of `saw`, with its help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use saw_core::ids::ChannelId;

#[derive(Debug, Parser)]
#[command(
    name = "saw",
    version,
    about = "SAW — self-hosted multiatendimento: one WhatsApp number (and Telegram, and a sandbox) answered by a menu bot and a team of agents.",
    long_about = "SAW — self-hosted multiatendimento.\n\nOne WhatsApp number (and Telegram, and a built-in sandbox) answered by a menu chatbot, automatic replies and a team of agents in their browsers, with queues, business hours and metrics. `saw serve` runs everything; the other commands administer the same database, also while the server runs.\n\nEvery flag can also be set by the SAW_* environment variable named in its help.",
    after_help = "Start here:  saw serve   then open http://127.0.0.1:8080"
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Settings every command reads, so that all of them reach the same database.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Directory for SAW's data: the SQLite database, media, the secrets key. Created on first start.
    #[arg(
        long,
        global = true,
        env = "SAW_DATA_DIR",
        default_value = "./saw-data",
        value_name = "DIR"
    )]
    pub data_dir: PathBuf,

    /// Database URL: postgres://user:password@host/db, or sqlite://path/to/saw.db. Default: SQLite at DATA_DIR/saw.db.
    #[arg(
        long,
        global = true,
        env = "SAW_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub database_url: Option<String>,

    /// Key that encrypts channel credentials at rest: 32 bytes as base64 or hex (`openssl rand -base64 32`). Default: DATA_DIR/secret.key, created on first start.
    #[arg(
        long,
        global = true,
        env = "SAW_SECRET_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub secret_key: Option<String>,

    /// Log filter: error, warn, info, debug, trace, or per module (e.g. "info,saw_web=debug").
    #[arg(
        long,
        global = true,
        env = "SAW_LOG",
        default_value = "info",
        value_name = "FILTER"
    )]
    pub log: String,

    /// Log format.
    #[arg(
        long,
        global = true,
        env = "SAW_LOG_FORMAT",
        default_value = "text",
        value_name = "FORMAT"
    )]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run SAW: the web UI, the REST API, the webhooks, the Telegram pollers, the outbox dispatcher, the media fetcher and the bot.
    Serve(ServeArgs),
    /// Manage users: add, list, reset a password, deactivate.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens for the REST API (/api/v1).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage channels (conexões): WhatsApp numbers, Telegram bots, the sandbox.
    #[command(subcommand)]
    Channel(ChannelCommand),
    /// The chatbot's flows (menus, answers, questions, routing) as YAML files.
    #[command(subcommand)]
    Flow(FlowCommand),
    /// Apply pending database migrations and exit (serve also does this at start).
    Migrate,
    /// Print SAW's version.
    Version,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(
        long,
        env = "SAW_BIND",
        default_value = "127.0.0.1:8080",
        value_name = "ADDR:PORT"
    )]
    pub bind: String,

    /// The address people use to reach SAW (e.g. https://saw.example.com), when it differs from the bind address. With https, cookies are marked Secure; it is also the only Origin accepted on forms.
    #[arg(long, env = "SAW_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,

    /// Reverse proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For is trusted for the client address.
    #[arg(
        long,
        env = "SAW_TRUSTED_PROXIES",
        default_value = "",
        value_name = "LIST"
    )]
    pub trusted_proxies: String,

    /// Turns on /metrics (Prometheus text format) and is the bearer token it asks for; without it /metrics answers 404.
    #[arg(
        long,
        env = "SAW_METRICS_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,

    /// E-mail of the administrator created on the very first start (only when no user exists).
    #[arg(long, env = "SAW_ADMIN_EMAIL", value_name = "EMAIL")]
    pub admin_email: Option<String>,

    /// Password of that first administrator; without it SAW generates one, prints it once and asks for a new one at the first sign-in.
    #[arg(
        long,
        env = "SAW_ADMIN_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD"
    )]
    pub admin_password: Option<String>,

    /// The largest webhook body accepted, in bytes; larger ones get 413.
    #[arg(long, env = "SAW_MAX_BODY", default_value_t = 1024 * 1024, value_name = "BYTES")]
    pub max_body: usize,

    /// How long one send to WhatsApp or Telegram may take before it counts as failed and is retried later, in seconds (1 to 30).
    #[arg(
        long,
        env = "SAW_PROVIDER_TIMEOUT",
        default_value_t = 30,
        value_name = "SECONDS",
        value_parser = clap::value_parser!(u64).range(1..=30)
    )]
    pub provider_timeout: u64,

    /// A signed-in session unused for this many hours ends.
    #[arg(
        long,
        env = "SAW_SESSION_IDLE_HOURS",
        default_value_t = 12,
        value_name = "HOURS"
    )]
    pub session_idle_hours: u32,

    /// A session ends this many days after sign-in, used or not.
    #[arg(
        long,
        env = "SAW_SESSION_LIFETIME_DAYS",
        default_value_t = 14,
        value_name = "DAYS"
    )]
    pub session_lifetime_days: u32,

    /// Failed sign-ins from one address within 15 minutes before that address is refused for a while.
    #[arg(
        long,
        env = "SAW_MAX_FAILED_SIGN_INS",
        default_value_t = 5,
        value_name = "N"
    )]
    pub max_failed_sign_ins: u32,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. Without --password, prints a generated one that must be changed at the first sign-in.
    Add {
        /// E-mail, used to sign in.
        #[arg(long)]
        email: String,
        /// Name shown to colleagues (and, as a signature, to customers when the account wants it).
        #[arg(long)]
        name: String,
        /// admin, supervisor or agent.
        #[arg(long, default_value = "agent")]
        role: String,
        /// Password; "-" reads it from standard input. Also SAW_USER_PASSWORD.
        #[arg(long, env = "SAW_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Queue the user works in, by name; repeat for several.
        #[arg(long = "queue", value_name = "QUEUE")]
        queues: Vec<String>,
    },
    /// List the users of the account.
    List,
    /// Set a new password for a user (ending their sessions). Without --password, prints a generated one.
    ResetPassword {
        /// The user's e-mail.
        email: String,
        /// New password; "-" reads it from standard input. Also SAW_USER_PASSWORD.
        #[arg(long, env = "SAW_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Deactivate a user: they cannot sign in, their sessions and API tokens stop working.
    Deactivate {
        /// The user's e-mail.
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print it alone on standard output (it is shown only once).
    Create {
        /// A name to recognise the token by (e.g. "erp", "ci").
        #[arg(long)]
        name: String,
        /// E-mail of the user the token acts as, with that user's rights. Default: the first admin.
        #[arg(long, value_name = "EMAIL")]
        user: Option<String>,
        /// Days until the token expires. Default: never.
        #[arg(long, value_name = "DAYS")]
        expires_in_days: Option<u32>,
    },
    /// List API tokens (never their values).
    List,
    /// Revoke a token by id or name (see `saw token list`).
    Revoke {
        /// The token's id or name.
        token: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ChannelCommand {
    /// Connect a channel: store its settings, with its credentials encrypted. The provider is not contacted.
    #[command(subcommand)]
    Add(ChannelAddCommand),
    /// List the channels with their settings; secrets are shown masked, never in full.
    List,
    /// Remove a channel by id (see `saw channel list`). One that tickets or messages point at is deactivated instead, keeping its history.
    Remove {
        /// The channel's id.
        id: ChannelId,
    },
    /// Change a channel: a new access token or bot token (tokens expire), app secret, name, API base, Telegram mode or send rate. New credentials release messages held while the channel was down. Give only what changes.
    #[command(
        after_help = "Each secret can come from standard input instead (give \"-\" as its value; one per command), so it need not sit in shell history.\n\nExamples:\n  saw channel update 2 --token - < new-access-token.txt\n  saw channel update 3 --mode polling\n  saw channel update 2 --max-per-second 1000"
    )]
    Update(ChannelUpdateArgs),
    /// List a WhatsApp channel's message templates (as last synced); with --sync, fetch them from Meta first. Agents pick them to write after the customer's 24-hour window has closed.
    Templates {
        /// The channel's id.
        id: ChannelId,
        /// Fetch the templates from Meta (GET /{waba}/message_templates, every page) and replace the stored ones.
        #[arg(long)]
        sync: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum FlowCommand {
    /// Print the flow that answers on a channel (or the account's default) as YAML: the stored one, or the built-in example while none is stored.
    #[command(after_help = "Example:\n  saw flow export > menu.yaml")]
    Export {
        /// The channel whose flow to print (see `saw channel list`); without it, the account's default flow.
        #[arg(long)]
        channel: Option<ChannelId>,
    },
    /// Check a YAML flow and make it the flow of a channel (or the account's default). An invalid file is refused with the field, the line and the reason, and nothing changes. Conversations under way continue at the same menu if it still exists.
    #[command(
        after_help = "Example:\n  saw flow export > menu.yaml\n  (edit menu.yaml)\n  saw flow import menu.yaml"
    )]
    Import {
        /// The YAML file; "-" reads standard input.
        file: String,
        /// The channel it answers on; without it, every channel without a flow of its own.
        #[arg(long)]
        channel: Option<ChannelId>,
    },
}

#[derive(Debug, Args)]
pub struct ChannelUpdateArgs {
    /// The channel's id (see `saw channel list`).
    pub id: ChannelId,
    /// A new name shown to agents.
    #[arg(long)]
    pub name: Option<String>,
    /// A new WhatsApp access token, or a new token of the same Telegram bot; "-" reads it from standard input.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<SecretArg>,
    /// A new Meta app secret (WhatsApp); "-" reads it from standard input.
    #[arg(long, value_name = "SECRET")]
    pub app_secret: Option<SecretArg>,
    /// A new API base URL.
    #[arg(long, value_name = "URL")]
    pub api_base: Option<String>,
    /// How a Telegram bot's updates arrive.
    #[arg(long, value_enum)]
    pub mode: Option<TelegramModeArg>,
    /// Messages per second this channel may send (WhatsApp numbers on Meta's higher tier take 1000); 0 restores the provider's default (WhatsApp 80, Telegram 30).
    #[arg(long, value_name = "N")]
    pub max_per_second: Option<u32>,
    /// Reactivate a deactivated channel.
    #[arg(long)]
    pub activate: bool,
}

#[derive(Debug, Subcommand)]
pub enum ChannelAddCommand {
    /// A WhatsApp number on Meta's Cloud API. The ids and secrets are in Meta's app dashboard (WhatsApp > API Setup, App settings > Basic).
    #[command(
        name = "whatsapp",
        after_help = "Each secret can come from standard input instead (give \"-\" as its value; one per command) or from its SAW_WHATSAPP_* variable, so it need not sit in shell history.\n\nExample:\n  export SAW_WHATSAPP_APP_SECRET=…\n  saw channel add whatsapp --name \"WhatsApp Loja\" --phone-number-id 112233445566778 \\\n    --waba-id 104952389402837 --access-token - < access-token.txt"
    )]
    Whatsapp(WhatsAppArgs),
    /// A Telegram bot created with @BotFather.
    #[command(
        after_help = "The token can come from standard input instead (--bot-token -) or from SAW_TELEGRAM_BOT_TOKEN, so it need not sit in shell history.\n\nExample:\n  SAW_TELEGRAM_BOT_TOKEN=123456789:AAE… saw channel add telegram --name \"Bot de vendas\""
    )]
    Telegram(TelegramArgs),
    /// The built-in test channel: conversations typed in SAW itself, no provider and no credentials.
    Sandbox(SandboxArgs),
}

/// A secret flag's value; `Debug` hides it, so printing the parsed command line shows no secret.
#[derive(Clone)]
pub struct SecretArg(pub String);

impl std::str::FromStr for SecretArg {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(SecretArg(s.to_owned()))
    }
}

impl std::fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretArg(…)")
    }
}

#[derive(Debug, Args)]
pub struct WhatsAppArgs {
    /// Name shown to agents for this channel (e.g. "WhatsApp Loja").
    #[arg(long)]
    pub name: String,

    /// The number's phone number id (digits; not the phone number itself). Webhooks are routed by it, so one channel per id.
    #[arg(long, value_name = "ID")]
    pub phone_number_id: String,

    /// The WhatsApp Business Account id (digits) the number belongs to.
    #[arg(long, value_name = "ID")]
    pub waba_id: String,

    /// Access token (a system-user token) SAW sends to the Graph API; "-" reads it from standard input.
    #[arg(
        long,
        env = "SAW_WHATSAPP_ACCESS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub access_token: SecretArg,

    /// The Meta app's secret, which checks the signature of every webhook; "-" reads it from standard input.
    #[arg(
        long,
        env = "SAW_WHATSAPP_APP_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub app_secret: SecretArg,

    /// The verify token Meta must send back when you set up the webhook; "-" reads it from standard input. Default: a generated one, printed once.
    #[arg(
        long,
        env = "SAW_WHATSAPP_VERIFY_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub verify_token: Option<SecretArg>,

    /// Base URL of the Graph API; http:// is allowed for tests and local proxies.
    #[arg(long, default_value = saw_core::channel::WHATSAPP_API_BASE, value_name = "URL")]
    pub api_base: String,
}

#[derive(Debug, Args)]
pub struct TelegramArgs {
    /// Name shown to agents for this channel (e.g. "Bot de vendas").
    #[arg(long)]
    pub name: String,

    /// The bot's token from @BotFather (123456789:AAE…); "-" reads it from standard input. Its bot id (the digits before ':') routes updates, so one channel per bot.
    #[arg(
        long,
        env = "SAW_TELEGRAM_BOT_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub bot_token: SecretArg,

    /// How updates arrive.
    #[arg(long, value_enum, default_value_t = TelegramModeArg::Polling)]
    pub mode: TelegramModeArg,

    /// Base URL of the Bot API; http:// is allowed for tests and local proxies (such as a local Bot API server).
    #[arg(long, default_value = saw_core::channel::TELEGRAM_API_BASE, value_name = "URL")]
    pub api_base: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TelegramModeArg {
    /// SAW asks Telegram for new updates (works behind NAT; no public URL needed).
    Polling,
    /// Telegram posts updates to SAW's public address (SAW_PUBLIC_URL), which Telegram requires to be https.
    Webhook,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Name shown to agents for this channel (e.g. "Sandbox").
    #[arg(long)]
    pub name: String,
}
