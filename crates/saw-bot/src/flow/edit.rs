//! The changes the tree editor makes to a flow, one at a time. Each gives a new flow that
//! is checked whole, like an imported file, so the editor can never store a broken one.

use super::{Action, AutoReply, Flow, FlowError, FlowMenu, FlowOption, Problem};
use crate::text::fold;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Greeting(String),
    MenuText {
        menu: String,
        text: String,
    },
    /// A new option of `parent` leading to a new sub-menu with `text`; the sub-menu starts
    /// with one option, "falar com um atendente" (`human_title`), to edit from there.
    AddSubmenu {
        parent: String,
        title: String,
        text: String,
        human_title: String,
    },
    AddOption {
        menu: String,
        title: String,
        action: Action,
    },
    RemoveOption {
        menu: String,
        option: String,
    },
    /// One place up (`up`) or down within its menu.
    MoveOption {
        menu: String,
        option: String,
        up: bool,
    },
    AddAutoReply(AutoReply),
    RemoveAutoReply {
        index: usize,
    },
}

fn problem(path: &str, message: impl Into<String>) -> FlowError {
    FlowError::Invalid(vec![Problem {
        path: path.to_owned(),
        message: message.into(),
    }])
}

impl Flow {
    /// This flow with `edit` made, or why not (nothing found, or a flow that would be
    /// invalid).
    pub fn edited(&self, edit: Edit) -> Result<Flow, FlowError> {
        let mut flow = self.clone();
        match edit {
            Edit::Greeting(text) => flow.greeting = text.trim().to_owned(),
            Edit::MenuText { menu, text } => flow.menu_mut(&menu)?.text = text.trim().to_owned(),
            Edit::AddSubmenu {
                parent,
                title,
                text,
                human_title,
            } => {
                let id = flow.new_option_id(&title);
                if flow.find_menu(&id).is_some() {
                    return Err(problem("menus", format!("a menu \"{id}\" exists already")));
                }
                flow.menu_mut(&parent)?.options.push(FlowOption {
                    id: id.clone(),
                    title: title.trim().to_owned(),
                    description: None,
                    action: Action::Menu(id.clone()),
                });
                let human = FlowOption {
                    id: flow.new_option_id(&format!("{id} {human_title}")),
                    title: human_title.trim().to_owned(),
                    description: None,
                    action: Action::Human,
                };
                flow.menus.push(FlowMenu {
                    id,
                    text: text.trim().to_owned(),
                    header: None,
                    footer: None,
                    button: None,
                    options: vec![human],
                });
            }
            Edit::AddOption {
                menu,
                title,
                action,
            } => {
                let id = flow.new_option_id(&title);
                flow.menu_mut(&menu)?.options.push(FlowOption {
                    id,
                    title: title.trim().to_owned(),
                    description: None,
                    action,
                });
            }
            Edit::RemoveOption { menu, option } => {
                let options = &mut flow.menu_mut(&menu)?.options;
                let at = position(options, &option)?;
                options.remove(at);
            }
            Edit::MoveOption { menu, option, up } => {
                let options = &mut flow.menu_mut(&menu)?.options;
                let at = position(options, &option)?;
                let to = if up { at.checked_sub(1) } else { Some(at + 1) };
                if let Some(to) = to.filter(|to| *to < options.len()) {
                    options.swap(at, to);
                }
            }
            Edit::AddAutoReply(rule) => flow.auto_replies.push(AutoReply {
                keywords: rule
                    .keywords
                    .iter()
                    .map(|k| k.trim().to_owned())
                    .filter(|k| !k.is_empty())
                    .collect(),
                answer: rule.answer.trim().to_owned(),
                ask_more: rule.ask_more,
            }),
            Edit::RemoveAutoReply { index } => {
                if index >= flow.auto_replies.len() {
                    return Err(problem("auto_replies", "no such automatic reply"));
                }
                flow.auto_replies.remove(index);
            }
        }
        flow.validate().map_err(FlowError::Invalid)?;
        Ok(flow)
    }

    fn menu_mut(&mut self, id: &str) -> Result<&mut FlowMenu, FlowError> {
        self.menus
            .iter_mut()
            .find(|m| m.id == id)
            .ok_or_else(|| problem("menus", format!("no menu \"{id}\"")))
    }

    /// An id for a new option, from its title ("Segunda via" → `segunda-via`), unique in
    /// the flow (options are counted across menus).
    fn new_option_id(&self, title: &str) -> String {
        let base = fold(title).replace(' ', "-");
        let base = if base.is_empty() {
            "opcao".to_owned()
        } else {
            base
        };
        let base: String = base.chars().take(60).collect();
        let taken = |id: &str| {
            self.menus
                .iter()
                .any(|m| m.options.iter().any(|o| o.id == id))
        };
        (1..)
            .map(|n| match n {
                1 => base.clone(),
                n => format!("{base}-{n}"),
            })
            .find(|id| !taken(id))
            .unwrap_or(base)
    }
}

fn position(options: &[FlowOption], id: &str) -> Result<usize, FlowError> {
    options
        .iter()
        .position(|o| o.id == id)
        .ok_or_else(|| problem("options", format!("no option \"{id}\"")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use saw_core::account::Language;

    #[test]
    fn edits_give_checked_flows() {
        let flow = Flow::example(Language::PtBr);
        let added = flow
            .edited(Edit::AddOption {
                menu: "inicio".into(),
                title: "Segunda via do boleto".into(),
                action: Action::Answer {
                    text: "Acesse o site.".into(),
                    ask_more: true,
                },
            })
            .unwrap();
        let last = added.menus[0].options.last().unwrap();
        assert_eq!(last.id, "segunda-via-do-boleto");
        let twice = added
            .edited(Edit::AddOption {
                menu: "suporte".into(),
                title: "Segunda via do boleto".into(),
                action: Action::Human,
            })
            .unwrap();
        assert_eq!(
            twice.menus[1].options.last().unwrap().id,
            "segunda-via-do-boleto-2"
        );

        let moved = added
            .edited(Edit::MoveOption {
                menu: "inicio".into(),
                option: "segunda-via-do-boleto".into(),
                up: true,
            })
            .unwrap();
        let n = moved.menus[0].options.len();
        assert_eq!(moved.menus[0].options[n - 2].id, "segunda-via-do-boleto");

        // A menu pointing nowhere, or an empty text, is refused like a bad file.
        let dangling = flow.edited(Edit::AddOption {
            menu: "inicio".into(),
            title: "Financeiro".into(),
            action: Action::Menu("financeiro".into()),
        });
        assert!(
            matches!(dangling, Err(FlowError::Invalid(_))),
            "{dangling:?}"
        );
        let fixed = flow
            .edited(Edit::AddSubmenu {
                parent: "inicio".into(),
                title: "Financeiro".into(),
                text: "Sobre o que é?".into(),
                human_title: "Falar com um atendente".into(),
            })
            .unwrap();
        let financeiro = fixed.find_menu("financeiro").unwrap();
        assert_eq!(financeiro.options[0].action, Action::Human);
        assert_eq!(
            fixed.menus[0].options.last().unwrap().action,
            Action::Menu("financeiro".into())
        );
        assert!(
            flow.edited(Edit::MenuText {
                menu: "inicio".into(),
                text: "  ".into(),
            })
            .is_err()
        );
        assert!(
            flow.edited(Edit::RemoveOption {
                menu: "inicio".into(),
                option: "nada".into(),
            })
            .is_err()
        );
    }
}
