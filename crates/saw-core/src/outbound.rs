//! What SAW sends, said once for every channel: each adapter renders an
//! [`OutboundPayload`] into its provider's request (a WhatsApp list, a Telegram inline
//! keyboard, a numbered text menu when neither fits).
//!
//! Payloads are stored as JSON in the outbox (`{"type": "menu", …}`), so field names and
//! tags are part of the database format. The message being quoted is not part of the
//! payload: the adapters take it as a separate argument.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::conversation::MessageKind;
use crate::validation::{MESSAGE_TEXT_MAX, ValidationError};

/// The list button's label when a menu names none.
pub const DEFAULT_MENU_BUTTON_LABEL: &str = "Ver opções";
/// The longest option id any channel accepts (WhatsApp list rows: 200 characters).
pub const MENU_OPTION_ID_MAX: usize = 200;

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutboundPayload {
    Text { body: String },
    Menu(Menu),
    Media(MediaPayload),
    Template(TemplatePayload),
}

impl OutboundPayload {
    /// The kind the message is stored with.
    pub fn message_kind(&self) -> MessageKind {
        match self {
            OutboundPayload::Text { .. } => MessageKind::Text,
            OutboundPayload::Menu(_) => MessageKind::Interactive,
            OutboundPayload::Media(m) => m.kind.message_kind(),
            OutboundPayload::Template(_) => MessageKind::Template,
        }
    }
}

/// A question with options to pick from. Each channel shows it as best it can (buttons,
/// a list, an inline keyboard or numbered text); the option `id` comes back with the
/// customer's choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Menu {
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    /// The label of the button that opens a list; [`DEFAULT_MENU_BUTTON_LABEL`] if `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub button_label: Option<String>,
    pub options: Vec<MenuOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuOption {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Menu {
    /// A body of at most [`MESSAGE_TEXT_MAX`] characters, at least one option, every id
    /// usable on every channel and unique, every title non-blank.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.body.trim().is_empty() || self.body.chars().count() > MESSAGE_TEXT_MAX {
            return Err(ValidationError::InvalidMessageText {
                max: MESSAGE_TEXT_MAX,
            });
        }
        if self.options.is_empty() {
            return Err(ValidationError::EmptyMenu);
        }
        let mut seen = HashSet::new();
        for (i, option) in self.options.iter().enumerate() {
            let position = i + 1;
            let id = &option.id;
            if id.is_empty() || id.trim() != id || id.chars().count() > MENU_OPTION_ID_MAX {
                return Err(ValidationError::InvalidMenuOptionId { position });
            }
            if !seen.insert(id.as_str()) {
                return Err(ValidationError::DuplicateMenuOptionId(id.clone()));
            }
            if option.title.trim().is_empty() {
                return Err(ValidationError::EmptyMenuOptionTitle { position });
            }
        }
        Ok(())
    }

    /// The list button's label, or the default.
    pub fn button_label(&self) -> &str {
        self.button_label
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .unwrap_or(DEFAULT_MENU_BUTTON_LABEL)
    }

    /// The menu as plain text, for channels (or sizes) without buttons: the body, one
    /// numbered line per option (`1 - Vendas (Pedidos e orçamentos)`) and the footer,
    /// separated by blank lines; the header, a card title, is left out. The customer
    /// answers with the number ([`Menu::choice_from_text`]).
    pub fn numbered_text(&self) -> String {
        let lines: Vec<String> = self
            .options
            .iter()
            .enumerate()
            .map(
                |(i, o)| match o.description.as_deref().filter(|d| !d.is_empty()) {
                    Some(d) => format!("{} - {} ({d})", i + 1, o.title),
                    None => format!("{} - {}", i + 1, o.title),
                },
            )
            .collect();
        let lines = lines.join("\n");
        [
            Some(self.body.as_str()),
            Some(lines.as_str()),
            self.footer.as_deref(),
        ]
        .into_iter()
        .flatten()
        .filter(|part| !part.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
    }

    /// The option a typed answer picks: its number as shown by [`Menu::numbered_text`]
    /// (`2`, `2.`, `2)`, `2 -`) or its title, ignoring case and surrounding spaces.
    pub fn choice_from_text(&self, text: &str) -> Option<&MenuOption> {
        let text = text.trim();
        let number = text.trim_end_matches(['.', ')', '-', ' ']);
        if let Ok(n) = number.parse::<usize>() {
            return n.checked_sub(1).and_then(|i| self.options.get(i));
        }
        let folded = text.to_lowercase();
        self.options
            .iter()
            .find(|o| o.title.trim().to_lowercase() == folded)
    }
}

/// A file to send. It is sent by the provider's id for it, so it must be uploaded to the
/// channel first (`provider_media_id` is `None` until then).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaPayload {
    pub kind: MediaKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_media_id: Option<String>,
    pub mime_type: String,
    /// Shown for documents (its extension picks WhatsApp's icon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Shown under images, videos and documents; dropped for audio and stickers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Document,
    Audio,
    Video,
    Sticker,
}

impl MediaKind {
    pub const ALL: &'static [MediaKind] = &[
        MediaKind::Image,
        MediaKind::Document,
        MediaKind::Audio,
        MediaKind::Video,
        MediaKind::Sticker,
    ];

    pub fn message_kind(self) -> MessageKind {
        match self {
            MediaKind::Image => MessageKind::Image,
            MediaKind::Document => MessageKind::Document,
            MediaKind::Audio => MessageKind::Audio,
            MediaKind::Video => MessageKind::Video,
            MediaKind::Sticker => MessageKind::Sticker,
        }
    }

    /// WhatsApp's size limit for this kind (protocols.md A8), in decimal megabytes so a
    /// file SAW accepts is never refused by Meta. Stickers: the animated limit (static
    /// ones may have only 100 KB).
    pub fn max_bytes(self) -> u64 {
        const MB: u64 = 1_000_000;
        match self {
            MediaKind::Image => 5 * MB,
            MediaKind::Document => 100 * MB,
            MediaKind::Audio | MediaKind::Video => 16 * MB,
            MediaKind::Sticker => 500_000,
        }
    }

    /// Whether WhatsApp takes a file of this MIME type as this kind (protocols.md A8).
    /// Parameters such as `; codecs=opus` are ignored; case does not matter.
    pub fn allowed_mime(self, mime: &str) -> bool {
        let essence = mime
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let allowed: &[&str] = match self {
            MediaKind::Image => &["image/jpeg", "image/png"],
            MediaKind::Document => &[
                "text/plain",
                "application/pdf",
                "application/msword",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.ms-excel",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.ms-powerpoint",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            ],
            MediaKind::Audio => &[
                "audio/aac",
                "audio/amr",
                "audio/mpeg",
                "audio/mp4",
                "audio/ogg",
            ],
            MediaKind::Video => &["video/mp4", "video/3gpp"],
            MediaKind::Sticker => &["image/webp"],
        };
        allowed.contains(&essence.as_str())
    }
}

/// An approved WhatsApp template, the only thing that may be sent outside the 24-hour
/// window. Parameters are text, in the template's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplatePayload {
    pub name: String,
    /// The template's language code as approved, e.g. `pt_BR`.
    pub language: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body_params: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub header_params: Vec<String>,
    /// The payload of each quick-reply button, by button index; it comes back when tapped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub button_payloads: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(id: &str, title: &str) -> MenuOption {
        MenuOption {
            id: id.into(),
            title: title.into(),
            description: None,
        }
    }

    fn menu(options: Vec<MenuOption>) -> Menu {
        Menu {
            body: "Com qual setor você quer falar?".into(),
            header: None,
            footer: None,
            button_label: None,
            options,
        }
    }

    #[test]
    fn menus_are_validated() {
        assert_eq!(
            menu(vec![option("a", "A"), option("b", "B")]).validate(),
            Ok(())
        );
        assert_eq!(menu(vec![]).validate(), Err(ValidationError::EmptyMenu));
        assert_eq!(
            menu(vec![option("a", "A"), option("", "B")]).validate(),
            Err(ValidationError::InvalidMenuOptionId { position: 2 })
        );
        assert_eq!(
            menu(vec![option(" a", "A")]).validate(),
            Err(ValidationError::InvalidMenuOptionId { position: 1 })
        );
        assert_eq!(
            menu(vec![option(&"x".repeat(MENU_OPTION_ID_MAX + 1), "A")]).validate(),
            Err(ValidationError::InvalidMenuOptionId { position: 1 })
        );
        assert_eq!(
            menu(vec![option("a", "A"), option("a", "B")]).validate(),
            Err(ValidationError::DuplicateMenuOptionId("a".into()))
        );
        assert_eq!(
            menu(vec![option("a", " ")]).validate(),
            Err(ValidationError::EmptyMenuOptionTitle { position: 1 })
        );
        let mut blank = menu(vec![option("a", "A")]);
        blank.body = "  ".into();
        assert!(matches!(
            blank.validate(),
            Err(ValidationError::InvalidMessageText { .. })
        ));
    }

    #[test]
    fn numbered_text_and_typed_choices() {
        let mut m = menu(vec![option("com", "Comercial"), option("sup", "Suporte")]);
        m.options[1].description = Some("Problemas com pedidos".into());
        m.header = Some("Padaria Estrela".into());
        m.footer = Some("Atendimento de seg. a sáb.".into());
        assert_eq!(
            m.numbered_text(),
            "Com qual setor você quer falar?\n\n1 - Comercial\n2 - Suporte (Problemas com pedidos)\n\nAtendimento de seg. a sáb."
        );
        assert_eq!(m.choice_from_text(" 2 ").map(|o| &*o.id), Some("sup"));
        assert_eq!(m.choice_from_text("1.").map(|o| &*o.id), Some("com"));
        assert_eq!(m.choice_from_text("suporte").map(|o| &*o.id), Some("sup"));
        assert_eq!(m.choice_from_text("0"), None);
        assert_eq!(m.choice_from_text("3"), None);
        assert_eq!(m.choice_from_text("oi"), None);
    }

    #[test]
    fn button_label_defaults() {
        let mut m = menu(vec![option("a", "A")]);
        assert_eq!(m.button_label(), DEFAULT_MENU_BUTTON_LABEL);
        m.button_label = Some(" ".into());
        assert_eq!(m.button_label(), DEFAULT_MENU_BUTTON_LABEL);
        m.button_label = Some("Setores".into());
        assert_eq!(m.button_label(), "Setores");
    }

    #[test]
    fn media_limits_follow_whatsapp() {
        assert!(MediaKind::Audio.allowed_mime("audio/ogg; codecs=opus"));
        assert!(MediaKind::Image.allowed_mime("IMAGE/JPEG"));
        assert!(!MediaKind::Image.allowed_mime("image/webp"));
        assert!(MediaKind::Sticker.allowed_mime("image/webp"));
        assert!(MediaKind::Document.allowed_mime("application/pdf"));
        assert!(!MediaKind::Video.allowed_mime("video/quicktime"));
        assert_eq!(MediaKind::Image.max_bytes(), 5_000_000);
        assert!(MediaKind::ALL.iter().all(|k| k.max_bytes() > 0));
        assert_eq!(
            OutboundPayload::Media(MediaPayload {
                kind: MediaKind::Video,
                provider_media_id: None,
                mime_type: "video/mp4".into(),
                filename: None,
                caption: None,
            })
            .message_kind(),
            MessageKind::Video
        );
    }
}
