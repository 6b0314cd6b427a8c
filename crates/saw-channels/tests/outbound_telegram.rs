//! Telegram requests match the fixtures' wire shapes, and every answer fixture is
//! classified as protocols.md B5 says.

mod common;

use std::time::Duration;

use saw_channels::outbound::SendOutcome;
use saw_channels::outbound::telegram::{self, Unsupported};
use saw_channels::{InboundEvent, ParseError};
use saw_core::outbound::{
    MediaKind, MediaPayload, Menu, MenuOption, OutboundPayload, TemplatePayload,
};
use serde_json::{Value, json};

const MARIA: &str = "6093847561";

fn fixture(file: &str) -> Value {
    serde_json::from_slice(&common::fixture(&format!("telegram/{file}"))).expect("JSON")
}

fn option(id: &str, title: &str) -> MenuOption {
    MenuOption {
        id: id.into(),
        title: title.into(),
        description: None,
    }
}

fn sectors() -> Menu {
    Menu {
        body: "Olá, Maria! Com qual setor você quer falar?".into(),
        header: None,
        footer: None,
        button_label: None,
        options: vec![
            option("fila:vendas", "🛒 Vendas"),
            option("fila:suporte", "🛠️ Suporte"),
            option("fila:financeiro", "💰 Financeiro"),
        ],
    }
}

#[test]
fn text_is_plain_and_may_quote() {
    let payload = OutboundPayload::Text {
        body: "<b>oi</b> & tchau".into(),
    };
    let (method, body) = telegram::request(MARIA, &payload, None).expect("request");
    assert_eq!(method, "sendMessage");
    assert_eq!(
        body,
        json!({"chat_id": 6093847561_i64, "text": "<b>oi</b> & tchau"})
    );
    assert_eq!(body, telegram::text(MARIA, "<b>oi</b> & tchau"));

    let (_, quoted) = telegram::request(MARIA, &payload, Some("6093847561:1021")).expect("request");
    assert_eq!(
        quoted["reply_parameters"],
        json!({"message_id": 1021, "allow_sending_without_reply": true})
    );
    let (_, tap) =
        telegram::request(MARIA, &payload, Some("callback:2617583049283746152")).expect("request");
    assert!(tap.get("reply_parameters").is_none());

    let (_, channel) = telegram::request("@padaria", &payload, None).expect("request");
    assert_eq!(channel["chat_id"], "@padaria");
}

#[test]
fn a_menu_is_an_inline_keyboard_one_button_a_row() {
    let expected = fixture("send-message-inline-keyboard.json");
    let (method, body) = telegram::request(
        MARIA,
        &OutboundPayload::Menu(sectors()),
        Some("6093847561:1021"),
    )
    .expect("request");
    assert_eq!(method, "sendMessage");
    assert_eq!(body["chat_id"], expected["chat_id"]);
    assert_eq!(
        body["reply_parameters"]["message_id"],
        expected["reply_parameters"]["message_id"]
    );
    assert_eq!(body["text"], "Olá, Maria! Com qual setor você quer falar?");
    assert!(body.get("parse_mode").is_none());
    // The fixture's callback buttons, each in a row of its own (its URL button is not a menu option).
    let buttons: Vec<Value> = expected["reply_markup"]["inline_keyboard"]
        .as_array()
        .expect("rows")
        .iter()
        .flat_map(|row| row.as_array().expect("row").clone())
        .filter(|b| b.get("callback_data").is_some())
        .map(|b| json!([b]))
        .collect();
    assert_eq!(body["reply_markup"], json!({"inline_keyboard": buttons}));
}

#[test]
fn header_and_footer_frame_the_body() {
    let mut m = sectors();
    m.header = Some("Padaria Estrela".into());
    m.footer = Some("Atendimento de seg. a sáb.".into());
    m.options[0].description = Some("não aparece".into());
    let (_, body) = telegram::request(MARIA, &OutboundPayload::Menu(m), None).expect("request");
    assert_eq!(
        body["text"],
        "Padaria Estrela\n\nOlá, Maria! Com qual setor você quer falar?\n\nAtendimento de seg. a sáb."
    );
    assert!(!body.to_string().contains("não aparece"));
}

#[test]
fn long_option_ids_get_a_short_stable_callback() {
    let long = format!("fluxo_boas_vindas:{}", "x".repeat(60));
    assert!(long.len() > telegram::CALLBACK_DATA_MAX_BYTES);
    let data = telegram::callback_data(&long);
    assert!(data.len() <= telegram::CALLBACK_DATA_MAX_BYTES);
    assert!(data.starts_with("sha256:"));
    assert_eq!(data, telegram::callback_data(&long));
    assert_ne!(data, telegram::callback_data(&format!("{long}y")));
    // 64 bytes (not characters) is the limit.
    let accented = "ç".repeat(32);
    assert_eq!(telegram::callback_data(&accented), accented);
    assert_ne!(telegram::callback_data(&"ç".repeat(33)), "ç".repeat(33));

    let mut m = sectors();
    m.options.push(option(&long, "Outro"));
    let (_, body) =
        telegram::request(MARIA, &OutboundPayload::Menu(m.clone()), None).expect("request");
    let sent = body["reply_markup"]["inline_keyboard"][3][0]["callback_data"]
        .as_str()
        .expect("data");
    assert_eq!(sent, data);
    assert_eq!(
        telegram::option_for_callback(&m, sent).map(|o| &*o.id),
        Some(long.as_str())
    );
    assert_eq!(telegram::option_for_callback(&m, "fila:nada"), None);
}

#[test]
fn a_tap_resolves_to_the_option_sent() {
    let update = common::fixture("telegram/update-callback-query.json");
    let Ok(Some(InboundEvent::Message(tap))) = telegram_update(&update) else {
        panic!("not a tap")
    };
    let chosen = tap.interactive_reply.expect("choice");
    let menu = sectors();
    let option = telegram::option_for_callback(&menu, &chosen.id).expect("option");
    assert_eq!(option.id, "fila:suporte");
    assert_eq!(option.title, chosen.title);
}

fn telegram_update(body: &[u8]) -> Result<Option<InboundEvent>, ParseError> {
    saw_channels::telegram::parse_update_at(
        body,
        chrono::DateTime::from_timestamp(1795518600, 0).expect("time"),
    )
}

fn media(kind: MediaKind, mime: &str) -> MediaPayload {
    MediaPayload {
        kind,
        provider_media_id: Some(
            "AwACAgEAAxkBAAIECWahgxyxt1xle65f8aHwG-x-2iQEqXNnNFO_Ri1QzLkm".into(),
        ),
        mime_type: mime.into(),
        filename: Some("arquivo".into()),
        caption: Some("Segue".into()),
    }
}

#[test]
fn media_are_resent_by_file_id() {
    let cases = [
        (MediaKind::Image, "image/jpeg", "sendPhoto", "photo"),
        (
            MediaKind::Document,
            "application/pdf",
            "sendDocument",
            "document",
        ),
        (
            MediaKind::Audio,
            "audio/ogg; codecs=opus",
            "sendVoice",
            "voice",
        ),
        (MediaKind::Audio, "audio/mpeg", "sendAudio", "audio"),
        (MediaKind::Video, "video/mp4", "sendVideo", "video"),
        (MediaKind::Sticker, "image/webp", "sendSticker", "sticker"),
    ];
    for (kind, mime, method, field) in cases {
        let m = media(kind, mime);
        assert_eq!(telegram::upload_method_and_field(&m), (method, field));
        let (sent, body) =
            telegram::request(MARIA, &OutboundPayload::Media(m.clone()), Some("1021"))
                .expect("request");
        assert_eq!(sent, method);
        assert_eq!(body[field], m.provider_media_id.clone().unwrap().as_str());
        assert_eq!(body["chat_id"], 6093847561_i64);
        assert_eq!(body["reply_parameters"]["message_id"], 1021);
        if kind == MediaKind::Sticker {
            assert!(body.get("caption").is_none());
        } else {
            assert_eq!(body["caption"], "Segue");
        }
    }
}

#[test]
fn media_without_a_file_id_are_uploaded() {
    let mut m = media(MediaKind::Document, "application/pdf");
    m.provider_media_id = None;
    assert_eq!(
        telegram::request(MARIA, &OutboundPayload::Media(m.clone()), None),
        Err(Unsupported::MediaNotUploaded)
    );
    let upload = telegram::upload(MARIA, &m, Some("6093847561:1021"));
    assert_eq!(upload.method, "sendDocument");
    assert_eq!(upload.file_field, "document");
    let names: Vec<&str> = upload.fields.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["chat_id", "caption", "reply_parameters"]);
    assert_eq!(upload.fields[0].1, MARIA);
    assert_eq!(upload.fields[1].1, "Segue");
    let reply: Value = serde_json::from_str(&upload.fields[2].1).expect("JSON");
    assert_eq!(
        reply,
        json!({"message_id": 1021, "allow_sending_without_reply": true})
    );
}

#[test]
fn templates_are_refused() {
    let template = TemplatePayload {
        name: "confirmacao_agendamento".into(),
        language: "pt_BR".into(),
        body_params: vec![],
        header_params: vec![],
        button_payloads: vec![],
    };
    assert_eq!(
        telegram::request(MARIA, &OutboundPayload::Template(template), None),
        Err(Unsupported::Template)
    );
}

#[test]
fn callback_answers_and_webhook_calls() {
    assert_eq!(
        telegram::answer_callback_query(
            "2617583049283746152",
            Some("Certo! Vou te transferir para o Suporte.")
        ),
        fixture("answer-callback-query.json")
    );
    assert_eq!(
        telegram::answer_callback_query("2617583049283746152", None),
        json!({"callback_query_id": "2617583049283746152"})
    );
    let long = "a".repeat(250);
    let toast = telegram::answer_callback_query("1", Some(&long));
    assert_eq!(toast["text"].as_str().unwrap().chars().count(), 200);

    assert_eq!(
        telegram::set_webhook(
            "https://saw.example/webhooks/telegram/7712345678",
            "s3cr3t_-"
        ),
        json!({
            "url": "https://saw.example/webhooks/telegram/7712345678",
            "secret_token": "s3cr3t_-",
            "allowed_updates": ["message", "edited_message", "callback_query"],
        })
    );
    assert_eq!(
        telegram::delete_webhook(),
        json!({"drop_pending_updates": false})
    );
}

#[test]
fn get_me_and_get_file() {
    let bot =
        telegram::parse_get_me(&common::fixture("telegram/response-getme.json")).expect("bot");
    assert_eq!(bot.id, 7712345678);
    assert_eq!(bot.username, "padaria_estrela_bot");
    assert_eq!(bot.first_name, "Padaria Estrela");
    assert!(matches!(
        telegram::parse_get_me(&common::fixture("telegram/error-401-unauthorized.json")),
        Err(ParseError::Api {
            code: Some(401),
            ..
        })
    ));

    let file =
        telegram::parse_get_file(&common::fixture("telegram/response-getfile.json")).expect("file");
    assert_eq!(file.file_path, "voice/file_37.oga");
    assert_eq!(file.file_size, Some(21874));
    assert!(file.file_id.starts_with("AwACAgEAAxkB"));
    assert!(matches!(
        telegram::parse_get_file(br#"{"ok": true, "result": {"file_id": "x"}}"#),
        Err(ParseError::Missing { path }) if path == "result.file_path"
    ));
    assert_eq!(
        telegram::file_download_url("https://api.telegram.org/", "123:ABC", &file.file_path),
        "https://api.telegram.org/file/bot123:ABC/voice/file_37.oga"
    );
    assert_eq!(
        telegram::method_url("https://api.telegram.org", "123:ABC", "sendPhoto"),
        "https://api.telegram.org/bot123:ABC/sendPhoto"
    );
}

#[test]
fn true_answers_are_acknowledged() {
    assert_eq!(
        telegram::acknowledged(200, &common::fixture("telegram/response-true.json")),
        Ok(())
    );
    match telegram::acknowledged(
        409,
        &common::fixture("telegram/error-409-webhook-active.json"),
    ) {
        Err(SendOutcome::Retry { reason, .. }) => {
            assert!(reason.starts_with("Telegram 409: Conflict"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        telegram::acknowledged(
            401,
            &common::fixture("telegram/error-401-unauthorized.json")
        ),
        Err(SendOutcome::ChannelDown {
            reason: "Telegram 401: Unauthorized".into()
        })
    );
}

fn outcome(status: u16, file: &str) -> SendOutcome {
    telegram::outcome(status, &common::fixture(&format!("telegram/{file}")))
}

#[test]
fn send_answers_are_classified() {
    assert_eq!(
        outcome(200, "response-send-ok.json"),
        SendOutcome::Sent {
            provider_id: "6093847561:1031".into()
        }
    );
    assert!(matches!(
        outcome(401, "error-401-unauthorized.json"),
        SendOutcome::ChannelDown { .. }
    ));
    assert_eq!(
        outcome(403, "error-403-blocked.json"),
        SendOutcome::Failed {
            reason: "Telegram 403: Forbidden: bot was blocked by the user".into()
        }
    );
    assert!(matches!(
        outcome(400, "error-400-chat-not-found.json"),
        SendOutcome::Failed { .. }
    ));
    assert_eq!(
        outcome(429, "error-429.json"),
        SendOutcome::Retry {
            reason: "Telegram 429: Too Many Requests: retry after 17".into(),
            after: Some(Duration::from_secs(17)),
        }
    );
    assert!(matches!(
        telegram::outcome(502, b"<html>bad gateway</html>"),
        SendOutcome::Retry { after: None, .. }
    ));
    assert!(matches!(
        telegram::outcome(200, br#"{"ok": true, "result": true}"#),
        SendOutcome::Retry { .. }
    ));
    assert_eq!(
        outcome(403, "error-403-blocked.json").reason(),
        Some("Telegram 403: Forbidden: bot was blocked by the user")
    );
}
