//! What a customer's message means at a menu. One fixed order, first hit wins:
//!
//! 1. **Opt-out** — the message is only one of [`OPT_OUT_WORDS`] ("SAIR", "Parar!",
//!    "stop"). "cancelar" is not one: it is how people cancel an order or the question
//!    at hand. Opt-out words win even over an option with that title.
//! 2. **Navigation** — only one of [`BACK_WORDS`] ("0", "voltar") goes back a menu; only
//!    one of [`RESTART_WORDS`] ("menu", "#", "início") starts over at the first menu.
//! 3. **Exact option** — a tap (the option id), a number as the numbered menu shows it
//!    ("2", "2.", "2)"), the id typed as is, the title once accents, case and punctuation
//!    are folded ("SUPORTE", "suporte"), or words that are all synonyms of one option
//!    (how "não, obrigado" answers "Posso ajudar em algo mais?").
//! 4. **Automatic replies** — the first rule with a keyword whose meaningful words (stop
//!    words dropped, stemmed, abbreviations expanded) all appear in the message, each
//!    allowing a small typo: "qual o horario de vcs?" matches "horário de atendimento".
//! 5. **Fuzzy option** — the whole message within a few typos of one title ("suprte"), the
//!    title's words all in the message ("quero falar com o suporte"), or the message's
//!    words all in one title ("pedido" → "Status do pedido"). Typos allowed grow with word
//!    length: none up to 3 letters (so "sim" never becomes "sair"), 1 for 4–5, 2 from 6.
//!    When two options fit equally well, nothing is chosen.
//!
//! Anything else is a miss.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::flow::AutoReply;
use crate::text::{self, Term};

/// What the customer sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Input {
    /// Typed text.
    Text(String),
    /// A tapped button or list row: the option id the menu was sent with.
    Choice(String),
    /// Something the bot cannot read: a photo, an audio, a sticker, a location.
    Other,
}

/// Alone in a message, these stop proactive messages to the contact.
pub const OPT_OUT_WORDS: &[&str] = &["sair", "parar", "pare", "stop", "descadastrar"];
/// Alone in a message, these go back to the previous menu.
pub const BACK_WORDS: &[&str] = &["0", "voltar", "volta", "anterior", "back"];
/// Alone in a message, these start over at the first menu (`#` too).
pub const RESTART_WORDS: &[&str] = &[
    "menu",
    "inicio",
    "menu inicial",
    "menu principal",
    "voltar ao menu",
    "voltar ao inicio",
    "recomecar",
    "comecar de novo",
    "start",
];

/// Synonyms of "yes" for the "anything else?" question.
pub const YES_WORDS: &[&str] = &[
    "sim",
    "s",
    "claro",
    "quero",
    "pode",
    "pode ser",
    "isso",
    "por favor",
    "bora",
    "uhum",
    "aham",
    "yes",
    "y",
    "sure",
];
/// Synonyms of "no": thanks and acknowledgements end the conversation too.
pub const NO_WORDS: &[&str] = &[
    "nao",
    "n",
    "obrigado",
    "obrigada",
    "valeu",
    "so isso",
    "nada",
    "tchau",
    "ok",
    "certo",
    "beleza",
    "entendi",
    "perfeito",
    "otimo",
    "no",
    "nope",
    "thanks",
    "thank you",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    OptOut,
    Back,
    Restart,
}

/// Steps 1 and 2: a typed message that is only an opt-out or a navigation word.
pub fn command(input: &Input) -> Option<Command> {
    let Input::Text(raw) = input else {
        return None;
    };
    if raw.trim() == "#" {
        return Some(Command::Restart);
    }
    let said = said(raw);
    let is = |list: &[&str]| list.contains(&said.folded.as_str());
    if is(OPT_OUT_WORDS) {
        Some(Command::OptOut)
    } else if is(BACK_WORDS) {
        Some(Command::Back)
    } else if is(RESTART_WORDS) {
        Some(Command::Restart)
    } else {
        None
    }
}

/// One option as the matcher sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice<'a> {
    pub id: &'a str,
    pub title: &'a str,
    /// Words that also pick it (step 3): all of the message's meaningful words must be
    /// among them.
    pub synonyms: &'a [&'a str],
}

/// How an option was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    Id,
    Number,
    Title,
    Synonym,
    Fuzzy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interpretation {
    Command(Command),
    /// The option at this index of [`Matcher::choices`].
    Option {
        index: usize,
        by: MatchedBy,
    },
    /// The automatic reply at this index of [`Matcher::rules`].
    AutoReply(usize),
    Miss,
}

/// The options on offer and the automatic replies, ready to interpret messages.
#[derive(Debug, Clone)]
pub struct Matcher<'a> {
    pub choices: Vec<Choice<'a>>,
    pub rules: &'a [AutoReply],
    /// Whether "2" picks the second option. Off when the numbers on screen belong to
    /// another menu.
    pub numbers: bool,
}

impl<'a> Matcher<'a> {
    pub fn new(choices: Vec<Choice<'a>>, rules: &'a [AutoReply]) -> Self {
        Matcher {
            choices,
            rules,
            numbers: true,
        }
    }

    /// The meaning of `input`, in the order of the module documentation.
    pub fn interpret(&self, input: &Input) -> Interpretation {
        if let Some(command) = command(input) {
            return Interpretation::Command(command);
        }
        let option = |index, by| Interpretation::Option { index, by };
        let message = match input {
            Input::Choice(id) => {
                return self
                    .choices
                    .iter()
                    .position(|c| c.id == id)
                    .map_or(Interpretation::Miss, |i| option(i, MatchedBy::Id));
            }
            Input::Other => return Interpretation::Miss,
            Input::Text(t) => t.as_str(),
        };
        if let Some(i) = self.exact(message) {
            return i;
        }
        if let Some(rule) = auto_reply(self.rules, message) {
            return Interpretation::AutoReply(rule);
        }
        self.fuzzy(message)
            .map_or(Interpretation::Miss, |i| option(i, MatchedBy::Fuzzy))
    }

    fn exact(&self, message: &str) -> Option<Interpretation> {
        let option = |index, by| Some(Interpretation::Option { index, by });
        let trimmed = message.trim();
        let number = trimmed.trim_end_matches(['.', ')', '-', ' ']);
        if self.numbers
            && let Ok(n) = number.parse::<usize>()
            && let Some(i) = n.checked_sub(1).filter(|i| *i < self.choices.len())
        {
            return option(i, MatchedBy::Number);
        }
        if let Some(i) = self.choices.iter().position(|c| c.id == trimmed) {
            return option(i, MatchedBy::Id);
        }
        let said = said(message);
        if said.folded.is_empty() {
            return None;
        }
        if let Some(i) = self
            .choices
            .iter()
            .position(|c| phrase(c.title).folded == said.folded)
        {
            return option(i, MatchedBy::Title);
        }
        let words: Vec<&str> = said.content().iter().map(|t| t.word.as_str()).collect();
        let fits: Vec<usize> = (0..self.choices.len())
            .filter(|i| {
                let phrases: Vec<Rc<Phrase>> = self.choices[*i]
                    .synonyms
                    .iter()
                    .map(|s| phrase(s))
                    .collect();
                let synonyms: Vec<&str> = phrases
                    .iter()
                    .flat_map(|p| p.content())
                    .map(|t| t.word.as_str())
                    .collect();
                !synonyms.is_empty() && words.iter().all(|w| synonyms.contains(w))
            })
            .collect();
        match fits.as_slice() {
            [i] => option(*i, MatchedBy::Synonym),
            _ => None,
        }
    }

    /// Step 5; `None` when nothing or more than one option fits best.
    fn fuzzy(&self, message: &str) -> Option<usize> {
        let said = said(message);
        let folded = &said.folded;
        if folded.is_empty() {
            return None;
        }
        let (all, meaningful) = (said.terms(), said.content());
        // Rank 0: the whole message is the title with typos; rank 1: the words fit.
        let ranked: Vec<(u8, usize)> = self
            .choices
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let title = phrase(c.title);
                if text::within_typo_tolerance(folded, &title.folded) {
                    return Some((0, i));
                }
                let fits =
                    contains_all(all, title.content()) || contains_all(title.terms(), meaningful);
                fits.then_some((1, i))
            })
            .collect();
        let best = ranked.iter().map(|(rank, _)| *rank).min()?;
        let mut at_best = ranked.iter().filter(|(rank, _)| *rank == best);
        match (at_best.next(), at_best.next()) {
            (Some((_, i)), None) => Some(*i),
            _ => None,
        }
    }
}

/// Whether every term of `phrase` (non-empty) is somewhere in `message`, typos allowed.
fn contains_all(message: &[Term], phrase: &[Term]) -> bool {
    !phrase.is_empty() && phrase.iter().all(|p| message.iter().any(|m| p.matches(m)))
}

/// Step 4 alone: the first rule with a keyword whose meaningful words are all in
/// `message`.
pub fn auto_reply(rules: &[AutoReply], message: &str) -> Option<usize> {
    let said = said(message);
    if said.terms().is_empty() {
        return None;
    }
    rules.iter().position(|rule| {
        rule.keywords
            .iter()
            .any(|keyword| contains_all(said.terms(), phrase(keyword).content()))
    })
}

/// A text of the flow (an option's title, a synonym, a keyword) or a customer's message, in
/// the forms they are compared in.
///
/// Its words are stemmed only when a step compares words: a tapped option, a number or a
/// title matches on the folded text alone.
struct Phrase {
    folded: String,
    terms: OnceCell<Vec<Term>>,
    content: OnceCell<Vec<Term>>,
}

impl Phrase {
    fn of(text: &str) -> Self {
        Phrase {
            folded: text::fold(text),
            terms: OnceCell::new(),
            content: OnceCell::new(),
        }
    }

    fn terms(&self) -> &[Term] {
        self.terms.get_or_init(|| text::folded_terms(&self.folded))
    }

    fn content(&self) -> &[Term] {
        self.content.get_or_init(|| text::meaningful(self.terms()))
    }
}

/// The [`Phrase`] of `text`, worked out once per thread: every message is compared with the
/// same few titles and keywords, and folding and stemming them again each time was most of
/// the matcher's work. Keyed by the text itself, so an edited flow never meets stale forms.
fn phrase(text: &str) -> Rc<Phrase> {
    /// Enough for the texts of several large flows; past it the memo starts over.
    const KEPT: usize = 2048;
    thread_local! {
        static PHRASES: RefCell<HashMap<Box<str>, Rc<Phrase>>> = RefCell::new(HashMap::new());
    }
    PHRASES.with_borrow_mut(|phrases| {
        if let Some(known) = phrases.get(text) {
            return known.clone();
        }
        if phrases.len() >= KEPT {
            phrases.clear();
        }
        let made = Rc::new(Phrase::of(text));
        phrases.insert(text.into(), made.clone());
        made
    })
}

/// The [`Phrase`] of a customer's message. One message goes through several steps (a
/// command? an option? an automatic reply?) and sometimes through more than one menu's
/// matcher; the last message is kept per thread so it is folded and stemmed once (until the
/// next message read on that thread replaces it).
fn said(message: &str) -> Rc<Phrase> {
    thread_local! {
        static LAST: RefCell<Option<(Box<str>, Rc<Phrase>)>> = const { RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some((text, made)) if **text == *message => made.clone(),
        _ => {
            let made = Rc::new(Phrase::of(message));
            *last = Some((message.into(), made.clone()));
            made
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Vec<AutoReply> {
        vec![
            AutoReply {
                keywords: vec!["horário de atendimento".into()],
                answer: "Das 8h às 18h.".into(),
                ask_more: false,
            },
            AutoReply {
                keywords: vec!["pix".into(), "segunda via".into()],
                answer: "Chave pix: …".into(),
                ask_more: false,
            },
        ]
    }

    const MENU: &[(&str, &str)] = &[
        ("vendas", "Comercial"),
        ("sup", "Suporte"),
        ("fin", "Financeiro"),
        ("humano", "Falar com um atendente"),
        ("sair_menu", "Sair"),
    ];

    fn matcher(rules: &[AutoReply]) -> Matcher<'_> {
        let choices = MENU
            .iter()
            .map(|(id, title)| Choice {
                id,
                title,
                synonyms: &[],
            })
            .collect();
        Matcher::new(choices, rules)
    }

    #[test]
    fn the_documented_order() {
        use Interpretation::*;
        use MatchedBy::*;
        let rules = rules();
        let m = matcher(&rules);
        let opt = |index, by| Option { index, by };
        let text = |s: &str| Input::Text(s.to_owned());
        for (input, want) in [
            (text("suporte"), opt(1, Title)),
            (text("Suporte"), opt(1, Title)),
            (text("SUPORTE"), opt(1, Title)),
            (text("  Suporte! "), opt(1, Title)),
            (text("suprte"), opt(1, Fuzzy)),
            (text("suportee"), opt(1, Fuzzy)),
            (text("2"), opt(1, Number)),
            (text("2."), opt(1, Number)),
            (text("2)"), opt(1, Number)),
            (text("2 -"), opt(1, Number)),
            (text("9"), Miss),
            (Input::Choice("sup".into()), opt(1, Id)),
            (text("sup"), opt(1, Id)),
            (Input::Choice("nada".into()), Miss),
            (text("financeiro"), opt(2, Title)),
            (text("qual o horario de vcs?"), AutoReply(0)),
            (text("Qual o horário de atendimento?"), AutoReply(0)),
            (text("qual o horaro de vcs"), AutoReply(0)),
            (text("me manda o PIX"), AutoReply(1)),
            (text("preciso da segunda via do boleto"), AutoReply(1)),
            (text("sair"), Command(super::Command::OptOut)),
            (text("SAIR!"), Command(super::Command::OptOut)),
            (text("STOP"), Command(super::Command::OptOut)),
            (text("sim"), Miss),
            (text("quero sair do grupo"), opt(4, Fuzzy)),
            (text("0"), Command(super::Command::Back)),
            (text("voltar"), Command(super::Command::Back)),
            (text("Voltar."), Command(super::Command::Back)),
            (text("menu"), Command(super::Command::Restart)),
            (text("#"), Command(super::Command::Restart)),
            (text("Início"), Command(super::Command::Restart)),
            (text("quero falar com o suporte"), opt(1, Fuzzy)),
            (text("atendente"), opt(3, Fuzzy)),
            (text("falar com atendente"), opt(3, Fuzzy)),
            (text("oi"), Miss),
            (text(""), Miss),
            (text("?!"), Miss),
            (Input::Other, Miss),
        ] {
            assert_eq!(m.interpret(&input), want, "{input:?}");
        }
    }

    #[test]
    fn short_words_are_never_fuzzy() {
        let choices = vec![Choice {
            id: "sair",
            title: "Sair",
            synonyms: &[],
        }];
        let m = Matcher::new(choices, &[]);
        assert_eq!(
            m.interpret(&Input::Text("sim".into())),
            Interpretation::Miss
        );
        assert_eq!(
            m.interpret(&Input::Text("sai".into())),
            Interpretation::Miss
        );
    }

    #[test]
    fn ties_choose_nothing() {
        let choices = vec![
            Choice {
                id: "a",
                title: "Pedido novo",
                synonyms: &[],
            },
            Choice {
                id: "b",
                title: "Pedido antigo",
                synonyms: &[],
            },
        ];
        let m = Matcher::new(choices, &[]);
        assert_eq!(
            m.interpret(&Input::Text("pedido".into())),
            Interpretation::Miss
        );
        assert!(matches!(
            m.interpret(&Input::Text("pedido antigo".into())),
            Interpretation::Option { index: 1, .. }
        ));
    }

    #[test]
    fn yes_and_no_synonyms() {
        let choices = vec![
            Choice {
                id: "sim",
                title: "Sim",
                synonyms: YES_WORDS,
            },
            Choice {
                id: "nao",
                title: "Não, obrigado",
                synonyms: NO_WORDS,
            },
        ];
        let m = Matcher::new(choices, &[]);
        let pick = |s: &str| match m.interpret(&Input::Text(s.into())) {
            Interpretation::Option { index, .. } => Some(index),
            _ => None,
        };
        for yes in [
            "sim",
            "Sim!",
            "s",
            "sim, por favor",
            "claro",
            "quero sim",
            "1",
        ] {
            assert_eq!(pick(yes), Some(0), "{yes}");
        }
        for no in [
            "não",
            "nao",
            "n",
            "Não, obrigado!",
            "obrigado",
            "obg",
            "vlw",
            "é só isso",
            "ok, obrigada",
            "2",
        ] {
            assert_eq!(pick(no), Some(1), "{no}");
        }
        for neither in ["talvez", "nao sei", "quem sabe"] {
            assert_eq!(pick(neither), None, "{neither}");
        }
    }
}
