//! Phone numbers in canonical E.164, so one customer is one contact however the number was
//! written.
//!
//! Brazil added a ninth digit to mobiles (8 local digits starting with 6–9) years ago, but
//! WhatsApp still identifies some old accounts by the 8-digit form: `wa_id` `551187654321`
//! is the same phone as `+55 11 98765-4321`. The canonical form has the ninth digit;
//! landlines (8 digits starting with 2–5) never gain one. The provider's id itself is kept
//! untouched elsewhere; this is only the key that matches contacts.

/// `+` and digits, or `None` when `raw` has no plausible number (fewer than 8 or more than
/// 15 digits, or letters). Spaces, dots, dashes and parentheses are ignored; a number
/// without `+` is read as already carrying its country code, as WhatsApp sends them.
pub fn canonical_e164(raw: &str) -> Option<String> {
    let mut digits = String::with_capacity(16);
    for (i, ch) in raw.trim().chars().enumerate() {
        match ch {
            '0'..='9' => digits.push(ch),
            '+' if i == 0 => {}
            ' ' | '.' | '-' | '(' | ')' => {}
            _ => return None,
        }
    }
    if !(8..=15).contains(&digits.len()) {
        return None;
    }
    Some(format!("+{}", with_brazilian_ninth_digit(&digits)))
}

/// `55` + two-digit area code + 8 local digits starting with 6–9 → the 9-digit mobile.
fn with_brazilian_ninth_digit(digits: &str) -> String {
    let bytes = digits.as_bytes();
    let is_old_mobile = digits.len() == 12
        && digits.starts_with("55")
        && bytes[2] != b'0'
        && bytes[3] != b'0'
        && (b'6'..=b'9').contains(&bytes[4]);
    if is_old_mobile {
        format!("{}9{}", &digits[..4], &digits[4..])
    } else {
        digits.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_e164;

    #[test]
    fn brazilian_mobiles_gain_the_ninth_digit() {
        let want = Some("+5511987654321".to_owned());
        assert_eq!(canonical_e164("551187654321"), want);
        assert_eq!(canonical_e164("5511987654321"), want);
        assert_eq!(canonical_e164("+55 (11) 98765-4321"), want);
        assert_eq!(canonical_e164("+55 11 8765-4321"), want);
    }

    #[test]
    fn landlines_and_other_countries_are_left_alone() {
        assert_eq!(
            canonical_e164("551133334444").as_deref(),
            Some("+551133334444")
        );
        assert_eq!(
            canonical_e164("+1 415 555 2671").as_deref(),
            Some("+14155552671")
        );
        assert_eq!(
            canonical_e164("351912345678").as_deref(),
            Some("+351912345678")
        );
    }

    #[test]
    fn what_is_not_a_number_is_refused() {
        for bad in [
            "",
            "abc",
            "1234567",
            "+55 11 9876a-4321",
            "1234567890123456",
            "55+11",
        ] {
            assert_eq!(canonical_e164(bad), None, "{bad}");
        }
    }
}
