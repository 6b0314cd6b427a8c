//! Every WhatsApp webhook fixture parses to the events it shows.

mod common;

use chrono::DateTime;
use saw_channels::whatsapp;
use saw_channels::{ChosenOption, InboundEvent, InboundMessage, ParseError, StatusUpdate};
use saw_core::conversation::{DeliveryStatus, MessageKind};

const NUMBER: &str = "112233445566778";

fn parse(file: &str) -> Vec<InboundEvent> {
    let events = whatsapp::parse(&common::fixture(&format!("whatsapp/{file}")))
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    events
        .into_iter()
        .map(|(number, event)| {
            assert_eq!(number, NUMBER, "{file}: phone_number_id");
            event
        })
        .collect()
}

fn only_message(file: &str) -> InboundMessage {
    match parse(file).as_slice() {
        [InboundEvent::Message(m)] => m.clone(),
        other => panic!("{file}: expected one message, got {other:?}"),
    }
}

fn only_status(file: &str) -> StatusUpdate {
    match parse(file).as_slice() {
        [InboundEvent::Status(s)] => s.clone(),
        other => panic!("{file}: expected one status, got {other:?}"),
    }
}

/// What one message fixture must parse to.
struct MessageCase {
    file: &'static str,
    kind: MessageKind,
    from: &'static str,
    name: Option<&'static str>,
    /// Body, caption or chosen title.
    text: Option<&'static str>,
}

const MESSAGES: &[MessageCase] = &[
    MessageCase {
        file: "webhook-text.json",
        kind: MessageKind::Text,
        from: "5511987654321",
        name: Some("Maria Souza"),
        text: Some("oi, qual o horário de vcs?"),
    },
    MessageCase {
        file: "webhook-text-wire.json",
        kind: MessageKind::Text,
        from: "5521998765432",
        name: Some("João Pereira"),
        text: Some(
            "Olá! Vocês entregam em São Paulo? Meu pedido é o https://padariaestrela.com.br/pedido/4521 😊",
        ),
    },
    MessageCase {
        file: "webhook-image.json",
        kind: MessageKind::Image,
        from: "5531991234567",
        name: Some("Ana Lima"),
        text: Some("segue a foto do produto que chegou quebrado 😕"),
    },
    MessageCase {
        file: "webhook-voice.json",
        kind: MessageKind::Audio,
        from: "5511987654321",
        name: Some("Maria Souza"),
        text: None,
    },
    MessageCase {
        file: "webhook-audio-file.json",
        kind: MessageKind::Audio,
        from: "5541997001122",
        name: Some("Rafael Costa"),
        text: None,
    },
    MessageCase {
        file: "webhook-video.json",
        kind: MessageKind::Video,
        from: "5548996543210",
        name: Some("Carlos Oliveira"),
        text: Some("olha o barulho que a máquina tá fazendo"),
    },
    MessageCase {
        file: "webhook-document.json",
        kind: MessageKind::Document,
        from: "5511987654321",
        name: Some("Maria Souza"),
        text: Some("segue o comprovante do pix"),
    },
    MessageCase {
        file: "webhook-sticker.json",
        kind: MessageKind::Sticker,
        from: "5585988776655",
        name: Some("Bia Santos"),
        text: None,
    },
    MessageCase {
        file: "webhook-location.json",
        kind: MessageKind::Location,
        from: "5521998765432",
        name: Some("João Pereira"),
        text: None,
    },
    MessageCase {
        file: "webhook-contacts.json",
        kind: MessageKind::Contacts,
        from: "5531991234567",
        name: Some("Ana Lima"),
        text: None,
    },
    MessageCase {
        file: "webhook-button-reply.json",
        kind: MessageKind::Interactive,
        from: "5511987654321",
        name: Some("Maria Souza"),
        text: Some("Suporte técnico"),
    },
    MessageCase {
        file: "webhook-list-reply.json",
        kind: MessageKind::Interactive,
        from: "5521998765432",
        name: Some("João Pereira"),
        text: Some("Financeiro"),
    },
    MessageCase {
        file: "webhook-template-button.json",
        kind: MessageKind::Interactive,
        from: "5531991234567",
        name: Some("Ana Lima"),
        text: Some("Confirmar"),
    },
    MessageCase {
        file: "webhook-reply-context.json",
        kind: MessageKind::Text,
        from: "5548996543210",
        name: Some("Carlos Oliveira"),
        text: Some("pode ser amanhã às 14h?"),
    },
    MessageCase {
        file: "webhook-referral.json",
        kind: MessageKind::Text,
        from: "5585988776655",
        name: Some("Bia Santos"),
        text: Some("Olá! Quero saber mais sobre a promoção de Black Friday"),
    },
    MessageCase {
        file: "webhook-order.json",
        kind: MessageKind::Unsupported,
        from: "5521998765432",
        name: Some("João Pereira"),
        text: None,
    },
    MessageCase {
        file: "webhook-system-number-change.json",
        kind: MessageKind::Unsupported,
        from: "5541997001122",
        name: None,
        text: Some("User Rafael Costa changed from 5541997001122 to 5541996665544"),
    },
    MessageCase {
        file: "webhook-unsupported.json",
        kind: MessageKind::Unsupported,
        from: "5548996543210",
        name: Some("Carlos Oliveira"),
        text: None,
    },
];

/// What one status fixture must parse to.
struct StatusCase {
    file: &'static str,
    wamid: &'static str,
    status: DeliveryStatus,
    recipient: &'static str,
    unix_time: i64,
}

const STATUSES: &[StatusCase] = &[
    StatusCase {
        file: "webhook-status-sent.json",
        wamid: "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEkZBRTU0RDVFMTQ1NDBFOEJBOQA=",
        status: DeliveryStatus::Sent,
        recipient: "5511987654321",
        unix_time: 1795518030,
    },
    StatusCase {
        file: "webhook-status-delivered.json",
        wamid: "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEkZBRTU0RDVFMTQ1NDBFOEJBOQA=",
        status: DeliveryStatus::Delivered,
        recipient: "5511987654321",
        unix_time: 1795518031,
    },
    StatusCase {
        file: "webhook-status-read.json",
        wamid: "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEkZBRTU0RDVFMTQ1NDBFOEJBOQA=",
        status: DeliveryStatus::Read,
        recipient: "5511987654321",
        unix_time: 1795518095,
    },
    StatusCase {
        file: "webhook-status-failed.json",
        wamid: "wamid.HBgNNTUyMTk5ODc2NTQzMhUCABEYEjkwNkEyNEE0MkVGOTEwRjExMgA=",
        status: DeliveryStatus::Failed,
        recipient: "5521998765432",
        unix_time: 1795519000,
    },
];

/// Files checked by their own tests below.
const OTHERS: &[&str] = &["webhook-batch.json", "webhook-reaction.json"];

#[test]
fn every_webhook_fixture_is_in_a_table() {
    for name in common::fixture_names("whatsapp", "webhook-") {
        let known = MESSAGES.iter().any(|c| c.file == name)
            || STATUSES.iter().any(|c| c.file == name)
            || OTHERS.contains(&name.as_str());
        assert!(known, "{name} has no expectation in this test");
    }
}

#[test]
fn messages_parse_with_kind_sender_name_and_text() {
    for c in MESSAGES {
        let file = c.file;
        let m = only_message(file);
        assert_eq!(m.kind, c.kind, "{file}: kind");
        assert_eq!(m.from, c.from, "{file}: from");
        assert_eq!(m.phone, Some(format!("+{}", c.from)), "{file}: phone");
        assert_eq!(m.contact_name.as_deref(), c.name, "{file}: contact name");
        assert_eq!(m.text.as_deref(), c.text, "{file}: text");
        assert!(m.external_id.starts_with("wamid."), "{file}: id");
        assert_eq!(
            m.raw.is_some(),
            c.kind == MessageKind::Unsupported,
            "{file}: raw only for unsupported"
        );
    }
}

#[test]
fn statuses_parse_with_id_status_recipient_and_time() {
    for c in STATUSES {
        let file = c.file;
        let s = only_status(file);
        assert_eq!(s.message_external_id, c.wamid, "{file}");
        assert_eq!(s.status, c.status, "{file}");
        assert_eq!(s.recipient, c.recipient, "{file}");
        assert_eq!(s.timestamp.timestamp(), c.unix_time, "{file}");
        assert_eq!(
            s.errors.is_empty(),
            c.status != DeliveryStatus::Failed,
            "{file}"
        );
    }
}

#[test]
fn failed_status_carries_error_131047() {
    let s = only_status("webhook-status-failed.json");
    assert_eq!(s.errors.len(), 1);
    let e = &s.errors[0];
    assert_eq!(e.code, 131047);
    assert_eq!(e.title.as_deref(), Some("Re-engagement message"));
    assert_eq!(e.message.as_deref(), Some("Re-engagement message"));
    assert!(
        e.details
            .as_deref()
            .is_some_and(|d| d.contains("more than 24 hours"))
    );
}

#[test]
fn text_has_bsuid_id_and_time() {
    let m = only_message("webhook-text.json");
    assert_eq!(
        m.external_id,
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDY3N0RGRDcyNjFEQTEzM0NFOTE5AA=="
    );
    assert_eq!(m.from_user_id.as_deref(), Some("BR.1029384756102938"));
    assert_eq!(
        m.timestamp,
        DateTime::from_timestamp(1795518000, 0).expect("time")
    );
    assert_eq!(m.reply_to_external_id, None);
}

#[test]
fn batch_gives_two_messages_and_a_status_with_the_right_names() {
    let events = parse("webhook-batch.json");
    let [
        InboundEvent::Message(a),
        InboundEvent::Message(b),
        InboundEvent::Status(s),
    ] = events.as_slice()
    else {
        panic!("expected message, message, status: {events:?}");
    };
    assert_eq!(
        (a.from.as_str(), a.contact_name.as_deref()),
        ("5511987654321", Some("Maria Souza"))
    );
    assert_eq!(a.text.as_deref(), Some("bom dia! vcs abrem no feriado?"));
    assert_eq!(
        (b.from.as_str(), b.contact_name.as_deref()),
        ("5548996543210", Some("Carlos Oliveira"))
    );
    assert_eq!(
        b.text.as_deref(),
        Some("quero 2 dúzias de pão de queijo pra retirar às 10h")
    );
    assert_eq!(s.status, DeliveryStatus::Delivered);
    assert_eq!(s.recipient, "5531991234567");
    assert_eq!(
        s.message_external_id,
        "wamid.HBgNNTUzMTk5MTIzNDU2NxUCABEYEkFFMDk3Q0EyQUNFODRGNTA4RQA="
    );
}

#[test]
fn media_keeps_id_type_hash_and_flags() {
    let m = only_message("webhook-image.json");
    let media = m.media.expect("media");
    assert_eq!(media.provider_media_id, "5859471419507812");
    assert_eq!(media.mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(
        media.sha256.as_deref(),
        Some("DPRX4kpHnwL9TTRUA4n3IPCAfc/5KnViEIFlsmN+qC8=")
    );

    let voice = only_message("webhook-voice.json").media.expect("media");
    assert!(voice.voice);
    assert_eq!(voice.mime_type.as_deref(), Some("audio/ogg; codecs=opus"));
    let file = only_message("webhook-audio-file.json")
        .media
        .expect("media");
    assert!(!file.voice);
    assert_eq!(file.mime_type.as_deref(), Some("audio/mpeg"));

    let doc = only_message("webhook-document.json").media.expect("media");
    assert_eq!(doc.filename.as_deref(), Some("comprovante-pix-2411.pdf"));
    assert_eq!(doc.mime_type.as_deref(), Some("application/pdf"));

    let sticker = only_message("webhook-sticker.json").media.expect("media");
    assert!(sticker.animated);
    assert_eq!(sticker.mime_type.as_deref(), Some("image/webp"));

    let video = only_message("webhook-video.json").media.expect("media");
    assert_eq!(video.provider_media_id, "5278131488557620");
}

#[test]
fn location_keeps_place_details() {
    let l = only_message("webhook-location.json")
        .location
        .expect("location");
    assert_eq!((l.latitude, l.longitude), (-23.5613991, -46.6565712));
    assert_eq!(l.name.as_deref(), Some("Museu de Arte de São Paulo (MASP)"));
    assert_eq!(
        l.address.as_deref(),
        Some("Av. Paulista, 1578 - Bela Vista, São Paulo - SP, 01310-200")
    );
    assert_eq!(l.url.as_deref(), Some("https://masp.org.br/"));
}

#[test]
fn contact_card_is_structured() {
    let m = only_message("webhook-contacts.json");
    let [card] = m.contacts.as_slice() else {
        panic!("one card: {:?}", m.contacts)
    };
    assert_eq!(card.formatted_name.as_deref(), Some("Lucas Andrade"));
    assert_eq!(card.first_name.as_deref(), Some("Lucas"));
    assert_eq!(card.phones.len(), 2);
    assert_eq!(card.phones[0].phone, "+55 31 97654-3210");
    assert_eq!(card.phones[0].wa_id.as_deref(), Some("5531976543210"));
    assert_eq!(card.phones[1].wa_id, None);
    assert_eq!(card.phones[1].label.as_deref(), Some("WORK"));
    assert_eq!(card.emails[0].value, "lucas.andrade@andradereformas.com.br");
    assert_eq!(card.urls[0].value, "https://andradereformas.com.br");
    assert_eq!(card.addresses[0].city.as_deref(), Some("Belo Horizonte"));
    let org = card.organization.as_ref().expect("org");
    assert_eq!(
        (org.company.as_deref(), org.title.as_deref()),
        (Some("Andrade Reformas"), Some("Sócio"))
    );
    assert!(!card.is_sender);
}

#[test]
fn chosen_options_and_their_context() {
    let cases = [
        (
            "webhook-button-reply.json",
            "menu_suporte",
            "Suporte técnico",
            "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjIxM0FDODQxM0Q5REVFRkY2QQA=",
        ),
        (
            "webhook-list-reply.json",
            "fila_financeiro",
            "Financeiro",
            "wamid.HBgNNTUyMTk5ODc2NTQzMhUCABEYEjA4NjJENDA3NzZDQkQ3N0FFOAA=",
        ),
        (
            "webhook-template-button.json",
            "CONFIRMAR_AGENDAMENTO",
            "Confirmar",
            "wamid.HBgNNTUzMTk5MTIzNDU2NxUCABEYEjQ4OTYyMDAyMjAxRjUyMzIxOAA=",
        ),
    ];
    for (file, id, title, context) in cases {
        let m = only_message(file);
        assert_eq!(
            m.interactive_reply,
            Some(ChosenOption {
                id: id.into(),
                title: title.into()
            }),
            "{file}"
        );
        assert_eq!(m.reply_to_external_id.as_deref(), Some(context), "{file}");
    }
}

#[test]
fn reply_keeps_the_quoted_message_id() {
    let m = only_message("webhook-reply-context.json");
    assert_eq!(
        m.reply_to_external_id.as_deref(),
        Some("wamid.HBgNNTU0ODk5NjU0MzIxMBUCABEYEjg1RkEzMTFDMTFGQzczM0YxQgA=")
    );
}

#[test]
fn reaction_and_its_removal() {
    let events = parse("webhook-reaction.json");
    let [
        InboundEvent::Reaction {
            message_external_id,
            from,
            emoji,
            timestamp,
        },
    ] = events.as_slice()
    else {
        panic!("expected one reaction: {events:?}");
    };
    assert_eq!(
        message_external_id,
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjAwODAxRDZCMkM4NDZFMDcwNwA="
    );
    assert_eq!(from, "5511987654321");
    assert_eq!(emoji.as_deref(), Some("\u{2764}\u{fe0f}"));
    assert_eq!(timestamp.timestamp(), 1795518660);

    // Removal: older payloads send `"emoji": ""`, current ones omit the field.
    let body = String::from_utf8(common::fixture("whatsapp/webhook-reaction.json")).expect("utf-8");
    let empty = body.replace("\"emoji\": \"\u{2764}\u{fe0f}\"", "\"emoji\": \"\"");
    let absent = body.replace(",\n                  \"emoji\": \"\u{2764}\u{fe0f}\"", "");
    for removed in [empty, absent] {
        assert_ne!(removed, body, "the fixture changed shape");
        let events = whatsapp::parse(removed.as_bytes()).expect("parse");
        assert!(
            matches!(
                events.as_slice(),
                [(_, InboundEvent::Reaction { emoji: None, .. })]
            ),
            "{events:?}"
        );
    }
}

#[test]
fn unsupported_keeps_the_raw_message() {
    let m = only_message("webhook-unsupported.json");
    let raw = m.raw.expect("raw");
    assert_eq!(raw["unsupported"]["type"], "poll_creation");
    assert_eq!(raw["errors"][0]["code"], 131051);
    assert_eq!(raw["id"], m.external_id.as_str());

    let order = only_message("webhook-order.json").raw.expect("raw");
    assert_eq!(
        order["order"]["product_items"][0]["product_retailer_id"],
        "pao-frances-kg"
    );

    let system = only_message("webhook-system-number-change.json");
    assert_eq!(system.raw.expect("raw")["system"]["wa_id"], "5541996665544");
}

fn wrap_value(value: &str) -> String {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","changes":[{{"field":"messages","value":{value}}}]}}]}}"#
    )
}

#[test]
fn unknown_types_and_bodiless_messages_become_unsupported() {
    for msg in [
        r#"{"from":"5511987654321","id":"wamid.A","timestamp":"1795518000","type":"poll","poll":{"q":1}}"#,
        r#"{"from":"5511987654321","id":"wamid.A","timestamp":"1795518000","type":"image"}"#,
        r#"{"from":"5511987654321","id":"wamid.A","timestamp":"1795518000","errors":[{"code":131051}]}"#,
    ] {
        let body = wrap_value(&format!(
            r#"{{"metadata":{{"phone_number_id":"9"}},"messages":[{msg}]}}"#
        ));
        let events = whatsapp::parse(body.as_bytes()).expect("parse");
        let [(number, InboundEvent::Message(m))] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(number, "9");
        assert_eq!(m.kind, MessageKind::Unsupported, "{msg}");
        assert_eq!(m.media, None);
        assert!(m.raw.is_some());
    }
}

#[test]
fn username_users_are_identified_by_bsuid() {
    let body = wrap_value(
        r#"{"metadata":{"phone_number_id":"9"},
            "contacts":[{"profile":{"name":"Zé"},"wa_id":"","user_id":"BR.77"}],
            "messages":[{"from":"","from_user_id":"BR.77","id":"wamid.B","timestamp":"1795518000","type":"text","text":{"body":"oi"}}]}"#,
    );
    let events = whatsapp::parse(body.as_bytes()).expect("parse");
    let [(_, InboundEvent::Message(m))] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(m.from, "");
    assert_eq!(m.from_user_id.as_deref(), Some("BR.77"));
    assert_eq!(m.contact_name.as_deref(), Some("Zé"));
    assert_eq!(m.phone, None);
}

#[test]
fn other_fields_are_skipped_and_account_errors_reported() {
    let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","time":1795518000,"changes":[
        {"field":"message_template_status_update","value":{"event":"APPROVED","message_template_id":12345}},
        {"field":"messages","value":{"metadata":{"phone_number_id":"9"},"errors":[{"code":130429,"title":"Rate limit hit"}]}}]}]}"#;
    let events = whatsapp::parse(body.as_bytes()).expect("parse");
    let [(_, InboundEvent::Ignored { reason })] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert!(reason.contains("130429 Rate limit hit"), "{reason}");

    let page = br#"{"object":"page","entry":[{"id":"1","messaging":[]}]}"#;
    assert!(whatsapp::parse(page).expect("parse").is_empty());
}

#[test]
fn played_counts_as_read_and_unknown_statuses_are_ignored() {
    let status = |word: &str| {
        let body = wrap_value(&format!(
            r#"{{"metadata":{{"phone_number_id":"9"}},"statuses":[{{"id":"wamid.C","status":"{word}","timestamp":"1795518000","recipient_id":"5511987654321"}}]}}"#
        ));
        whatsapp::parse(body.as_bytes()).expect("parse").remove(0).1
    };
    assert!(matches!(
        status("played"),
        InboundEvent::Status(StatusUpdate {
            status: DeliveryStatus::Read,
            ..
        })
    ));
    assert!(matches!(status("deleted"), InboundEvent::Ignored { .. }));
}

#[test]
fn malformed_bodies_are_errors_that_say_what_is_wrong() {
    let err =
        whatsapp::parse(b"{\"object\": \"whatsapp_business_account\", \"entry\": [").unwrap_err();
    assert!(matches!(err, ParseError::Json(_)), "{err}");
    assert!(err.to_string().starts_with("malformed JSON"), "{err}");

    let cases = [
        (
            r#"{"object":"whatsapp_business_account"}"#.to_string(),
            "entry: required field is missing",
        ),
        (r#"[1, 2]"#.to_string(), "(body): expected a JSON object"),
        (
            wrap_value(r#"{"messages":[]}"#),
            "entry[0].changes[0].value.metadata: required field is missing",
        ),
    ];
    for (body, want) in cases {
        let err = whatsapp::parse(body.as_bytes()).unwrap_err();
        assert_eq!(err.to_string(), want, "{body}");
    }

    // A single unreadable message or status is reported as ignored, with the reason; the
    // body is still accepted.
    let element_cases = [
        (
            wrap_value(
                r#"{"metadata":{"phone_number_id":"9"},"messages":[{"from":"5511987654321","timestamp":"1795518000","type":"text","text":{"body":"oi"}}]}"#,
            ),
            "entry[0].changes[0].value.messages[0].id: required field is missing",
        ),
        (
            wrap_value(
                r#"{"metadata":{"phone_number_id":"9"},"messages":[{"from":"5511987654321","id":"wamid.A","timestamp":"yesterday","type":"text","text":{"body":"oi"}}]}"#,
            ),
            "entry[0].changes[0].value.messages[0].timestamp: expected Unix seconds",
        ),
        (
            wrap_value(
                r#"{"metadata":{"phone_number_id":"9"},"messages":[{"id":"wamid.A","timestamp":"1795518000","type":"text","text":{"body":"oi"}}]}"#,
            ),
            "entry[0].changes[0].value.messages[0].from: required field is missing",
        ),
        (
            wrap_value(
                r#"{"metadata":{"phone_number_id":"9"},"statuses":[{"id":"wamid.A","timestamp":"1795518000"}]}"#,
            ),
            "entry[0].changes[0].value.statuses[0].status: required field is missing",
        ),
        (
            wrap_value(
                r#"{"metadata":{"phone_number_id":"9"},"statuses":[{"id":"wamid.A","status":"failed","timestamp":"1795518000","errors":[{"title":"x"}]}]}"#,
            ),
            "entry[0].changes[0].value.statuses[0].errors[0].code: required field is missing",
        ),
    ];
    for (body, want) in element_cases {
        let events = whatsapp::parse(body.as_bytes()).unwrap();
        match &events[..] {
            [(_, InboundEvent::Ignored { reason })] => assert!(reason.ends_with(want), "{reason}"),
            other => panic!("{body}: {other:?}"),
        }
    }
}

#[test]
fn one_bad_message_does_not_drop_the_others() {
    let body = wrap_value(
        r#"{"metadata":{"phone_number_id":"9"},"messages":[
            {"from":"5511987654321","timestamp":"1795518000","type":"text","text":{"body":"sem id"}},
            {"from":"5511987654321","id":"wamid.OK","timestamp":"1795518000","type":"text","text":{"body":"oi"}}]}"#,
    );
    let events = whatsapp::parse(body.as_bytes()).unwrap();
    assert_eq!(events.len(), 2);
    assert!(matches!(events[0].1, InboundEvent::Ignored { .. }));
    match &events[1].1 {
        InboundEvent::Message(m) => assert_eq!(
            (m.external_id.as_str(), m.text.as_deref()),
            ("wamid.OK", Some("oi"))
        ),
        other => panic!("{other:?}"),
    }
}
