//! Answers to the bot's questions, checked and put in one canonical form before they are
//! stored on the contact, so agents and searches see "123.456.789-09" however it was typed.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use saw_core::phone::canonical_e164;
use saw_core::user::Email;
use saw_core::validation::MESSAGE_TEXT_MAX;

/// What a question expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// A person's name: letters, at least two of them, no digits.
    Name,
    Email,
    /// A CPF (11 digits) or CNPJ (14 characters, numeric or the alphanumeric form), with
    /// check digits.
    CpfCnpj,
    /// Stored in E.164; Brazilian numbers may be typed without `+55`.
    Phone,
    /// `dd/mm/aaaa`; stored as typed, zero-padded.
    Date,
    /// Anything not blank.
    #[default]
    Text,
}

impl FieldKind {
    pub const ALL: [FieldKind; 6] = [
        FieldKind::Name,
        FieldKind::Email,
        FieldKind::CpfCnpj,
        FieldKind::Phone,
        FieldKind::Date,
        FieldKind::Text,
    ];

    /// The kind by its YAML name (`cpf_cnpj`, `email`, …).
    pub fn from_name(name: &str) -> Option<FieldKind> {
        FieldKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Its YAML name.
    pub fn name(self) -> &'static str {
        match self {
            FieldKind::Name => "name",
            FieldKind::Email => "email",
            FieldKind::CpfCnpj => "cpf_cnpj",
            FieldKind::Phone => "phone",
            FieldKind::Date => "date",
            FieldKind::Text => "text",
        }
    }

    /// The value to store, or `None` when the answer is not one.
    pub fn parse(self, raw: &str) -> Option<String> {
        let raw = raw.trim();
        match self {
            FieldKind::Name => name(raw),
            FieldKind::Email => Email::parse(raw).ok().map(Email::into_string),
            FieldKind::CpfCnpj => cpf_cnpj(raw),
            FieldKind::Phone => phone(raw),
            FieldKind::Date => date(raw),
            FieldKind::Text => {
                (!raw.is_empty() && raw.chars().count() <= MESSAGE_TEXT_MAX).then(|| raw.to_owned())
            }
        }
    }
}

const NAME_MAX: usize = 120;

fn name(raw: &str) -> Option<String> {
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let letters = collapsed.chars().filter(|c| c.is_alphabetic()).count();
    let allowed = |c: char| c.is_alphabetic() || matches!(c, ' ' | '\'' | '’' | '-' | '.');
    (letters >= 2 && collapsed.chars().count() <= NAME_MAX && collapsed.chars().all(allowed))
        .then_some(collapsed)
}

/// Without `+`, 10 or 11 digits are a Brazilian number without the country code (what a
/// customer types: "(11) 98765-4321"); a leading trunk `0` ("011 …") is dropped.
fn phone(raw: &str) -> Option<String> {
    if raw.starts_with('+') {
        return canonical_e164(raw);
    }
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let national = digits.strip_prefix('0').unwrap_or(&digits);
    if matches!(national.len(), 10 | 11) && !national.starts_with("55") {
        canonical_e164(&format!("55{national}"))
    } else {
        canonical_e164(raw)
    }
}

/// `d/m/aaaa` with `/`, `-` or `.`, a real calendar date from 1900 to 2100.
fn date(raw: &str) -> Option<String> {
    let parts: Vec<&str> = raw.split(['/', '-', '.']).map(str::trim).collect();
    let [d, m, y] = parts.as_slice() else {
        return None;
    };
    let number = |s: &str, max_len: usize| {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (d, m) = (number(d, 2)?, number(m, 2)?);
    let y = if y.len() == 4 {
        number(y, 4)?
    } else {
        return None;
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?;
    (1900..=2100)
        .contains(&date.year())
        .then(|| date.format("%d/%m/%Y").to_string())
}

/// A valid CPF or CNPJ, formatted (`123.456.789-09`, `12.345.678/0001-95`).
pub fn cpf_cnpj(raw: &str) -> Option<String> {
    let chars: Vec<char> = raw
        .chars()
        .filter(|c| !matches!(c, '.' | '-' | '/' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    match chars.len() {
        11 if valid_cpf(&chars) => {
            let s: String = chars.iter().collect();
            Some(format!(
                "{}.{}.{}-{}",
                &s[0..3],
                &s[3..6],
                &s[6..9],
                &s[9..11]
            ))
        }
        14 if valid_cnpj(&chars) => {
            let s: String = chars.iter().collect();
            Some(format!(
                "{}.{}.{}/{}-{}",
                &s[0..2],
                &s[2..5],
                &s[5..8],
                &s[8..12],
                &s[12..14]
            ))
        }
        _ => None,
    }
}

/// Mod-11 check digit over `values` with weights counting down from `first_weight`
/// (wrapping from 2 back to 9 when `wrap`, as CNPJ does).
fn check_digit(values: &[u32], first_weight: u32, wrap: bool) -> u32 {
    let mut weight = first_weight;
    let mut sum = 0;
    for v in values {
        sum += v * weight;
        weight = if wrap && weight == 2 { 9 } else { weight - 1 };
    }
    match sum % 11 {
        0 | 1 => 0,
        r => 11 - r,
    }
}

fn all_same(chars: &[char]) -> bool {
    chars.windows(2).all(|w| w[0] == w[1])
}

fn valid_cpf(chars: &[char]) -> bool {
    let Some(d) = chars
        .iter()
        .map(|c| c.to_digit(10))
        .collect::<Option<Vec<u32>>>()
    else {
        return false;
    };
    !all_same(chars)
        && check_digit(&d[..9], 10, false) == d[9]
        && check_digit(&d[..10], 11, false) == d[10]
}

/// Numeric or alphanumeric CNPJ (Receita Federal, from July 2026): the first 12
/// characters are digits or capital letters, each worth its ASCII code minus 48; the last
/// two are check digits.
fn valid_cnpj(chars: &[char]) -> bool {
    let body: Option<Vec<u32>> = chars[..12]
        .iter()
        .map(|c| (c.is_ascii_digit() || c.is_ascii_uppercase()).then(|| *c as u32 - 48))
        .collect();
    let check: Option<Vec<u32>> = chars[12..].iter().map(|c| c.to_digit(10)).collect();
    let (Some(mut values), Some(check)) = (body, check) else {
        return false;
    };
    if all_same(chars) {
        return false;
    }
    let first = check_digit(&values, 5, true);
    values.push(first);
    first == check[0] && check_digit(&values, 6, true) == check[1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_named_as_in_yaml() {
        for kind in FieldKind::ALL {
            let yaml = serde_json::to_string(&kind).unwrap();
            assert_eq!(yaml, format!("\"{}\"", kind.name()));
            assert_eq!(FieldKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(FieldKind::from_name("cpf"), None);
    }

    #[test]
    fn cpf_and_cnpj_check_digits() {
        for (raw, want) in [
            ("529.982.247-25", Some("529.982.247-25")),
            ("52998224725", Some("529.982.247-25")),
            ("111.444.777-35", Some("111.444.777-35")),
            ("529.982.247-24", None),
            ("111.111.111-11", None),
            ("1234567890", None),
            ("11.222.333/0001-81", Some("11.222.333/0001-81")),
            ("11222333000181", Some("11.222.333/0001-81")),
            ("11.222.333/0001-80", None),
            ("00.000.000/0000-00", None),
            ("12.ABC.345/01DE-35", Some("12.ABC.345/01DE-35")),
            ("12abc34501de35", Some("12.ABC.345/01DE-35")),
            ("12.ABC.345/01DE-36", None),
            ("abc", None),
            ("", None),
        ] {
            assert_eq!(cpf_cnpj(raw).as_deref(), want, "{raw}");
        }
    }

    #[test]
    fn answers_by_kind() {
        use FieldKind::*;
        for (kind, raw, want) in [
            (Name, "  Maria   da Silva ", Some("Maria da Silva")),
            (Name, "João D'Ávila", Some("João D'Ávila")),
            (Name, "1234", None),
            (Name, "x", None),
            (
                Email,
                " Maria@Exemplo.com.BR ",
                Some("maria@exemplo.com.br"),
            ),
            (Email, "maria@", None),
            (Phone, "(11) 98765-4321", Some("+5511987654321")),
            (Phone, "11 8765-4321", Some("+5511987654321")),
            (Phone, "011 3333-4444", Some("+551133334444")),
            (Phone, "+1 415 555 2671", Some("+14155552671")),
            (Phone, "5511987654321", Some("+5511987654321")),
            (Phone, "123", None),
            (Date, "25/12/1990", Some("25/12/1990")),
            (Date, "1/2/2024", Some("01/02/2024")),
            (Date, "29-02-2024", Some("29/02/2024")),
            (Date, "29/02/2023", None),
            (Date, "32/01/2024", None),
            (Date, "25/12/90", None),
            (Date, "amanhã", None),
            (Text, " 12345 ", Some("12345")),
            (Text, "   ", None),
        ] {
            assert_eq!(kind.parse(raw).as_deref(), want, "{kind:?} {raw}");
        }
    }
}
