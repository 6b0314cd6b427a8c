//! A flow: the greeting, a tree of menus whose options lead somewhere, automatic replies and
//! every text the bot says. Its YAML form is the export/import format, so the field names
//! are part of it and meant to be read and edited by people:
//!
//! ```yaml
//! name: Atendimento
//! greeting: "Olá{{#nome}}, {{nome}}{{/nome}}! Bem-vindo à {{empresa}}."
//! menu: inicio                 # the menu shown first
//! max_misses: 3                # unrecognised answers in a row before a person takes over
//! menus:
//!   - id: inicio
//!     text: Como podemos ajudar?
//!     options:
//!       - { id: comercial, title: Comercial, action: { queue: Comercial } }
//!       - { id: suporte, title: Suporte, action: { menu: suporte } }
//!       - id: horario
//!         title: Horário de atendimento
//!         action: { answer: "Atendemos de segunda a sexta, das 8h às 18h.", ask_more: true }
//!       - { id: humano, title: Falar com um atendente, action: human }
//! auto_replies:
//!   - keywords: [horário de atendimento, que horas abre]
//!     answer: Atendemos de segunda a sexta, das 8h às 18h.
//! texts: { goodbye: "Até logo!" }   # any text left out keeps its default
//! ```
//!
//! Placeholders follow [`crate::template`].

mod action;
mod edit;
mod example;
mod texts;
mod validate;

use serde::{Deserialize, Serialize};

pub use action::{Action, Ask};
pub use edit::Edit;
pub use texts::{InvalidTexts, Texts};
pub use validate::Problem;

/// Three misses, then a person: enough for a typo or two, not enough to annoy.
pub const DEFAULT_MAX_MISSES: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    pub name: String,
    /// Sent before the first menu; empty for none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub greeting: String,
    /// The id of the menu a conversation starts at (and "menu"/"#" returns to).
    pub menu: String,
    #[serde(default = "default_max_misses")]
    pub max_misses: u32,
    pub menus: Vec<FlowMenu>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auto_replies: Vec<AutoReply>,
    /// Left out (or partly left out) in a file: the pt-BR defaults.
    #[serde(default)]
    pub texts: Texts,
}

fn default_max_misses() -> u32 {
    DEFAULT_MAX_MISSES
}

/// One menu: a question and the options that answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowMenu {
    pub id: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// Shown under the options; on a sub-menu without one, `texts.navigation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    /// The label of the button that opens a list (WhatsApp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub button: Option<String>,
    pub options: Vec<FlowOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowOption {
    /// Comes back when the customer taps the option; also what the metrics count.
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub action: Action,
}

/// A frequent question answered wherever the customer is in the conversation. A message
/// matches when it holds every meaningful word of one of the keywords (see
/// [`crate::matcher`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoReply {
    pub keywords: Vec<String>,
    pub answer: String,
    /// Follow the answer with "Posso ajudar em algo mais?".
    #[serde(default, skip_serializing_if = "is_false")]
    pub ask_more: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Why a YAML file is not a flow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    /// Not YAML, or not shaped like a flow (unknown field, wrong type). The message names
    /// the field, the line and the column.
    #[error("{message}")]
    Yaml {
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    /// Shaped like a flow but wrong: every problem, with the path to its field.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
}

const YAML_HEADER: &str = "\
# A SAW chatbot flow. Edit it and import it again; an invalid file changes nothing.
# Placeholders: {{nome}}, {{empresa}}, {{protocolo}}, {{fila}}, {{reabre}}, {{posicao}} and
# collected fields ({{pedido}}). {{#nome}}…{{/nome}} is kept only when the name is known.
";

impl Flow {
    /// A valid flow from its YAML form.
    pub fn from_yaml(yaml: &str) -> Result<Flow, FlowError> {
        let flow: Flow = serde_norway::from_str(yaml).map_err(|e| {
            let location = e.location();
            FlowError::Yaml {
                line: location.as_ref().map(|l| l.line()),
                column: location.as_ref().map(|l| l.column()),
                message: e.to_string(),
            }
        })?;
        flow.validate().map_err(FlowError::Invalid)?;
        Ok(flow)
    }

    /// The YAML form, with a short comment on placeholders at the top.
    pub fn to_yaml(&self) -> String {
        let body = serde_norway::to_string(self)
            .expect("a flow is only strings, numbers, booleans, lists and maps");
        format!("{YAML_HEADER}{body}")
    }

    pub fn find_menu(&self, id: &str) -> Option<&FlowMenu> {
        self.menus.iter().find(|m| m.id == id)
    }
}

impl FlowMenu {
    pub fn find_option(&self, id: &str) -> Option<&FlowOption> {
        self.options.iter().find(|o| o.id == id)
    }
}
