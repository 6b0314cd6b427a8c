//! The stored JSON form of `saw_core::outbound::OutboundPayload` (saw-core has no JSON
//! library of its own to test it with).

use saw_core::conversation::MessageKind;
use saw_core::outbound::{
    MediaKind, MediaPayload, Menu, MenuOption, OutboundPayload, TemplatePayload,
};
use serde_json::json;

fn round_trip(payload: &OutboundPayload, stored: serde_json::Value) {
    assert_eq!(serde_json::to_value(payload).expect("serialise"), stored);
    let back: OutboundPayload = serde_json::from_value(stored).expect("deserialise");
    assert_eq!(&back, payload);
}

#[test]
fn payloads_are_tagged_by_type() {
    round_trip(
        &OutboundPayload::Text { body: "oi".into() },
        json!({"type": "text", "body": "oi"}),
    );
    round_trip(
        &OutboundPayload::Menu(Menu {
            body: "Escolha:".into(),
            header: None,
            footer: Some("Padaria Estrela".into()),
            button_label: None,
            options: vec![MenuOption {
                id: "sup".into(),
                title: "Suporte".into(),
                description: Some("Pedidos".into()),
            }],
        }),
        json!({"type": "menu", "body": "Escolha:", "footer": "Padaria Estrela",
               "options": [{"id": "sup", "title": "Suporte", "description": "Pedidos"}]}),
    );
    round_trip(
        &OutboundPayload::Media(MediaPayload {
            kind: MediaKind::Document,
            provider_media_id: Some("1480532962733011".into()),
            mime_type: "application/pdf".into(),
            filename: Some("NF-4521.pdf".into()),
            caption: None,
        }),
        json!({"type": "media", "kind": "document", "provider_media_id": "1480532962733011",
               "mime_type": "application/pdf", "filename": "NF-4521.pdf"}),
    );
    round_trip(
        &OutboundPayload::Template(TemplatePayload {
            name: "hello_world".into(),
            language: "en_US".into(),
            body_params: vec!["Maria".into()],
            header_params: vec![],
            button_payloads: vec![],
        }),
        json!({"type": "template", "name": "hello_world", "language": "en_US",
               "body_params": ["Maria"]}),
    );
}

#[test]
fn optional_fields_may_be_null_or_absent() {
    let stored = json!({"type": "menu", "body": "Escolha:", "header": null,
                        "options": [{"id": "a", "title": "A", "description": null}]});
    let OutboundPayload::Menu(menu) = serde_json::from_value(stored).expect("menu") else {
        panic!("not a menu")
    };
    assert_eq!((menu.header, menu.button_label), (None, None));
    assert!(
        serde_json::from_value::<OutboundPayload>(json!({"type": "fax", "body": "x"})).is_err()
    );
    assert!(
        serde_json::from_value::<OutboundPayload>(
            json!({"type": "media", "kind": "hologram", "mime_type": "x/y"})
        )
        .is_err()
    );
}

#[test]
fn every_payload_names_its_stored_kind() {
    let media = |kind| {
        OutboundPayload::Media(MediaPayload {
            kind,
            provider_media_id: None,
            mime_type: String::new(),
            filename: None,
            caption: None,
        })
    };
    for kind in MediaKind::ALL {
        let stored = serde_json::to_value(kind).expect("kind");
        assert_eq!(stored, media(*kind).message_kind().as_str());
    }
    assert_eq!(
        OutboundPayload::Text {
            body: String::new()
        }
        .message_kind(),
        MessageKind::Text
    );
}
