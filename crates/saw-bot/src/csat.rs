//! The satisfaction question (CSAT) sent when a ticket is resolved, and reading its answer:
//! a tapped option, a digit from 1 to 5 ("5", "nota 4"), stars ("⭐⭐⭐") or an option's
//! title ("ótimo").

use saw_core::account::Language;
use saw_core::outbound::{Menu, MenuOption, OutboundPayload};

use crate::matcher::Input;
use crate::text::fold;

/// Option ids are `csat:1` … `csat:5`.
const OPTION_PREFIX: &str = "csat:";

/// Titles from the best rating down (WhatsApp list rows take 24 characters).
fn titles(language: Language) -> [&'static str; 5] {
    match language {
        Language::PtBr => [
            "5 - Excelente",
            "4 - Bom",
            "3 - Regular",
            "2 - Ruim",
            "1 - Péssimo",
        ],
        Language::En => [
            "5 - Excellent",
            "4 - Good",
            "3 - Fair",
            "2 - Poor",
            "1 - Very poor",
        ],
    }
}

/// The question as a menu of five options, best first: a list on WhatsApp, an inline
/// keyboard on Telegram, buttons on the sandbox, numbered text elsewhere.
pub fn question(text: &str, language: Language) -> OutboundPayload {
    let options = titles(language)
        .iter()
        .zip((1..=5).rev())
        .map(|(title, rating)| MenuOption {
            id: format!("{OPTION_PREFIX}{rating}"),
            title: (*title).to_owned(),
            description: None,
        })
        .collect();
    OutboundPayload::Menu(Menu {
        body: text.to_owned(),
        header: None,
        footer: None,
        button_label: Some(
            match language {
                Language::PtBr => "Avaliar",
                Language::En => "Rate",
            }
            .to_owned(),
        ),
        options,
    })
}

/// The rating a customer's answer gives, if it is one.
pub fn rating(input: &Input) -> Option<u8> {
    match input {
        Input::Choice(id) => id
            .strip_prefix(OPTION_PREFIX)?
            .parse()
            .ok()
            .filter(|r| (1..=5).contains(r)),
        Input::Text(text) => rating_in_text(text),
        Input::Other => None,
    }
}

fn rating_in_text(text: &str) -> Option<u8> {
    let trimmed = text.trim();
    let stars = trimmed.chars().filter(|c| *c == '⭐' || *c == '★').count();
    if stars > 0
        && trimmed
            .chars()
            .all(|c| matches!(c, '⭐' | '★' | ' ' | '\u{fe0f}'))
    {
        return u8::try_from(stars).ok().filter(|r| (1..=5).contains(r));
    }
    let folded = fold(trimmed);
    let folded = folded.trim_matches(|c: char| !c.is_alphanumeric());
    let digit = folded
        .strip_prefix("nota")
        .unwrap_or(folded)
        .trim()
        .trim_end_matches(|c: char| !c.is_alphanumeric());
    if let Ok(rating @ 1..=5) = digit.parse::<u8>() {
        return Some(rating);
    }
    [Language::PtBr, Language::En]
        .iter()
        .flat_map(|l| titles(*l).into_iter().zip((1..=5).rev()))
        .find(|(title, _)| {
            // "5 - Excelente" folds to "5 excelente": the word alone counts too.
            let title = fold(title);
            let word = title.split_once(' ').map_or(title.as_str(), |(_, w)| w);
            folded == title || folded == word
        })
        .map(|(_, rating)| rating)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Input {
        Input::Text(s.to_owned())
    }

    #[test]
    fn ratings_are_read_from_taps_digits_stars_and_titles() {
        assert_eq!(rating(&Input::Choice("csat:4".into())), Some(4));
        assert_eq!(rating(&Input::Choice("csat:9".into())), None);
        assert_eq!(rating(&Input::Choice("comercial".into())), None);
        for (said, expected) in [
            ("5", Some(5)),
            (" 3. ", Some(3)),
            ("nota 2", Some(2)),
            ("⭐⭐⭐⭐", Some(4)),
            ("⭐️⭐️", Some(2)),
            ("EXCELENTE", Some(5)),
            ("péssimo", Some(1)),
            ("1 - Péssimo", Some(1)),
            ("good", Some(4)),
            ("0", None),
            ("6", None),
            ("10", None),
            ("quero falar com alguém", None),
            ("⭐⭐⭐⭐⭐⭐", None),
        ] {
            assert_eq!(rating(&text(said)), expected, "{said}");
        }
        assert_eq!(rating(&Input::Other), None);
    }

    #[test]
    fn the_question_lists_five_options_best_first() {
        let OutboundPayload::Menu(menu) = question("Como foi?", Language::PtBr) else {
            panic!("a menu");
        };
        menu.validate().unwrap();
        let ids: Vec<&str> = menu.options.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["csat:5", "csat:4", "csat:3", "csat:2", "csat:1"]);
        assert!(menu.options.iter().all(|o| o.title.chars().count() <= 24));
    }
}
