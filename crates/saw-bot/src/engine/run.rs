//! One step in progress: the replies and records gathered so far, and the moves (show a
//! menu, perform an action, route, miss) that end it.

use saw_core::outbound::{Menu, MenuOption, OutboundPayload};

use super::{Awaiting, BotState, Context, Outcome, Record, RouteReason, Step};
use crate::flow::{Action, Ask, Flow, FlowMenu, FlowOption};
use crate::matcher::{self, Choice, Command, Input, Interpretation, Matcher, NO_WORDS, YES_WORDS};
use crate::template::{self, Vars};

/// Option ids of the "anything else?" question.
const YES_ID: &str = "sim";
const NO_ID: &str = "nao";

pub(super) struct Run<'a> {
    flow: &'a Flow,
    ctx: &'a Context,
    replies: Vec<OutboundPayload>,
    records: Vec<Record>,
    vars: Vars,
}

impl<'a> Run<'a> {
    pub(super) fn new(flow: &'a Flow, ctx: &'a Context) -> Self {
        let mut vars: Vars = ctx.fields.clone();
        if let Some(name) = ctx.contact_name.as_deref().filter(|n| !n.trim().is_empty()) {
            vars.insert("nome".into(), name.trim().to_owned());
        }
        vars.insert("empresa".into(), ctx.company.clone());
        vars.insert("protocolo".into(), ctx.protocol.clone());
        if let Some(position) = ctx.queue_position {
            vars.insert("posicao".into(), position.to_string());
        }
        Run {
            flow,
            ctx,
            replies: Vec::new(),
            records: Vec::new(),
            vars,
        }
    }

    fn finish(self, state: Option<BotState>, outcome: Outcome) -> Step {
        Step {
            state,
            replies: self.replies,
            outcome,
            records: self.records,
        }
    }

    fn render(&self, text: &str) -> String {
        template::render(text, &self.vars).trim().to_owned()
    }

    /// Sends a text; nothing when it renders blank.
    pub(super) fn say(&mut self, text: &str) {
        let body = self.render(text);
        if !body.is_empty() {
            self.replies.push(OutboundPayload::Text { body });
        }
    }

    fn root(&self) -> Option<&'a FlowMenu> {
        self.flow.find_menu(&self.flow.menu)
    }

    // ---- menus -------------------------------------------------------------------------

    /// The menu as a payload, `note` (a miss hint) before its text.
    fn menu_payload(&self, menu: &FlowMenu, note: Option<&str>) -> OutboundPayload {
        let mut body = self.render(&menu.text);
        if body.is_empty() {
            body = menu.text.trim().to_owned();
        }
        if let Some(note) = note.map(|n| self.render(n)).filter(|n| !n.is_empty()) {
            body = format!("{note}\n\n{body}");
        }
        let footer = match &menu.footer {
            Some(footer) => Some(self.render(footer)),
            None if menu.id != self.flow.menu => Some(self.render(&self.flow.texts.navigation)),
            None => None,
        };
        OutboundPayload::Menu(Menu {
            body,
            header: menu.header.as_deref().map(|h| self.render(h)),
            footer: footer.filter(|f| !f.is_empty()),
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
        })
    }

    fn show_menu(mut self, menu: &FlowMenu, trail: Vec<String>) -> Step {
        self.replies.push(self.menu_payload(menu, None));
        let state = BotState {
            menu: menu.id.clone(),
            trail,
            awaiting: Awaiting::Menu,
            misses: 0,
        };
        self.finish(Some(state), Outcome::Continue)
    }

    pub(super) fn show_root(self) -> Step {
        match self.root() {
            Some(root) => self.show_menu(root, Vec::new()),
            None => {
                let queue = self.ctx.default_queue.clone();
                self.route(&queue, RouteReason::BrokenFlow)
            }
        }
    }

    /// "voltar": the previous menu, the first one when there is none.
    fn back(self, state: &BotState) -> Step {
        let mut trail = state.trail.clone();
        while let Some(id) = trail.pop() {
            if let Some(menu) = self.flow.find_menu(&id) {
                return self.show_menu(menu, trail);
            }
        }
        self.show_root()
    }

    /// The trail after moving from `from` (with `trail` behind it) to `to`: going to a
    /// menu already in the trail goes back to it, so cycles never grow the trail.
    fn trail_to(trail: &[String], from: &str, to: &str) -> Vec<String> {
        if from == to {
            return trail.to_vec();
        }
        let mut trail = trail.to_vec();
        match trail.iter().position(|m| m == to) {
            Some(pos) => trail.truncate(pos),
            None => trail.push(from.to_owned()),
        }
        trail
    }

    // ---- where the conversation stands -------------------------------------------------

    pub(super) fn at_menu(self, state: &BotState, input: &Input) -> Step {
        let Some(menu) = self.flow.find_menu(&state.menu) else {
            return self.show_root();
        };
        let matcher = Matcher::new(choices(menu), &self.flow.auto_replies);
        match matcher.interpret(input) {
            Interpretation::Command(command) => self.command(command, state),
            Interpretation::Option { index, .. } => match menu.options.get(index) {
                Some(option) => self.choose(state, menu, option),
                None => self.miss(state, Prompt::Menu(menu)),
            },
            Interpretation::AutoReply(rule) => self.auto_reply(state, rule),
            Interpretation::Miss => match self.tapped_elsewhere(input) {
                Some((other, option)) => self.choose(state, other, option),
                None => self.miss(state, Prompt::Menu(menu)),
            },
        }
    }

    pub(super) fn at_question(
        self,
        state: &BotState,
        option: &str,
        depth: u32,
        input: &Input,
    ) -> Step {
        let menu = self.flow.find_menu(&state.menu);
        let Some((menu, ask)) = menu.and_then(|m| Some((m, question(m, option, depth)?))) else {
            // The question is gone from the flow: back to the menu it was asked from.
            return match menu {
                Some(menu) => self.show_menu(menu, state.trail.clone()),
                None => self.show_root(),
            };
        };
        if let Some(command) = matcher::command(input) {
            return self.command(command, state);
        }
        let typed = match input {
            Input::Text(t) => t.as_str(),
            Input::Choice(id) => match menu.find_option(id) {
                Some(chosen) => return self.choose(state, menu, chosen),
                None => "",
            },
            Input::Other => "",
        };
        if let Some(value) = ask.kind.parse(typed) {
            let mut run = self;
            run.records.push(Record::FieldCollected {
                field: ask.field.clone(),
                value: value.clone(),
            });
            run.vars.insert(ask.field.clone(), value);
            let here = BotState {
                misses: 0,
                ..state.clone()
            };
            return run.perform(&here, menu, option, depth.saturating_add(1), &ask.then);
        }
        if let Some(rule) = matcher::auto_reply(&self.flow.auto_replies, typed) {
            // Answer, then ask again: the question is still open.
            let mut run = self;
            run.records.push(Record::AutoReply { rule });
            if let Some(reply) = run.flow.auto_replies.get(rule) {
                run.say(&reply.answer);
            }
            run.say(&ask.prompt);
            return run.finish(Some(state.clone()), Outcome::Continue);
        }
        self.miss(state, Prompt::Question(ask))
    }

    pub(super) fn at_anything_else(self, state: &BotState, input: &Input) -> Step {
        let texts = &self.flow.texts;
        let yes_no = [
            Choice {
                id: YES_ID,
                title: &texts.ask_more_yes,
                synonyms: YES_WORDS,
            },
            Choice {
                id: NO_ID,
                title: &texts.ask_more_no,
                synonyms: NO_WORDS,
            },
        ];
        let matcher = Matcher::new(yes_no.to_vec(), &self.flow.auto_replies);
        match matcher.interpret(input) {
            Interpretation::Command(command) => self.command(command, state),
            Interpretation::Option { index: 0, .. } => self.show_root(),
            Interpretation::Option { .. } => {
                let mut run = self;
                run.say(&run.flow.texts.goodbye);
                run.finish(None, Outcome::Resolved)
            }
            Interpretation::AutoReply(rule) => self.auto_reply(state, rule),
            Interpretation::Miss => {
                // Naming an option of the menu ("suporte") says yes and chooses it.
                if let Some(menu) = self.flow.find_menu(&state.menu) {
                    let by_title = Matcher {
                        numbers: false,
                        ..Matcher::new(choices(menu), &[])
                    };
                    if let Interpretation::Option { index, .. } = by_title.interpret(input)
                        && let Some(option) = menu.options.get(index)
                    {
                        return self.choose(state, menu, option);
                    }
                }
                match self.tapped_elsewhere(input) {
                    Some((other, option)) => self.choose(state, other, option),
                    None => self.miss(state, Prompt::AnythingElse),
                }
            }
        }
    }

    // ---- moves -------------------------------------------------------------------------

    fn command(self, command: Command, state: &BotState) -> Step {
        match command {
            Command::OptOut => {
                let mut run = self;
                run.say(&run.flow.texts.opt_out);
                run.finish(None, Outcome::OptedOut)
            }
            Command::Back => match (&state.awaiting, self.flow.find_menu(&state.menu)) {
                // Leaving a question or "anything else?" goes back to its menu.
                (Awaiting::Answer { .. } | Awaiting::AnythingElse, Some(menu)) => {
                    self.show_menu(menu, state.trail.clone())
                }
                _ => self.back(state),
            },
            Command::Restart => self.show_root(),
        }
    }

    /// A tap on an option of another menu (an older message): honoured when exactly one
    /// menu has an option with that id.
    fn tapped_elsewhere(&self, input: &Input) -> Option<(&'a FlowMenu, &'a FlowOption)> {
        let Input::Choice(id) = input else {
            return None;
        };
        let mut found = self
            .flow
            .menus
            .iter()
            .filter_map(|m| Some((m, m.find_option(id)?)));
        match (found.next(), found.next()) {
            (Some(hit), None) => Some(hit),
            _ => None,
        }
    }

    fn choose(mut self, state: &BotState, menu: &'a FlowMenu, option: &'a FlowOption) -> Step {
        self.records.push(Record::OptionChosen {
            menu: menu.id.clone(),
            option: option.id.clone(),
        });
        let here = BotState {
            trail: Run::trail_to(&state.trail, &state.menu, &menu.id),
            menu: menu.id.clone(),
            awaiting: Awaiting::Menu,
            misses: 0,
        };
        self.perform(&here, menu, &option.id, 0, &option.action)
    }

    /// Does `action`, the `depth`-th step of option `option` of `menu`; `here` is where the
    /// conversation stands (at `menu`).
    fn perform(
        mut self,
        here: &BotState,
        menu: &FlowMenu,
        option: &str,
        depth: u32,
        action: &Action,
    ) -> Step {
        let stay = |awaiting| BotState {
            awaiting,
            misses: 0,
            ..here.clone()
        };
        match action {
            Action::Menu(id) => match self.flow.find_menu(id) {
                Some(next) => {
                    let trail = Run::trail_to(&here.trail, &menu.id, id);
                    self.show_menu(next, trail)
                }
                None => self.show_root(),
            },
            Action::Answer { text, ask_more } => {
                self.say(text);
                if *ask_more {
                    self.replies.push(self.anything_else_payload(None));
                    self.finish(Some(stay(Awaiting::AnythingElse)), Outcome::Continue)
                } else {
                    self.finish(Some(stay(Awaiting::Menu)), Outcome::Continue)
                }
            }
            Action::Ask(ask) => {
                self.say(&ask.prompt);
                let awaiting = Awaiting::Answer {
                    option: option.to_owned(),
                    depth,
                };
                self.finish(Some(stay(awaiting)), Outcome::Continue)
            }
            Action::Queue(queue) => self.route(queue, RouteReason::Option),
            Action::Human => {
                let queue = self.ctx.default_queue.clone();
                self.route(&queue, RouteReason::Human)
            }
        }
    }

    fn auto_reply(mut self, state: &BotState, rule: usize) -> Step {
        let Some(reply) = self.flow.auto_replies.get(rule) else {
            return self.finish(Some(state.clone()), Outcome::Continue);
        };
        self.records.push(Record::AutoReply { rule });
        self.say(&reply.answer);
        let awaiting = if reply.ask_more {
            self.replies.push(self.anything_else_payload(None));
            Awaiting::AnythingElse
        } else {
            state.awaiting.clone()
        };
        let state = BotState {
            awaiting,
            misses: 0,
            ..state.clone()
        };
        self.finish(Some(state), Outcome::Continue)
    }

    fn anything_else_payload(&self, note: Option<&str>) -> OutboundPayload {
        let texts = &self.flow.texts;
        let mut body = self.render(&texts.ask_more);
        if let Some(note) = note.map(|n| self.render(n)).filter(|n| !n.is_empty()) {
            body = format!("{note}\n\n{body}");
        }
        let option = |id: &str, title: &str| MenuOption {
            id: id.to_owned(),
            title: title.to_owned(),
            description: None,
        };
        OutboundPayload::Menu(Menu {
            body,
            header: None,
            footer: None,
            button_label: None,
            options: vec![
                option(YES_ID, &texts.ask_more_yes),
                option(NO_ID, &texts.ask_more_no),
            ],
        })
    }

    /// Not understood: a hint and the question again, or a person after `max_misses`.
    fn miss(mut self, state: &BotState, prompt: Prompt<'_>) -> Step {
        self.records.push(Record::Miss);
        let misses = state.misses.saturating_add(1);
        if misses >= self.flow.max_misses {
            self.say(&self.flow.texts.too_many_misses);
            let queue = self.ctx.default_queue.clone();
            return self.route(&queue, RouteReason::TooManyMisses);
        }
        let texts = &self.flow.texts;
        match prompt {
            Prompt::Menu(menu) => self
                .replies
                .push(self.menu_payload(menu, Some(&texts.miss))),
            Prompt::AnythingElse => self
                .replies
                .push(self.anything_else_payload(Some(&texts.miss))),
            Prompt::Question(ask) => self.say(texts.invalid.for_kind(ask.kind)),
        }
        let state = BotState {
            misses,
            ..state.clone()
        };
        self.finish(Some(state), Outcome::Continue)
    }

    /// Hands the ticket to `queue`: the protocol, and when the queue is closed, when it
    /// opens again.
    fn route(mut self, queue: &str, reason: RouteReason) -> Step {
        self.vars.insert("fila".into(), queue.to_owned());
        self.say(&self.flow.texts.handoff);
        let hours = self.ctx.queue_hours.get(queue).unwrap_or(&self.ctx.hours);
        if !hours.is_open(self.ctx.now) {
            if let Some(when) = hours.describe_next_opening(self.ctx.now, self.ctx.language) {
                self.vars.insert("reabre".into(), when);
            }
            self.say(&self.flow.texts.out_of_hours);
        }
        let outcome = Outcome::RouteToQueue {
            queue: queue.to_owned(),
            reason,
        };
        self.finish(None, outcome)
    }
}

/// What to ask again after a miss.
enum Prompt<'f> {
    Menu(&'f FlowMenu),
    Question(&'f Ask),
    AnythingElse,
}

fn choices(menu: &FlowMenu) -> Vec<Choice<'_>> {
    menu.options
        .iter()
        .map(|o| Choice {
            id: &o.id,
            title: &o.title,
            synonyms: &[],
        })
        .collect()
}

/// The `depth`-th question in the chain of option `option`.
fn question<'f>(menu: &'f FlowMenu, option: &str, depth: u32) -> Option<&'f Ask> {
    let mut action = &menu.find_option(option)?.action;
    for _ in 0..depth {
        match action {
            Action::Ask(ask) => action = &ask.then,
            _ => return None,
        }
    }
    match action {
        Action::Ask(ask) => Some(ask),
        _ => None,
    }
}
