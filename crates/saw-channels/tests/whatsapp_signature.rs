//! `signatures.json`: known-good signatures verify over the exact fixture bytes, the bad
//! ones are refused; and the GET handshake.

mod common;

use saw_channels::whatsapp::{SignatureError, sign, verify_handshake, verify_signature};
use serde_json::Value;

fn signatures() -> Value {
    serde_json::from_slice(&common::fixture("whatsapp/signatures.json")).expect("signatures.json")
}

fn str_of<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("signatures.json: {field}"))
}

#[test]
fn accepted_signatures_verify_over_the_exact_file_bytes() {
    let s = signatures();
    let secret = str_of(&s, "app_secret").as_bytes();
    let files = s["files"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    for f in files {
        let body = common::fixture(&format!("whatsapp/{}", str_of(f, "file")));
        assert_eq!(Some(body.len() as u64), f["bytes"].as_u64(), "{f}");
        let header = str_of(f, "x_hub_signature_256");
        assert_eq!(verify_signature(secret, Some(header), &body), Ok(()), "{f}");
        assert_eq!(sign(secret, &body), header);
        // One byte more or less (e.g. a trimmed final newline) no longer verifies.
        assert_eq!(
            verify_signature(secret, Some(header), &body[..body.len() - 1]),
            Err(SignatureError::Mismatch)
        );
    }
}

#[test]
fn bad_signatures_are_rejected() {
    let s = signatures();
    let secret = str_of(&s, "app_secret").as_bytes();
    let negatives = s["negative_examples"]
        .as_array()
        .expect("negative_examples");
    assert_eq!(negatives.len(), 2);
    for n in negatives {
        let body = common::fixture(&format!("whatsapp/{}", str_of(n, "file")));
        let header = str_of(n, "x_hub_signature_256");
        assert_eq!(
            verify_signature(secret, Some(header), &body),
            Err(SignatureError::Mismatch),
            "{n}"
        );
    }
    // The right signature under another secret.
    let good = str_of(&s["files"][0], "x_hub_signature_256");
    let body = common::fixture("whatsapp/webhook-text-wire.json");
    assert_eq!(
        verify_signature(b"wrong-secret", Some(good), &body),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn re_serialising_the_body_breaks_the_signature() {
    let s = signatures();
    let secret = str_of(&s, "app_secret").as_bytes();
    let body = common::fixture("whatsapp/webhook-text-wire.json");
    let reserialised =
        serde_json::to_vec(&serde_json::from_slice::<Value>(&body).expect("json")).expect("json");
    assert_ne!(reserialised, body);
    let header = str_of(&s["files"][0], "x_hub_signature_256");
    assert_eq!(
        verify_signature(secret, Some(header), &reserialised),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn handshake_echoes_the_challenge_only_for_the_right_token() {
    let ok = verify_handshake(
        Some("subscribe"),
        Some("meu-token"),
        "meu-token",
        Some("1158201444"),
    );
    assert_eq!(ok, Some("1158201444"));
    let refused = [
        (
            Some("subscribe"),
            Some("outro-token"),
            "meu-token",
            Some("1158201444"),
        ),
        (
            Some("subscribe"),
            Some("meu-toke"),
            "meu-token",
            Some("1158201444"),
        ),
        (Some("subscribe"), None, "meu-token", Some("1158201444")),
        (
            Some("unsubscribe"),
            Some("meu-token"),
            "meu-token",
            Some("1158201444"),
        ),
        (None, Some("meu-token"), "meu-token", Some("1158201444")),
        (Some("subscribe"), Some("meu-token"), "meu-token", None),
        (Some("subscribe"), Some("meu-token"), "meu-token", Some("")),
        (Some("subscribe"), Some(""), "", Some("1158201444")),
    ];
    for (mode, token, expected, challenge) in refused {
        assert_eq!(
            verify_handshake(mode, token, expected, challenge),
            None,
            "{mode:?} {token:?} {challenge:?}"
        );
    }
}
