//! A thin cursor over `serde_json::Value` that remembers where it is.
//!
//! Why not `#[derive(Deserialize)]` structs for the providers' payloads? Three reasons:
//! unknown message types must be kept as raw JSON instead of failing the whole body, a
//! message whose body object is missing or odd must become a placeholder rather than an
//! error, and when something required *is* missing the error must say exactly where
//! (`entry[0].changes[1].value.messages[2].id`), which serde_json's line/column does not.
//! Walking a `Value` with this cursor gives all three with very little code.
//!
//! Rules: `req_*` fails with a [`ParseError`] naming the path; `opt_*` returns `None` when
//! the field is missing, `null` or of another type (providers add and reshape optional
//! fields over time, and none of them is worth rejecting a webhook for).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::error::ParseError;

/// A JSON value plus the path that led to it, for error messages. Building the path costs
/// one small allocation per step, next to the many the `Value` itself already made.
#[derive(Clone)]
pub(crate) struct Node<'v> {
    value: &'v Value,
    path: String,
}

impl<'v> Node<'v> {
    pub(crate) fn root(value: &'v Value) -> Self {
        Node {
            value,
            path: String::new(),
        }
    }

    pub(crate) fn value(&self) -> &'v Value {
        self.value
    }

    fn path_of(&self, field: &str) -> String {
        if self.path.is_empty() {
            field.to_string()
        } else {
            format!("{}.{field}", self.path)
        }
    }

    pub(crate) fn missing(&self, field: &str) -> ParseError {
        ParseError::Missing {
            path: self.path_of(field),
        }
    }

    pub(crate) fn invalid(&self, field: &str, reason: impl Into<String>) -> ParseError {
        ParseError::Invalid {
            path: self.path_of(field),
            reason: reason.into(),
        }
    }

    /// The child `field`, if present and not null.
    pub(crate) fn field(&self, field: &str) -> Option<Node<'v>> {
        let value = self.value.get(field).filter(|v| !v.is_null())?;
        Some(Node {
            value,
            path: self.path_of(field),
        })
    }

    /// The child `field`; missing (or null) is an error.
    pub(crate) fn req(&self, field: &str) -> Result<Node<'v>, ParseError> {
        self.field(field).ok_or_else(|| self.missing(field))
    }

    /// The elements of the array `field`; a missing field is an empty array, anything but
    /// an array is an error.
    pub(crate) fn array(&self, field: &str) -> Result<Vec<Node<'v>>, ParseError> {
        let items = match self.value.get(field) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(self.invalid(field, "expected an array")),
        };
        let parent = self.path_of(field);
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, value)| Node {
                value,
                path: format!("{parent}[{i}]"),
            })
            .collect())
    }

    /// The elements of the array `field` that are JSON objects; anything else is skipped
    /// (for lenient, optional parts such as contact cards).
    pub(crate) fn objects(&self, field: &str) -> Vec<Node<'v>> {
        self.array(field)
            .unwrap_or_default()
            .into_iter()
            .filter(|n| n.value.is_object())
            .collect()
    }

    pub(crate) fn req_str(&self, field: &str) -> Result<&'v str, ParseError> {
        match self.value.get(field) {
            None | Some(Value::Null) => Err(self.missing(field)),
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(self.invalid(field, "expected a string")),
        }
    }

    pub(crate) fn opt_str(&self, field: &str) -> Option<&'v str> {
        self.value.get(field).and_then(Value::as_str)
    }

    /// An optional string turned into an owned value, with `""` treated as absent.
    pub(crate) fn opt_string(&self, field: &str) -> Option<String> {
        self.opt_str(field)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    pub(crate) fn req_i64(&self, field: &str) -> Result<i64, ParseError> {
        match self.value.get(field) {
            None | Some(Value::Null) => Err(self.missing(field)),
            Some(v) => v
                .as_i64()
                .ok_or_else(|| self.invalid(field, "expected an integer")),
        }
    }

    pub(crate) fn opt_i64(&self, field: &str) -> Option<i64> {
        self.value.get(field).and_then(Value::as_i64)
    }

    pub(crate) fn opt_f64(&self, field: &str) -> Option<f64> {
        self.value.get(field).and_then(Value::as_f64)
    }

    pub(crate) fn opt_bool(&self, field: &str) -> Option<bool> {
        self.value.get(field).and_then(Value::as_bool)
    }

    /// A Unix-seconds timestamp, given as a JSON string of digits (WhatsApp) or as a JSON
    /// integer (Telegram, and some WhatsApp non-message fields).
    pub(crate) fn req_unix_time(&self, field: &str) -> Result<DateTime<Utc>, ParseError> {
        let secs = match self.value.get(field) {
            None | Some(Value::Null) => return Err(self.missing(field)),
            Some(Value::String(s)) => s.parse::<i64>().ok(),
            Some(v) => v.as_i64(),
        };
        secs.and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or_else(|| self.invalid(field, "expected Unix seconds"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_name_the_full_path() {
        fn walk(v: &Value) -> Result<(), ParseError> {
            for e in Node::root(v).array("entry")? {
                for c in e.array("changes")? {
                    c.req("value")?.req_str("n")?;
                }
            }
            Ok(())
        }
        let v = json!({"entry": [{"changes": [{}, {"value": {"n": 1}}]}]});
        assert_eq!(
            walk(&v).unwrap_err().to_string(),
            "entry[0].changes[0].value: required field is missing"
        );
        let v = json!({"entry": [{"changes": [{"value": {"n": 1}}]}]});
        assert_eq!(
            walk(&v).unwrap_err().to_string(),
            "entry[0].changes[0].value.n: expected a string"
        );
        let v = json!({"entry": {}});
        assert_eq!(
            walk(&v).unwrap_err().to_string(),
            "entry: expected an array"
        );
    }

    #[test]
    fn unix_time_accepts_strings_and_integers_only() {
        let v = json!({"a": "1795518000", "b": 1795518000, "c": "soon", "d": 1.5});
        let n = Node::root(&v);
        assert_eq!(n.req_unix_time("a").ok(), n.req_unix_time("b").ok());
        assert!(n.req_unix_time("a").is_ok());
        assert!(n.req_unix_time("c").is_err());
        assert!(n.req_unix_time("d").is_err());
        assert!(matches!(
            n.req_unix_time("e"),
            Err(ParseError::Missing { .. })
        ));
    }

    #[test]
    fn optional_fields_of_the_wrong_type_are_absent() {
        let v = json!({"s": 5, "e": ""});
        let n = Node::root(&v);
        assert_eq!(n.opt_str("s"), None);
        assert_eq!(n.opt_string("e"), None);
    }
}
