//! Placeholders in the flow's texts, one small rule for admins to learn:
//!
//! - `{{nome}}` is replaced by the value, or by nothing when it is unknown;
//! - `{{#nome}}…{{/nome}}` keeps what is inside only when `nome` is known, so
//!   `"Olá{{#nome}}, {{nome}}{{/nome}}!"` reads "Olá, Maria!" or "Olá!".
//!
//! Names are the same in every language: `nome`, `empresa`, `protocolo`, `fila`, `reabre`,
//! `posicao`, and each collected contact field by its name (`{{pedido}}`).

use std::collections::BTreeMap;

/// The values placeholders are replaced with; an empty value counts as unknown.
pub type Vars = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Text(&'a str),
    Var(&'a str),
    Open(&'a str),
    Close(&'a str),
}

/// `{{` without a closing `}}` is plain text, so a stray brace never breaks a message.
fn tokens(template: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        if start > 0 {
            out.push(Token::Text(&rest[..start]));
        }
        let tag = rest[start + 2..start + 2 + len].trim();
        out.push(if let Some(name) = tag.strip_prefix('#') {
            Token::Open(name.trim())
        } else if let Some(name) = tag.strip_prefix('/') {
            Token::Close(name.trim())
        } else {
            Token::Var(tag)
        });
        rest = &rest[start + 2 + len + 2..];
    }
    if !rest.is_empty() {
        out.push(Token::Text(rest));
    }
    out
}

/// A mistake in a text's placeholders, for [`crate::flow::Flow::validate`].
pub fn check(template: &str) -> Result<(), String> {
    let mut open: Vec<&str> = Vec::new();
    for token in tokens(template) {
        let name = match token {
            Token::Text(_) => continue,
            Token::Var(n) | Token::Open(n) | Token::Close(n) => n,
        };
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(format!(
                "placeholder {{{{{name}}}}} needs a name of letters, digits and _"
            ));
        }
        match token {
            Token::Open(n) => open.push(n),
            Token::Close(n) => match open.pop() {
                Some(o) if o == n => {}
                Some(o) => return Err(format!("{{{{/{n}}}}} closes {{{{#{o}}}}}")),
                None => return Err(format!("{{{{/{n}}}}} has no {{{{#{n}}}}}")),
            },
            _ => {}
        }
    }
    match open.pop() {
        Some(n) => Err(format!("{{{{#{n}}}}} is never closed by {{{{/{n}}}}}")),
        None => Ok(()),
    }
}

/// The text with its placeholders filled in; a mismatched section tag is ignored.
pub fn render(template: &str, vars: &Vars) -> String {
    let known = |name: &str| vars.get(name).filter(|v| !v.trim().is_empty());
    let mut out = String::with_capacity(template.len());
    // One entry per open section: its name and whether its content is shown.
    let mut sections: Vec<(&str, bool)> = Vec::new();
    for token in tokens(template) {
        let shown = sections.iter().all(|(_, shown)| *shown);
        match token {
            Token::Text(t) if shown => out.push_str(t),
            Token::Var(n) if shown => out.push_str(known(n).map_or("", String::as_str)),
            Token::Open(n) => sections.push((n, known(n).is_some())),
            Token::Close(n) if sections.last().is_some_and(|(o, _)| *o == n) => {
                sections.pop();
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn sections_drop_what_is_unknown() {
        let t = "Olá{{#nome}}, {{nome}}{{/nome}}! Bem-vindo à {{empresa}}.";
        assert_eq!(
            render(
                t,
                &vars(&[("nome", "Maria"), ("empresa", "Padaria Estrela")])
            ),
            "Olá, Maria! Bem-vindo à Padaria Estrela."
        );
        assert_eq!(
            render(t, &vars(&[("empresa", "Padaria Estrela")])),
            "Olá! Bem-vindo à Padaria Estrela."
        );
        assert_eq!(render(t, &vars(&[("nome", "  ")])), "Olá! Bem-vindo à .");
    }

    #[test]
    fn stray_braces_are_text() {
        assert_eq!(render("a {{ b", &Vars::new()), "a {{ b");
        assert_eq!(render("{{x}}}", &vars(&[("x", "1")])), "1}");
        assert_eq!(render("{{/x}}ok{{#y}}", &Vars::new()), "ok");
    }

    #[test]
    fn mistakes_are_reported() {
        assert_eq!(check("Olá{{#nome}}, {{nome}}{{/nome}}!"), Ok(()));
        assert!(check("{{#nome}}").unwrap_err().contains("never closed"));
        assert!(check("{{/nome}}").is_err());
        assert!(check("{{#a}}{{#b}}{{/a}}{{/b}}").is_err());
        assert!(check("{{}}").is_err());
        assert!(check("{{nome completo}}").is_err());
    }
}
