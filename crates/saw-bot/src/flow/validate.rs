//! Every problem of a flow at once, each with the path to its field
//! (`menus[1].options[0].action.menu: no menu "suprte"`), so an admin fixes a file in one
//! go. Unreachable menus are fine: a draft may keep them for later.

use std::collections::HashMap;
use std::fmt;

use saw_core::outbound::{MENU_OPTION_ID_MAX, Menu, MenuOption};
use saw_core::validation::MESSAGE_TEXT_MAX;

use super::{Action, Flow, FlowMenu};
use crate::{template, text};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where, as in the YAML: `menus[1].options[0].title`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Placeholders the bot fills itself; a field with one of these names would be hidden.
const RESERVED_FIELDS: &[&str] = &["empresa", "protocolo", "fila", "reabre", "posicao"];
const NAME_MAX: usize = 120;
const MAX_MISSES_MAX: u32 = 10;

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    /// A text customers will read: not blank, not too long, placeholders well formed.
    fn text(&mut self, path: &str, value: &str) {
        if value.trim().is_empty() {
            self.add(path, "must not be empty");
        } else if value.chars().count() > MESSAGE_TEXT_MAX {
            self.add(
                path,
                format!("is longer than {MESSAGE_TEXT_MAX} characters"),
            );
        } else if let Err(e) = template::check(value) {
            self.add(path, e);
        }
    }

    /// An id as saw-core's menus accept it.
    fn id(&mut self, path: &str, id: &str) {
        if id.is_empty() || id.trim() != id || id.chars().count() > MENU_OPTION_ID_MAX {
            self.add(
                path,
                format!("must not be empty, have no spaces at either end and be at most {MENU_OPTION_ID_MAX} characters"),
            );
        }
    }
}

impl Flow {
    /// `Ok` or every problem found.
    pub fn validate(&self) -> Result<(), Vec<Problem>> {
        let mut p = Problems::default();
        if self.name.trim().is_empty() || self.name.chars().count() > NAME_MAX {
            p.add(
                "name",
                format!("must not be empty (at most {NAME_MAX} characters)"),
            );
        }
        if !self.greeting.is_empty() {
            p.text("greeting", &self.greeting);
        }
        if self.menus.is_empty() {
            p.add("menus", "needs at least one menu");
        } else if self.find_menu(&self.menu).is_none() {
            p.add("menu", format!("no menu \"{}\"", self.menu));
        }
        if !(1..=MAX_MISSES_MAX).contains(&self.max_misses) {
            p.add("max_misses", format!("must be from 1 to {MAX_MISSES_MAX}"));
        }
        for (i, menu) in self.menus.iter().enumerate() {
            let path = format!("menus[{i}]");
            p.id(&format!("{path}.id"), &menu.id);
            self.check_menu(&mut p, &path, menu);
        }
        self.check_duplicate_menus(&mut p);
        for (i, rule) in self.auto_replies.iter().enumerate() {
            let path = format!("auto_replies[{i}]");
            if rule.keywords.is_empty() {
                p.add(format!("{path}.keywords"), "needs at least one keyword");
            }
            for (k, keyword) in rule.keywords.iter().enumerate() {
                if text::fold(keyword).is_empty() {
                    p.add(
                        format!("{path}.keywords[{k}]"),
                        "has no letters or digits to match",
                    );
                }
            }
            p.text(&format!("{path}.answer"), &rule.answer);
        }
        for (key, value) in self.texts.all() {
            p.text(&format!("texts.{key}"), value);
        }
        for (key, value) in self.texts.invalid.all() {
            p.text(&format!("texts.invalid.{key}"), value);
        }
        if text::fold(&self.texts.ask_more_yes) == text::fold(&self.texts.ask_more_no) {
            p.add("texts.ask_more_no", "must differ from texts.ask_more_yes");
        }
        if p.0.is_empty() { Ok(()) } else { Err(p.0) }
    }

    fn check_duplicate_menus(&self, p: &mut Problems) {
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (i, menu) in self.menus.iter().enumerate() {
            if let Some(j) = first.get(menu.id.as_str()) {
                p.add(
                    format!("menus[{i}].id"),
                    format!("\"{}\" is already the id of menus[{j}]", menu.id),
                );
            } else {
                first.insert(&menu.id, i);
            }
        }
    }

    fn check_menu(&self, p: &mut Problems, path: &str, menu: &FlowMenu) {
        let before = p.0.len();
        p.text(&format!("{path}.text"), &menu.text);
        if menu.options.is_empty() {
            p.add(format!("{path}.options"), "needs at least one option");
        }
        let mut ids: HashMap<&str, usize> = HashMap::new();
        let mut titles: HashMap<String, usize> = HashMap::new();
        for (j, option) in menu.options.iter().enumerate() {
            let opath = format!("{path}.options[{j}]");
            p.id(&format!("{opath}.id"), &option.id);
            if let Some(k) = ids.get(option.id.as_str()) {
                p.add(
                    format!("{opath}.id"),
                    format!("\"{}\" is already the id of options[{k}]", option.id),
                );
            } else {
                ids.insert(&option.id, j);
            }
            if option.title.trim().is_empty() {
                p.add(format!("{opath}.title"), "must not be empty");
            } else if let Some(k) = titles.get(&text::fold(&option.title)) {
                p.add(
                    format!("{opath}.title"),
                    format!(
                        "reads the same as options[{k}].title once accents and case are ignored"
                    ),
                );
            } else {
                titles.insert(text::fold(&option.title), j);
            }
            self.check_action(p, &format!("{opath}.action"), &option.action);
        }
        // saw-core's own rules, in case they grow beyond the checks above.
        if p.0.len() == before {
            let rendered = Menu {
                body: menu.text.clone(),
                header: menu.header.clone(),
                footer: menu.footer.clone(),
                button_label: menu.button.clone(),
                options: menu
                    .options
                    .iter()
                    .map(|o| MenuOption {
                        id: o.id.clone(),
                        title: o.title.clone(),
                        description: o.description.clone(),
                    })
                    .collect(),
            };
            if let Err(e) = rendered.validate() {
                p.add(path, e.to_string());
            }
        }
    }

    fn check_action(&self, p: &mut Problems, path: &str, action: &Action) {
        match action {
            Action::Menu(id) => {
                if self.find_menu(id).is_none() {
                    p.add(format!("{path}.menu"), format!("no menu \"{id}\""));
                }
            }
            Action::Queue(name) => {
                if name.trim().is_empty() {
                    p.add(format!("{path}.queue"), "must name a queue");
                }
            }
            Action::Answer { text, .. } => p.text(&format!("{path}.answer"), text),
            Action::Ask(ask) => {
                let field = &ask.field;
                let well_formed = !field.is_empty()
                    && field
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if !well_formed {
                    p.add(
                        format!("{path}.ask.field"),
                        "must be lower-case letters, digits and _ (e.g. pedido)",
                    );
                } else if RESERVED_FIELDS.contains(&field.as_str()) {
                    p.add(
                        format!("{path}.ask.field"),
                        format!("\"{field}\" is filled in by the bot itself"),
                    );
                }
                p.text(&format!("{path}.ask.prompt"), &ask.prompt);
                self.check_action(p, &format!("{path}.ask.then"), &ask.then);
            }
            Action::Human => {}
        }
    }
}
