//! What choosing an option does. In YAML an action is one short map (`{ menu: suporte }`,
//! `{ queue: Comercial }`, `{ answer: "…", ask_more: true }`, `{ ask: { … } }`) or the
//! word `human`, rather than serde's tagged enums, so that admins read and write it
//! naturally.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::fields::FieldKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Show another menu (by id).
    Menu(String),
    /// Send a text; with `ask_more`, then ask "Posso ajudar em algo mais?".
    Answer { text: String, ask_more: bool },
    /// Ask for a contact field, then do `then`.
    Ask(Box<Ask>),
    /// Hand the ticket to a queue (by name).
    Queue(String),
    /// Hand the ticket to the account's default queue.
    Human,
}

/// A question whose answer is checked by `kind` and stored as the contact field `field`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ask {
    pub field: String,
    pub prompt: String,
    #[serde(default)]
    pub kind: FieldKind,
    pub then: Action,
}

const HUMAN: &str = "human";
const KEYS: &[&str] = &["menu", "queue", "answer", "ask"];

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let Action::Human = self {
            return s.serialize_str(HUMAN);
        }
        let ask_more = matches!(self, Action::Answer { ask_more: true, .. });
        let mut map = s.serialize_map(Some(1 + usize::from(ask_more)))?;
        match self {
            Action::Menu(id) => map.serialize_entry("menu", id)?,
            Action::Queue(name) => map.serialize_entry("queue", name)?,
            Action::Answer { text, ask_more } => {
                map.serialize_entry("answer", text)?;
                if *ask_more {
                    map.serialize_entry("ask_more", &true)?;
                }
            }
            Action::Ask(ask) => map.serialize_entry("ask", ask)?,
            Action::Human => {}
        }
        map.end()
    }
}

/// The map form as written, before checking that it names exactly one action.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionMap {
    menu: Option<String>,
    queue: Option<String>,
    answer: Option<String>,
    ask_more: Option<bool>,
    ask: Option<Box<Ask>>,
}

impl ActionMap {
    fn into_action(self) -> Result<Action, String> {
        let named = [
            self.menu.is_some(),
            self.queue.is_some(),
            self.answer.is_some(),
            self.ask.is_some(),
        ];
        if named.iter().filter(|n| **n).count() != 1 {
            return Err(format!(
                "an action needs exactly one of {}, or is the word `human`",
                KEYS.join(", ")
            ));
        }
        if self.ask_more.is_some() && self.answer.is_none() {
            return Err("`ask_more` goes with `answer` only".to_owned());
        }
        let ask_more = self.ask_more.unwrap_or(false);
        match (self.menu, self.queue, self.answer, self.ask) {
            (Some(id), ..) => Ok(Action::Menu(id)),
            (_, Some(name), ..) => Ok(Action::Queue(name)),
            (_, _, Some(text), _) => Ok(Action::Answer { text, ask_more }),
            (.., Some(ask)) => Ok(Action::Ask(ask)),
            (None, None, None, None) => Err("an action needs one of its keys".to_owned()),
        }
    }
}

struct ActionVisitor;

impl<'de> Visitor<'de> for ActionVisitor {
    type Value = Action;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "`human` or a map with one of {}", KEYS.join(", "))
    }

    fn visit_str<E: de::Error>(self, word: &str) -> Result<Action, E> {
        if word.trim() == HUMAN {
            Ok(Action::Human)
        } else {
            Err(E::custom(format!(
                "unknown action `{word}`: use `human` or a map with one of {}",
                KEYS.join(", ")
            )))
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Action, A::Error> {
        let raw = ActionMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
        raw.into_action().map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ActionVisitor)
    }
}
