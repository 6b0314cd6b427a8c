//! Every Telegram update fixture parses to the event it shows; `getUpdates` answers too.

mod common;

use chrono::{DateTime, Utc};
use saw_channels::telegram::{
    callback_query_id, parse_get_updates, parse_get_updates_at, parse_update, parse_update_at,
};
use saw_channels::{ChosenOption, InboundEvent, InboundMessage, ParseError};
use saw_core::conversation::MessageKind;

fn received() -> DateTime<Utc> {
    DateTime::from_timestamp(1795518600, 0).expect("time")
}

fn message(file: &str) -> InboundMessage {
    let body = common::fixture(&format!("telegram/{file}"));
    match parse_update_at(&body, received()) {
        Ok(Some(InboundEvent::Message(m))) => m,
        other => panic!("{file}: expected a message, got {other:?}"),
    }
}

/// What one update fixture must parse to.
struct Case {
    file: &'static str,
    kind: MessageKind,
    /// The chat id.
    from: &'static str,
    external_id: &'static str,
    name: &'static str,
    text: Option<&'static str>,
    unix_time: i64,
}

const UPDATES: &[Case] = &[
    Case {
        file: "update-text.json",
        kind: MessageKind::Text,
        from: "6093847561",
        external_id: "6093847561:1021",
        name: "Maria Souza",
        text: Some("oi, qual o horário de vcs?"),
        unix_time: 1795518000,
    },
    Case {
        file: "update-start-command.json",
        kind: MessageKind::Text,
        from: "6093847561",
        external_id: "6093847561:1020",
        name: "Maria Souza",
        text: Some("/start promo_blackfriday"),
        unix_time: 1795517970,
    },
    Case {
        file: "update-photo.json",
        kind: MessageKind::Image,
        from: "5517283940",
        external_id: "5517283940:1022",
        name: "João Pereira",
        text: Some("a caixa chegou toda amassada 😕"),
        unix_time: 1795518060,
    },
    Case {
        file: "update-document.json",
        kind: MessageKind::Document,
        from: "7201938475",
        external_id: "7201938475:1023",
        name: "Ana",
        text: Some("segue a nota, o valor veio errado"),
        unix_time: 1795518120,
    },
    Case {
        file: "update-voice.json",
        kind: MessageKind::Audio,
        from: "6093847561",
        external_id: "6093847561:1024",
        name: "Maria Souza",
        text: None,
        unix_time: 1795518180,
    },
    Case {
        file: "update-location.json",
        kind: MessageKind::Location,
        from: "5517283940",
        external_id: "5517283940:1025",
        name: "João Pereira",
        text: None,
        unix_time: 1795518240,
    },
    Case {
        file: "update-contact.json",
        kind: MessageKind::Contacts,
        from: "6093847561",
        external_id: "6093847561:1026",
        name: "Maria Souza",
        text: None,
        unix_time: 1795518300,
    },
    Case {
        file: "update-reply.json",
        kind: MessageKind::Text,
        from: "7201938475",
        external_id: "7201938475:1028",
        name: "Ana",
        text: Some("consegue entregar antes das 14h?"),
        unix_time: 1795518400,
    },
    Case {
        file: "update-edited-message.json",
        kind: MessageKind::Text,
        from: "6093847561",
        external_id: "6093847561:1021:edit:1795518045",
        name: "Maria Souza",
        text: Some("oi, qual o horário de vcs no sábado?"),
        unix_time: 1795518045,
    },
    Case {
        file: "update-callback-query.json",
        kind: MessageKind::Interactive,
        from: "6093847561",
        external_id: "callback:2617583049283746152",
        name: "Maria Souza",
        text: Some("🛠️ Suporte"),
        unix_time: 1795518600,
    },
];

#[test]
fn every_update_fixture_is_in_the_table() {
    for name in common::fixture_names("telegram", "update-") {
        assert!(
            UPDATES.iter().any(|c| c.file == name),
            "{name} has no expectation in this test"
        );
    }
}

#[test]
fn updates_parse_with_kind_sender_ids_and_text() {
    for c in UPDATES {
        let file = c.file;
        let m = message(file);
        assert_eq!(m.kind, c.kind, "{file}: kind");
        assert_eq!(m.from, c.from, "{file}: from");
        assert_eq!(m.external_id, c.external_id, "{file}: external id");
        assert_eq!(m.contact_name.as_deref(), Some(c.name), "{file}: name");
        assert_eq!(m.text.as_deref(), c.text, "{file}: text");
        assert_eq!(m.timestamp.timestamp(), c.unix_time, "{file}: time");
        assert_eq!(m.phone, None, "{file}: no phone on Telegram");
        assert_eq!(m.raw, None, "{file}: raw");
    }
}

#[test]
fn photo_uses_the_largest_size() {
    let media = message("update-photo.json").media.expect("media");
    assert_eq!(
        media.provider_media_id,
        "AgACAgEAAxkBAAIEB2Fj8NNgQGC1H3oJfrw9hHOwLEllWnhYSZ3nRn3i22a7"
    );
    assert_eq!(media.mime_type.as_deref(), Some("image/jpeg"));
}

#[test]
fn voice_and_document_keep_file_details() {
    let voice = message("update-voice.json").media.expect("media");
    assert!(voice.voice);
    assert_eq!(voice.mime_type.as_deref(), Some("audio/ogg"));
    assert_eq!(
        voice.provider_media_id,
        "AwACAgEAAxkBAAIECWahgxyxt1xle65f8aHwG-x-2iQEqXNnNFO_Ri1QzLkm"
    );

    let doc = message("update-document.json").media.expect("media");
    assert_eq!(doc.filename.as_deref(), Some("nota-fiscal-4521.pdf"));
    assert_eq!(doc.mime_type.as_deref(), Some("application/pdf"));
    assert!(!doc.voice);
}

#[test]
fn location_and_own_contact() {
    let l = message("update-location.json").location.expect("location");
    assert_eq!((l.latitude, l.longitude), (-22.906847, -43.172897));
    assert_eq!(l.name, None);

    let m = message("update-contact.json");
    let [card] = m.contacts.as_slice() else {
        panic!("{:?}", m.contacts)
    };
    assert_eq!(card.phones[0].phone, "5511987654321");
    assert_eq!(card.formatted_name.as_deref(), Some("Maria Souza"));
    assert!(card.is_sender, "the user shared their own number");
}

#[test]
fn reply_points_at_the_bot_message_in_the_same_chat() {
    let m = message("update-reply.json");
    assert_eq!(m.reply_to_external_id.as_deref(), Some("7201938475:1027"));
}

#[test]
fn edited_message_is_a_new_version_of_the_original() {
    let m = message("update-edited-message.json");
    assert_eq!(m.edit_of.as_deref(), Some("6093847561:1021"));
    assert_eq!(message("update-text.json").edit_of, None);
}

#[test]
fn callback_query_is_the_chosen_button() {
    let m = message("update-callback-query.json");
    assert_eq!(
        m.interactive_reply,
        Some(ChosenOption {
            id: "fila:suporte".into(),
            title: "🛠️ Suporte".into()
        })
    );
    assert_eq!(m.reply_to_external_id.as_deref(), Some("6093847561:1030"));
    assert_eq!(
        callback_query_id(&m.external_id),
        Some("2617583049283746152")
    );
    assert_eq!(callback_query_id("6093847561:1030"), None);
    assert_eq!(m.timestamp, received());

    // Without the keyboard the label falls back to the data; the clock stamps the tap.
    let body = r#"{"update_id":5,"callback_query":{"id":"9","from":{"id":42,"is_bot":false,"first_name":"Zé"},"chat_instance":"1","data":"fila:vendas"}}"#;
    let Ok(Some(InboundEvent::Message(m))) = parse_update(body.as_bytes()) else {
        panic!("callback")
    };
    assert_eq!(m.from, "42");
    assert_eq!(m.text.as_deref(), Some("fila:vendas"));
    assert!(m.timestamp > received());
}

#[test]
fn get_updates_lists_every_update_in_order() {
    let body = common::fixture("telegram/getupdates-response.json");
    let updates = parse_get_updates_at(&body, received()).expect("parse");
    let ids: Vec<i64> = updates.iter().map(|u| u.0).collect();
    assert_eq!(ids, [874512300, 874512301, 874512302, 874512309]);
    let kinds: Vec<MessageKind> = updates
        .iter()
        .map(|u| match &u.1 {
            Some(InboundEvent::Message(m)) => m.kind,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            MessageKind::Text,
            MessageKind::Text,
            MessageKind::Image,
            MessageKind::Interactive
        ]
    );

    let empty =
        parse_get_updates(&common::fixture("telegram/getupdates-empty.json")).expect("parse");
    assert!(empty.is_empty());
}

#[test]
fn get_updates_error_answers_are_api_errors() {
    let err =
        parse_get_updates(&common::fixture("telegram/error-409-webhook-active.json")).unwrap_err();
    let ParseError::Api { code, description } = &err else {
        panic!("{err}")
    };
    assert_eq!(*code, Some(409));
    assert!(description.contains("webhook"), "{description}");
}

#[test]
fn a_bad_update_in_get_updates_does_not_block_the_others() {
    let body = br#"{"ok":true,"result":[
        {"update_id":1,"message":{"message_id":7,"date":1795518000,"text":"sem chat"}},
        {"update_id":2,"message":{"message_id":8,"chat":{"id":3,"type":"private"},"date":1795518000,"text":"ok"}},
        {"update_id":3,"my_chat_member":{}}]}"#;
    let updates = parse_get_updates_at(body, received()).expect("parse");
    assert_eq!(updates.len(), 3);
    let Some(InboundEvent::Ignored { reason }) = &updates[0].1 else {
        panic!("{:?}", updates[0])
    };
    assert!(
        reason.contains("update 1") && reason.contains("chat: required field is missing"),
        "{reason}"
    );
    assert!(matches!(&updates[1].1, Some(InboundEvent::Message(m)) if m.external_id == "3:8"));
    assert_eq!(updates[2].1, None);
}

#[test]
fn unhandled_and_unknown_content() {
    let ignored = br#"{"update_id":9,"my_chat_member":{"chat":{"id":1}}}"#;
    assert_eq!(parse_update(ignored).expect("parse"), None);

    let poll = br#"{"update_id":9,"message":{"message_id":3,"chat":{"id":1,"type":"private"},"date":1795518000,"poll":{"id":"p"}}}"#;
    let Ok(Some(InboundEvent::Message(m))) = parse_update(poll) else {
        panic!("poll")
    };
    assert_eq!(m.kind, MessageKind::Unsupported);
    assert_eq!(m.raw.expect("raw")["poll"]["id"], "p");
}

#[test]
fn reactions_set_and_removed() {
    let set = r#"{"update_id":9,"message_reaction":{"chat":{"id":1,"type":"private"},"message_id":5,"user":{"id":1,"is_bot":false,"first_name":"A"},"date":1795518000,"old_reaction":[],"new_reaction":[{"type":"emoji","emoji":"👍"}]}}"#;
    let Ok(Some(InboundEvent::Reaction {
        message_external_id,
        from,
        emoji,
        ..
    })) = parse_update(set.as_bytes())
    else {
        panic!("reaction")
    };
    assert_eq!(
        (
            message_external_id.as_str(),
            from.as_str(),
            emoji.as_deref()
        ),
        ("1:5", "1", Some("👍"))
    );

    let removed = r#"{"update_id":9,"message_reaction":{"chat":{"id":1,"type":"private"},"message_id":5,"date":1795518000,"old_reaction":[{"type":"emoji","emoji":"👍"}],"new_reaction":[]}}"#;
    assert!(matches!(
        parse_update(removed.as_bytes()),
        Ok(Some(InboundEvent::Reaction { emoji: None, .. }))
    ));
}

#[test]
fn malformed_updates_are_errors() {
    assert!(matches!(
        parse_update(b"{\"update_id\": 1,"),
        Err(ParseError::Json(_))
    ));
    let err = parse_update(br#"{"message":{}}"#).unwrap_err();
    assert_eq!(err.to_string(), "update_id: required field is missing");
    let err =
        parse_update(br#"{"update_id":1,"message":{"message_id":1,"chat":{"id":2},"date":"x"}}"#)
            .unwrap_err();
    assert_eq!(err.to_string(), "message.date: expected Unix seconds");
}
