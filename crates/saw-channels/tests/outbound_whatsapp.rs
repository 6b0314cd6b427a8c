//! WhatsApp requests match the send fixtures byte for byte (as JSON values), and every
//! answer fixture is classified as protocols.md A9 says.

mod common;

use std::time::Duration;

use saw_channels::ParseError;
use saw_channels::outbound::SendOutcome;
use saw_channels::outbound::whatsapp::{self, MenuForm};
use saw_core::outbound::{
    MediaKind, MediaPayload, Menu, MenuOption, OutboundPayload, TemplatePayload,
};
use serde_json::{Value, json};

const MARIA: &str = "5511987654321";
const RECEIVED: &str = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDY3N0RGRDcyNjFEQTEzM0NFOTE5AA==";

fn fixture(file: &str) -> Value {
    serde_json::from_slice(&common::fixture(&format!("whatsapp/{file}"))).expect("JSON")
}

fn option(id: &str, title: &str, description: Option<&str>) -> MenuOption {
    MenuOption {
        id: id.into(),
        title: title.into(),
        description: description.map(Into::into),
    }
}

fn menu(body: &str, options: Vec<MenuOption>) -> Menu {
    Menu {
        body: body.into(),
        header: None,
        footer: None,
        button_label: None,
        options,
    }
}

fn send(payload: OutboundPayload) -> Value {
    whatsapp::request(MARIA, &payload, None)
}

fn options(n: usize) -> Vec<MenuOption> {
    (1..=n)
        .map(|i| option(&format!("op{i}"), &format!("Opção {i}"), None))
        .collect()
}

#[test]
fn text_matches_the_fixture() {
    let body = "Olá, Maria! Nosso horário é de segunda a sexta, das 8h às 18h, e aos sábados das 8h às 12h. 🥖";
    let payload = OutboundPayload::Text { body: body.into() };
    assert_eq!(send(payload), fixture("send-text.json"));
    assert_eq!(whatsapp::text(MARIA, body), fixture("send-text.json"));
}

#[test]
fn a_reply_quotes_by_context() {
    let mut expected = fixture("send-text-reply.json");
    // SAW never asks for link previews.
    expected["text"]["preview_url"] = json!(false);
    let payload = OutboundPayload::Text {
        body: expected["text"]["body"].as_str().expect("body").into(),
    };
    assert_eq!(whatsapp::request(MARIA, &payload, Some(RECEIVED)), expected);
}

#[test]
fn three_short_options_are_reply_buttons() {
    let m = Menu {
        body: "Olá! Sou o assistente virtual da Padaria Estrela. Como posso ajudar?".into(),
        header: Some("Padaria Estrela".into()),
        footer: Some("Toque em uma das opções abaixo".into()),
        button_label: None,
        options: vec![
            option("menu_pedido", "Fazer um pedido", None),
            option("menu_suporte", "Suporte técnico", None),
            option("menu_atendente", "Falar com atendente", None),
        ],
    };
    assert_eq!(whatsapp::menu_form(&m), MenuForm::Buttons);
    assert_eq!(
        send(OutboundPayload::Menu(m)),
        fixture("send-reply-buttons.json")
    );
}

#[test]
fn more_options_are_a_list_in_one_untitled_section() {
    let mut expected = fixture("send-list.json");
    let sections = expected["interactive"]["action"]["sections"]
        .as_array()
        .expect("sections");
    let rows: Vec<Value> = sections
        .iter()
        .flat_map(|s| s["rows"].as_array().expect("rows").clone())
        .collect();
    let m = Menu {
        body: "Escolha com qual setor você quer falar:".into(),
        header: Some("Menu principal".into()),
        footer: Some("Atendimento de seg. a sáb.".into()),
        button_label: None,
        options: rows
            .iter()
            .map(|r| {
                option(
                    r["id"].as_str().expect("id"),
                    r["title"].as_str().expect("title"),
                    r["description"].as_str(),
                )
            })
            .collect(),
    };
    expected["interactive"]["action"]["sections"] = json!([{"rows": rows}]);
    assert_eq!(whatsapp::menu_form(&m), MenuForm::List);
    assert_eq!(send(OutboundPayload::Menu(m)), expected);
}

#[test]
fn menu_forms_follow_the_limits() {
    let form = |m: &Menu| whatsapp::menu_form(m);
    assert_eq!(form(&menu("Escolha:", options(1))), MenuForm::Buttons);
    assert_eq!(form(&menu("Escolha:", options(3))), MenuForm::Buttons);
    assert_eq!(form(&menu("Escolha:", options(4))), MenuForm::List);
    assert_eq!(form(&menu("Escolha:", options(10))), MenuForm::List);
    assert_eq!(form(&menu("Escolha:", options(11))), MenuForm::Text);

    let title_21 = "Acompanhar meu pedido"; // 21 characters
    assert_eq!(title_21.chars().count(), 21);
    let m = menu("Escolha:", vec![option("a", title_21, None)]);
    assert_eq!(form(&m), MenuForm::List);
    let title_25 = "Segunda via do boleto já";
    let m = menu("Escolha:", vec![option("a", &format!("{title_25}!"), None)]);
    assert_eq!(form(&m), MenuForm::Text);
    // 24 characters with accents still fit a list row.
    let m = menu("Escolha:", vec![option("a", title_25, None)]);
    assert_eq!(title_25.chars().count(), 24);
    assert_eq!(form(&m), MenuForm::List);

    let same_titles = menu(
        "Escolha:",
        vec![option("a", "Suporte", None), option("b", "Suporte", None)],
    );
    assert_eq!(form(&same_titles), MenuForm::List);

    assert_eq!(
        form(&menu(&"a".repeat(1024), options(2))),
        MenuForm::Buttons
    );
    assert_eq!(form(&menu(&"a".repeat(1025), options(2))), MenuForm::Text);
    assert_eq!(form(&menu("Escolha:", vec![])), MenuForm::Text);
}

#[test]
fn a_menu_that_fits_nothing_is_numbered_text() {
    let mut m = menu(
        "Com qual setor você quer falar?",
        vec![
            option("com", "Comercial", None),
            option("sup", "Suporte", Some("Problemas com pedidos")),
        ],
    );
    m.options.extend(options(9));
    m.header = Some("Padaria Estrela".into());
    let body = send(OutboundPayload::Menu(m.clone()));
    assert_eq!(body["type"], "text");
    let text = body["text"]["body"].as_str().expect("text");
    assert!(
        text.starts_with(
            "Com qual setor você quer falar?\n\n1 - Comercial\n2 - Suporte (Problemas com pedidos)\n3 - Opção 1\n"
        ),
        "{text}"
    );
    assert!(text.ends_with("\n11 - Opção 9"), "{text}");
    assert_eq!(text, m.numbered_text());
    assert_eq!(body["text"]["preview_url"], false);

    let quoted = whatsapp::request(MARIA, &OutboundPayload::Menu(m), Some(RECEIVED));
    assert_eq!(quoted["context"]["message_id"], RECEIVED);
}

#[test]
fn long_menu_texts_are_cut_on_character_boundaries() {
    let mut m = menu("Escolha:", options(5));
    m.header = Some("ç".repeat(61));
    m.footer = Some("é".repeat(80));
    m.button_label = Some("Escolha uma das opções abaixo".into());
    m.options[0].description = Some("ã".repeat(73));
    m.options[1].description = Some("ã".repeat(72));
    m.options[2].description = Some("  ".into());
    let body = send(OutboundPayload::Menu(m));
    let i = &body["interactive"];
    let chars = |v: &Value| v.as_str().expect("string").chars().count();
    assert_eq!(chars(&i["header"]["text"]), 60);
    assert!(i["header"]["text"].as_str().unwrap().ends_with("ç…"));
    assert_eq!(chars(&i["footer"]["text"]), 60);
    assert_eq!(i["action"]["button"], "Escolha uma das opç…");
    let rows = &i["action"]["sections"][0]["rows"];
    assert_eq!(chars(&rows[0]["description"]), 72);
    assert_eq!(rows[1]["description"], "ã".repeat(72));
    assert!(rows[2].get("description").is_none());
    assert!(i["action"]["sections"][0].get("title").is_none());
}

#[test]
fn a_blank_header_or_label_is_left_out() {
    let mut m = menu("Escolha:", options(4));
    m.header = Some(" ".into());
    m.button_label = Some("".into());
    let body = send(OutboundPayload::Menu(m));
    assert!(body["interactive"].get("header").is_none());
    assert!(body["interactive"].get("footer").is_none());
    assert_eq!(body["interactive"]["action"]["button"], "Ver opções");
}

fn media(kind: MediaKind, mime: &str) -> MediaPayload {
    MediaPayload {
        kind,
        provider_media_id: Some("9887074661892824".into()),
        mime_type: mime.into(),
        filename: None,
        caption: None,
    }
}

#[test]
fn media_go_by_id() {
    let mut image = media(MediaKind::Image, "image/jpeg");
    image.caption = Some("Cardápio da semana 🍞".into());
    assert_eq!(
        send(OutboundPayload::Media(image)),
        fixture("send-image.json")
    );

    let mut expected = fixture("send-document.json");
    let document = &mut expected["document"];
    document.as_object_mut().expect("object").remove("link");
    document["id"] = json!("1480532962733011");
    let mut pdf = media(MediaKind::Document, "application/pdf");
    pdf.provider_media_id = Some("1480532962733011".into());
    pdf.caption = Some("Segue a nota fiscal do seu pedido".into());
    pdf.filename = Some("NF-4521.pdf".into());
    assert_eq!(send(OutboundPayload::Media(pdf)), expected);
}

#[test]
fn captions_and_file_names_only_where_whatsapp_shows_them() {
    let mut voice = media(MediaKind::Audio, "audio/ogg");
    voice.caption = Some("ouve aí".into());
    voice.filename = Some("audio.ogg".into());
    assert_eq!(
        send(OutboundPayload::Media(voice))["audio"],
        json!({"id": "9887074661892824"})
    );

    let mut sticker = media(MediaKind::Sticker, "image/webp");
    sticker.caption = Some("😀".into());
    let body = send(OutboundPayload::Media(sticker));
    assert_eq!(body["type"], "sticker");
    assert_eq!(body["sticker"], json!({"id": "9887074661892824"}));

    let mut video = media(MediaKind::Video, "video/mp4");
    video.caption = Some("x".repeat(1100));
    video.filename = Some("video.mp4".into());
    let body = send(OutboundPayload::Media(video));
    assert_eq!(
        body["video"]["caption"].as_str().unwrap().chars().count(),
        1024
    );
    assert!(body["video"].get("filename").is_none());
}

#[test]
fn templates_match_the_fixture() {
    let template = TemplatePayload {
        name: "confirmacao_agendamento".into(),
        language: "pt_BR".into(),
        body_params: vec!["Maria".into(), "25/11".into(), "14h".into()],
        header_params: vec![],
        button_payloads: vec![
            "CONFIRMAR_AGENDAMENTO".into(),
            "REMARCAR_AGENDAMENTO".into(),
        ],
    };
    assert_eq!(
        send(OutboundPayload::Template(template)),
        fixture("send-template.json")
    );
}

#[test]
fn template_components_only_for_parameters_given() {
    let mut template = TemplatePayload {
        name: "hello_world".into(),
        language: "en_US".into(),
        body_params: vec![],
        header_params: vec![],
        button_payloads: vec![],
    };
    assert_eq!(
        send(OutboundPayload::Template(template.clone()))["template"],
        json!({"name": "hello_world", "language": {"code": "en_US"}})
    );
    template.header_params = vec!["#4521".into()];
    template.button_payloads = vec!["".into(), "REMARCAR".into()];
    let components = send(OutboundPayload::Template(template))["template"]["components"].clone();
    assert_eq!(
        components,
        json!([
            {"type": "header", "parameters": [{"type": "text", "text": "#4521"}]},
            {"type": "button", "sub_type": "quick_reply", "index": "1",
             "parameters": [{"type": "payload", "payload": "REMARCAR"}]},
        ])
    );
}

#[test]
fn read_receipts_and_typing() {
    assert_eq!(
        whatsapp::mark_read(RECEIVED),
        fixture("send-mark-read.json")
    );
    assert_eq!(
        whatsapp::typing_indicator(RECEIVED),
        fixture("send-typing-indicator.json")
    );
    let ok = common::fixture("whatsapp/response-success.json");
    assert_eq!(whatsapp::acknowledged(200, &ok), Ok(()));
    assert!(matches!(
        whatsapp::acknowledged(200, b"{}"),
        Err(SendOutcome::Retry { .. })
    ));
    assert!(matches!(
        whatsapp::acknowledged(401, &common::fixture("whatsapp/error-190.json")),
        Err(SendOutcome::ChannelDown { .. })
    ));
}

#[test]
fn urls() {
    let base = "https://graph.facebook.com/";
    assert_eq!(
        whatsapp::messages_url(base, "112233445566778"),
        "https://graph.facebook.com/v26.0/112233445566778/messages"
    );
    assert_eq!(
        whatsapp::media_upload_url(base, "112233445566778"),
        "https://graph.facebook.com/v26.0/112233445566778/media"
    );
    assert_eq!(
        whatsapp::media_info_url(base, "5859471419507812"),
        "https://graph.facebook.com/v26.0/5859471419507812"
    );
    assert_eq!(
        whatsapp::templates_url(base, "104952389402837"),
        "https://graph.facebook.com/v26.0/104952389402837/message_templates?fields=name,language,status,category,components&limit=100"
    );
}

#[test]
fn media_upload_and_lookup_answers() {
    assert_eq!(
        whatsapp::media_upload_fields("image/jpeg"),
        [
            ("messaging_product", "whatsapp".to_owned()),
            ("type", "image/jpeg".to_owned())
        ]
    );
    assert_eq!(whatsapp::MEDIA_UPLOAD_FILE_FIELD, "file");
    assert_eq!(
        whatsapp::parse_media_upload(&common::fixture("whatsapp/response-media-upload.json"))
            .expect("id"),
        "9887074661892824"
    );
    let info = whatsapp::parse_media_info(&common::fixture("whatsapp/response-media-url.json"))
        .expect("info");
    assert!(info.url.starts_with("https://lookaside.fbsbx.com/"));
    assert_eq!(info.mime_type, "image/jpeg");
    assert_eq!(info.file_size, Some(184362));
    assert_eq!(
        info.sha256.as_deref(),
        Some("3b8f0d3c6e2a9b1f7d4c5e8a0b2c4d6e8f1a3b5c7d9e0f2a4b6c8d0e1f3a5b7c")
    );
    let numeric = whatsapp::parse_media_info(
        br#"{"url": "https://x", "mime_type": "audio/ogg", "file_size": 10}"#,
    )
    .expect("info");
    assert_eq!((numeric.file_size, numeric.sha256), (Some(10), None));

    match whatsapp::parse_media_upload(&common::fixture("whatsapp/error-190.json")) {
        Err(ParseError::Api { code, description }) => {
            assert_eq!(code, Some(190));
            assert!(description.starts_with("WhatsApp 190: Error validating"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        whatsapp::parse_media_info(br#"{"mime_type": "image/png"}"#),
        Err(ParseError::Missing { path }) if path == "url"
    ));
}

#[test]
fn template_list_pages() {
    let body = common::fixture("local/whatsapp/response-message-templates.json");
    let (templates, next) = whatsapp::parse_templates(&body).expect("templates");
    assert_eq!(templates.len(), 3);
    assert!(next.expect("next").contains("after="));

    let t = &templates[0];
    assert_eq!(
        (&*t.name, &*t.language, &*t.status, &*t.category),
        ("confirmacao_agendamento", "pt_BR", "APPROVED", "UTILITY")
    );
    assert!(t.body_text.as_deref().unwrap().starts_with("Olá {{1}}"));
    assert_eq!(t.body_param_count, 3);
    assert_eq!(t.header_format.as_deref(), Some("TEXT"));
    assert_eq!(t.header_param_count, 1);
    assert_eq!(t.components.as_array().map(Vec::len), Some(4));

    let image = &templates[1];
    assert_eq!(image.header_format.as_deref(), Some("IMAGE"));
    assert_eq!(image.header_param_count, 0);
    assert_eq!(image.body_param_count, 2);
    assert_eq!(image.status, "PAUSED");

    let plain = &templates[2];
    assert_eq!((plain.body_param_count, plain.header_param_count), (0, 0));
    assert_eq!(plain.header_format, None);

    let (empty, next) = whatsapp::parse_templates(br#"{"data": [], "paging": {"cursors": {}}}"#)
        .expect("empty page");
    assert!(empty.is_empty() && next.is_none());
    assert!(matches!(
        whatsapp::parse_templates(&common::fixture("whatsapp/error-190.json")),
        Err(ParseError::Api {
            code: Some(190),
            ..
        })
    ));
    assert!(matches!(
        whatsapp::parse_templates(br#"{"data": [{"name": "x", "status": "APPROVED"}]}"#),
        Err(ParseError::Missing { path }) if path == "data[0].language"
    ));
}

fn outcome(status: u16, file: &str) -> SendOutcome {
    whatsapp::outcome(status, &common::fixture(&format!("whatsapp/{file}")))
}

#[test]
fn accepted_sends_give_the_wamid() {
    for file in ["response-send-ok.json", "response-send-template-ok.json"] {
        match outcome(200, file) {
            SendOutcome::Sent { provider_id } => assert!(provider_id.starts_with("wamid.")),
            other => panic!("{file}: {other:?}"),
        }
    }
    assert!(matches!(
        whatsapp::outcome(200, b"{}"),
        SendOutcome::Retry { .. }
    ));
}

#[test]
fn error_fixtures_are_classified_by_code() {
    match outcome(401, "error-190.json") {
        SendOutcome::ChannelDown { reason } => {
            assert!(
                reason.starts_with("WhatsApp 190: Error validating access token"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        outcome(429, "error-130429.json"),
        SendOutcome::Retry { after: None, .. }
    ));
    assert_eq!(
        outcome(400, "error-131056.json"),
        SendOutcome::Retry {
            reason: "WhatsApp 131056: Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.".into(),
            after: Some(Duration::from_secs(6)),
        }
    );
    match outcome(400, "error-131047.json") {
        SendOutcome::Failed { reason } => {
            assert!(
                reason.starts_with("WhatsApp 131047: Message failed"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        outcome(400, "error-131026.json"),
        SendOutcome::Failed { .. }
    ));
    match outcome(404, "error-132001.json") {
        SendOutcome::Failed { reason } => assert!(reason.contains("pt_BR"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_code_wins_over_the_http_status() {
    let body = |code: i64| format!(r#"{{"error": {{"code": {code}, "message": "x"}}}}"#);
    for code in [0, 3, 10, 200, 250, 299, 368, 131031, 131042, 133010] {
        assert!(
            matches!(
                whatsapp::outcome(400, body(code).as_bytes()),
                SendOutcome::ChannelDown { .. }
            ),
            "{code}"
        );
    }
    for code in [1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004] {
        assert!(
            matches!(
                whatsapp::outcome(400, body(code).as_bytes()),
                SendOutcome::Retry { .. }
            ),
            "{code}"
        );
    }
    for code in [100, 131008, 131009, 131051, 132000] {
        assert!(
            matches!(
                whatsapp::outcome(500, body(code).as_bytes()),
                SendOutcome::Failed { .. }
            ),
            "{code}"
        );
    }
}

#[test]
fn answers_without_an_error_body_fall_back_to_the_status() {
    let html = b"<html>bad gateway</html>";
    assert!(matches!(
        whatsapp::outcome(502, html),
        SendOutcome::Retry { .. }
    ));
    assert!(matches!(
        whatsapp::outcome(429, b""),
        SendOutcome::Retry { .. }
    ));
    assert!(matches!(
        whatsapp::outcome(401, html),
        SendOutcome::ChannelDown { .. }
    ));
    assert!(matches!(
        whatsapp::outcome(400, html),
        SendOutcome::Failed { .. }
    ));
}

#[test]
fn graph_errors_keep_the_trace_id() {
    let e = whatsapp::graph_error(&common::fixture("whatsapp/error-130429.json")).expect("error");
    assert_eq!(e.code, 130429);
    assert_eq!(e.subcode, Some(2494055));
    assert_eq!(e.fbtrace_id.as_deref(), Some("A7x2KqP9mZr4TsV1wYb3nQe"));
    assert_eq!(
        whatsapp::error_reason(&common::fixture("whatsapp/error-130429.json")).as_deref(),
        Some("WhatsApp 130429: Cloud API message throughput has been reached.")
    );
    assert_eq!(
        whatsapp::error_reason(&common::fixture("whatsapp/response-send-ok.json")),
        None
    );
}
