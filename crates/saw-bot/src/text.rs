//! Portuguese-aware text folding, so that a customer's "Horário", "horario" and "HORÁRIOS"
//! all meet the same word.
//!
//! The pipeline is [`fold`] (accents, case, punctuation, spaces) → [`words`] (chat
//! abbreviations expanded) → [`terms`] (each word with its Snowball Portuguese stem).
//! Stop words are left in [`words`]; [`content`] drops them for phrase matching.

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Chat abbreviations and contractions, folded, with what they stand for.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("vc", "voce"),
    ("vcs", "voces"),
    ("pq", "porque"),
    ("q", "que"),
    ("oq", "o que"),
    ("td", "tudo"),
    ("tds", "todos"),
    ("blz", "beleza"),
    ("obg", "obrigado"),
    ("obgd", "obrigado"),
    ("brigado", "obrigado"),
    ("hj", "hoje"),
    ("msg", "mensagem"),
    ("msgs", "mensagens"),
    ("tb", "tambem"),
    ("tbm", "tambem"),
    ("tmb", "tambem"),
    ("cmg", "comigo"),
    ("ctg", "contigo"),
    ("ngm", "ninguem"),
    ("qdo", "quando"),
    ("qnd", "quando"),
    ("qndo", "quando"),
    ("p", "para"),
    ("pra", "para"),
    ("pras", "para as"),
    ("pro", "para o"),
    ("pros", "para os"),
    ("vlw", "valeu"),
    ("flw", "falou"),
    ("qto", "quanto"),
    ("qtos", "quantos"),
    ("qts", "quantos"),
    ("qm", "quem"),
    ("dps", "depois"),
    ("agr", "agora"),
    ("mt", "muito"),
    ("mto", "muito"),
    ("ctz", "certeza"),
    ("pf", "por favor"),
    ("pfv", "por favor"),
    ("pfvr", "por favor"),
    ("vdd", "verdade"),
    ("msm", "mesmo"),
    ("hr", "hora"),
    ("hrs", "horas"),
    ("tel", "telefone"),
    ("cel", "celular"),
    ("zap", "whatsapp"),
    ("qq", "qualquer"),
    ("qlq", "qualquer"),
    ("aq", "aqui"),
    ("kd", "cade"),
];

/// Words that say nothing about what the customer wants: Portuguese function words, and
/// the fillers of any message to a help desk ("gostaria de uma informação sobre o
/// atendimento"). Dropping them lets "qual o horário de vcs?" meet "horário de
/// atendimento". Folded, as [`words`] gives them.
const STOP_WORDS: &[&str] = &[
    "a",
    "o",
    "as",
    "os",
    "um",
    "uma",
    "uns",
    "umas",
    "de",
    "da",
    "do",
    "das",
    "dos",
    "em",
    "no",
    "na",
    "nos",
    "nas",
    "numa",
    "ao",
    "aos",
    "pelo",
    "pela",
    "pelos",
    "pelas",
    "por",
    "para",
    "com",
    "sobre",
    "e",
    "ou",
    "que",
    "qual",
    "quais",
    "quem",
    "como",
    "onde",
    "quando",
    "se",
    "eu",
    "voce",
    "voces",
    "me",
    "te",
    "lhe",
    "meu",
    "minha",
    "meus",
    "minhas",
    "seu",
    "sua",
    "seus",
    "suas",
    "ele",
    "ela",
    "eles",
    "elas",
    "isso",
    "isto",
    "esse",
    "essa",
    "este",
    "esta",
    "estao",
    "estou",
    "sao",
    "ser",
    "era",
    "tem",
    "ter",
    "tenho",
    "ha",
    "ja",
    "ate",
    "vou",
    "vai",
    "ai",
    "la",
    "aqui",
    "ola",
    "oi",
    "bom",
    "boa",
    "dia",
    "tarde",
    "noite",
    "tudo",
    "bem",
    "favor",
    "gostaria",
    "queria",
    "quero",
    "saber",
    "informacao",
    "informacoes",
    "duvida",
    "atendimento",
];

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::Portuguese));

/// Accents stripped (NFD, combining marks dropped), lower case, anything but letters and
/// digits turned into spaces, spaces collapsed: "  Horário, DE atendimento!" →
/// "horario de atendimento".
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The folded words of `text`, chat abbreviations expanded ("vcs" → "voces", "p/" →
/// "para").
pub fn words(text: &str) -> Vec<String> {
    folded_words(&fold(text))
}

/// [`words`] of a text already folded.
fn folded_words(folded: &str) -> Vec<String> {
    folded
        .split(' ')
        .filter(|w| !w.is_empty())
        .flat_map(
            |w| match ABBREVIATIONS.iter().find(|(short, _)| *short == w) {
                Some((_, long)) => long.split(' ').map(str::to_owned).collect(),
                None => vec![w.to_owned()],
            },
        )
        .collect()
}

/// Whether a folded word carries no meaning for matching.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// The Snowball Portuguese stem of a folded word: "horarios" and "horario" meet.
pub fn stem(word: &str) -> String {
    STEMMER.stem(word).into_owned()
}

/// A word as matched: the folded word (for edit distance) and its stem (for plural and
/// gender variants).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub word: String,
    pub stem: String,
}

impl Term {
    fn new(word: String) -> Self {
        let stem = stem(&word);
        Term { word, stem }
    }

    /// Same stem, or the folded words within [`typo_tolerance`]. Words with digits
    /// (order numbers, option numbers) must be equal.
    pub fn matches(&self, other: &Term) -> bool {
        if self.stem == other.stem || self.word == other.word {
            return true;
        }
        if self.word.chars().any(|c| c.is_ascii_digit())
            || other.word.chars().any(|c| c.is_ascii_digit())
        {
            return false;
        }
        within_typo_tolerance(&self.word, &other.word)
    }
}

/// Every word of `text` as a [`Term`].
pub fn terms(text: &str) -> Vec<Term> {
    folded_terms(&fold(text))
}

/// [`terms`] of a text already folded.
pub fn folded_terms(folded: &str) -> Vec<Term> {
    folded_words(folded).into_iter().map(Term::new).collect()
}

/// The terms that carry meaning: stop words dropped, unless nothing else is left (so a
/// phrase such as "bom dia" still has something to match).
pub fn content(text: &str) -> Vec<Term> {
    meaningful(&terms(text))
}

/// [`content`] out of the text's [`terms`].
pub fn meaningful(all: &[Term]) -> Vec<Term> {
    let meaningful: Vec<Term> = all
        .iter()
        .filter(|t| !is_stop_word(&t.word))
        .cloned()
        .collect();
    if meaningful.is_empty() {
        all.to_vec()
    } else {
        meaningful
    }
}

/// How many edits a word may be off and still count: none up to 3 characters (so "sim"
/// never becomes "sair"), 1 for 4–5, 2 from 6. Measured on the shorter of the two words,
/// so a short answer cannot reach a long title by adding letters.
pub fn typo_tolerance(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=5 => 1,
        _ => 2,
    }
}

/// Optimal string alignment distance (a swap of two letters is one typo) within
/// [`typo_tolerance`] of the shorter string.
pub fn within_typo_tolerance(a: &str, b: &str) -> bool {
    let (a_len, b_len) = (a.chars().count(), b.chars().count());
    let tolerance = typo_tolerance(a_len.min(b_len));
    // An edit changes the length by one at most: words further apart in length than the
    // tolerance need no alignment (most pairs a message meets).
    tolerance > 0 && a_len.abs_diff(b_len) <= tolerance && strsim::osa_distance(a, b) <= tolerance
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        for (raw, want) in [
            ("  Horário, DE   atendimento!", "horario de atendimento"),
            ("SUPORTE", "suporte"),
            ("Ação/Promoção", "acao promocao"),
            ("2.", "2"),
            ("#", ""),
            ("olá 👋 tudo bem?", "ola tudo bem"),
            ("", ""),
        ] {
            assert_eq!(fold(raw), want, "{raw}");
        }
    }

    #[test]
    fn abbreviations_expand() {
        assert_eq!(
            words("qual o horario de vcs?"),
            ["qual", "o", "horario", "de", "voces"]
        );
        assert_eq!(
            words("p/ vc, pq q td blz"),
            ["para", "voce", "porque", "que", "tudo", "beleza"]
        );
        assert_eq!(
            words("Obg, msg hj tbm"),
            ["obrigado", "mensagem", "hoje", "tambem"]
        );
    }

    #[test]
    fn stems_meet_plural_and_gender_variants() {
        assert_eq!(stem("horario"), stem("horarios"));
        assert_eq!(stem("aberto"), stem("abertos"));
        assert_eq!(stem("aberto"), stem("aberta"));
        assert_eq!(stem("pedido"), stem("pedidos"));
    }

    #[test]
    fn content_drops_stop_words_but_never_everything() {
        let stems = |t: &str| content(t).into_iter().map(|t| t.word).collect::<Vec<_>>();
        assert_eq!(stems("qual o horario de vcs?"), ["horario"]);
        assert_eq!(stems("horário de atendimento"), ["horario"]);
        assert_eq!(stems("bom dia"), ["bom", "dia"]);
    }

    #[test]
    fn typo_tolerance_grows_with_length() {
        assert!(!within_typo_tolerance("sim", "sair"));
        assert!(!within_typo_tolerance("pix", "pax"));
        assert!(within_typo_tolerance("suprte", "suporte"));
        assert!(within_typo_tolerance("horaro", "horario"));
        assert!(within_typo_tolerance("trcoa", "troca"));
        assert!(!within_typo_tolerance("troca", "traço"));
        assert!(!within_typo_tolerance("suporte", "comercial"));
        // Letters added or dropped count as edits, up to the tolerance.
        assert!(within_typo_tolerance("horarioss", "horario"));
        assert!(within_typo_tolerance("suport", "suporte"));
        assert!(!within_typo_tolerance("horariosss", "horario"));
        assert!(!within_typo_tolerance("supo", "suporte"));
    }
}
