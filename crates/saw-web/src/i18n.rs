//! Translations: one catalogue file per language (`locales/*.toml`), embedded in the binary.
//! Templates and handlers ask a [`Tr`] for a key; a key missing in English falls back to
//! pt-BR, and a test keeps the catalogues' keys identical.

use std::collections::HashMap;
use std::sync::LazyLock;

use saw_core::account::Language;

const PT_BR: &str = include_str!("../locales/pt-BR.toml");
const EN: &str = include_str!("../locales/en.toml");

type Catalog = HashMap<String, String>;

static CATALOGS: LazyLock<(Catalog, Catalog)> =
    LazyLock::new(|| (flatten(PT_BR, "pt-BR"), flatten(EN, "en")));

fn flatten(source: &str, name: &str) -> Catalog {
    let table: toml::Table = source
        .parse()
        .unwrap_or_else(|e| panic!("the {name} catalogue is not valid TOML: {e}"));
    let mut out = HashMap::new();
    walk("", &table, &mut out);
    out
}

fn walk(prefix: &str, table: &toml::Table, out: &mut Catalog) {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => walk(&full, inner, out),
            toml::Value::String(text) => {
                out.insert(full, text.clone());
            }
            other => {
                out.insert(full, other.to_string());
            }
        }
    }
}

/// A translator for one language.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Language,
}

impl Tr {
    pub fn new(lang: Language) -> Self {
        Self { lang }
    }

    /// The text for `key`; the key itself when no catalogue has it (visible, so it gets fixed).
    pub fn get<'k>(&self, key: &'k str) -> &'k str {
        let (pt, en) = &*CATALOGS;
        let primary = match self.lang {
            Language::PtBr => pt,
            Language::En => en,
        };
        primary
            .get(key)
            .or_else(|| pt.get(key))
            .map_or(key, String::as_str)
    }

    /// The text for `key` with `{name}` placeholders filled in.
    pub fn fmt(&self, key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
        let mut text = self.get(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), &value.to_string());
        }
        text
    }

    /// The `lang` attribute of the page.
    pub fn html_lang(&self) -> &'static str {
        self.lang.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_have_the_same_keys() {
        let (pt, en) = &*CATALOGS;
        let mut missing_en: Vec<_> = pt.keys().filter(|k| !en.contains_key(*k)).collect();
        let mut missing_pt: Vec<_> = en.keys().filter(|k| !pt.contains_key(*k)).collect();
        missing_en.sort();
        missing_pt.sort();
        assert!(missing_en.is_empty(), "missing in en.toml: {missing_en:?}");
        assert!(
            missing_pt.is_empty(),
            "missing in pt-BR.toml: {missing_pt:?}"
        );
    }

    /// Every `get("…")`/`fmt("…"` key written in templates and code exists in the catalogue.
    #[test]
    fn every_key_used_exists() {
        let (pt, _) = &*CATALOGS;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut missing = Vec::new();
        for dir in [
            "templates",
            "templates/admin",
            "templates/account",
            "src",
            "src/pages",
            "src/api",
        ] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if !path.is_file() || path.ends_with("i18n.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for marker in ["t.get(\"", "t.fmt(\""] {
                    for (i, _) in text.match_indices(marker) {
                        let rest = &text[i + marker.len()..];
                        let key = &rest[..rest.find('"').unwrap_or(0)];
                        if !key.is_empty() && !pt.contains_key(key) {
                            missing.push(format!("{}: {key}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from the catalogues: {missing:#?}"
        );
    }

    #[test]
    fn english_and_fallback() {
        assert_eq!(Tr::new(Language::En).get("nav.inbox"), "Inbox");
        assert_eq!(Tr::new(Language::PtBr).get("nav.inbox"), "Atendimentos");
        assert_eq!(Tr::new(Language::En).get("no.such.key"), "no.such.key");
        assert!(
            Tr::new(Language::PtBr)
                .fmt("error.locked_out", &[("minutes", &7)])
                .contains('7')
        );
    }
}
