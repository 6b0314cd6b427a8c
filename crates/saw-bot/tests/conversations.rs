//! Whole conversations: customer lines in, bot lines out, the final state and outcome. The
//! state goes through JSON between messages, as it does when stored with the ticket.

use chrono::{DateTime, TimeZone, Utc};
use saw_bot::flow::Flow;
use saw_bot::hours::{BusinessHours, Weekly};
use saw_bot::{BotState, Context, Input, Outcome, Record, RouteReason, Step, start, step};
use saw_core::account::Language;
use saw_core::outbound::OutboundPayload;

/// A São Paulo local time.
fn sp(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    chrono_tz::America::Sao_Paulo
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// Monday 2025-06-02, 10:00: open.
fn monday_morning() -> DateTime<Utc> {
    sp(2025, 6, 2, 10, 0)
}

/// Friday 2025-06-06, 19:00: closed until Monday.
fn friday_evening() -> DateTime<Utc> {
    sp(2025, 6, 6, 19, 0)
}

fn ctx(now: DateTime<Utc>) -> Context {
    let mut ctx = Context::new("Padaria Estrela", "2025-000123", "Atendimento geral", now);
    ctx.contact_name = Some("Maria".into());
    ctx.hours = BusinessHours {
        weekly: Weekly::weekdays(&["08:00-18:00".parse().unwrap()]),
        ..BusinessHours::default()
    };
    ctx
}

/// What a customer on a text-only channel would read.
fn shown(payload: &OutboundPayload) -> String {
    match payload {
        OutboundPayload::Text { body } => body.clone(),
        OutboundPayload::Menu(menu) => menu.numbered_text(),
        other => format!("{other:?}"),
    }
}

/// `tap:id` is a tapped option; anything else is typed.
fn input(line: &str) -> Input {
    match line.strip_prefix("tap:") {
        Some(id) => Input::Choice(id.to_owned()),
        None => Input::Text(line.to_owned()),
    }
}

/// One customer line and, for each bot reply, a piece of text it must contain.
type Turn<'a> = (&'a str, &'a [&'a str]);

struct Ending {
    outcome: Outcome,
    state: Option<BotState>,
    records: Vec<Record>,
}

/// Runs `turns` after the greeting (`greeting`: its expected replies) and returns how the
/// conversation ended.
fn converse(flow: &Flow, ctx: &Context, greeting: &[&str], turns: &[Turn<'_>]) -> Ending {
    let mut records = Vec::new();
    let check = |who: &str, step: &Step, want: &[&str]| {
        let got: Vec<String> = step.replies.iter().map(shown).collect();
        assert_eq!(got.len(), want.len(), "after {who:?}: replies {got:#?}");
        for (g, w) in got.iter().zip(want) {
            assert!(g.contains(w), "after {who:?}: {g:?} should contain {w:?}");
        }
        assert!(
            step.state.is_some() == (step.outcome == Outcome::Continue),
            "after {who:?}: {:?} with {:?}",
            step.state,
            step.outcome
        );
    };
    let first = start(flow, ctx);
    check("start", &first, greeting);
    records.extend(first.records.clone());
    let mut last = first;
    for (line, want) in turns {
        let state = last
            .state
            .as_ref()
            .unwrap_or_else(|| panic!("the bot ended before {line:?}"));
        let stored: BotState =
            serde_json::from_str(&serde_json::to_string(state).unwrap()).unwrap();
        last = step(flow, &stored, &input(line), ctx);
        check(line, &last, want);
        records.extend(last.records.clone());
    }
    Ending {
        outcome: last.outcome,
        state: last.state,
        records,
    }
}

const GREETING: &[&str] = &[
    "Olá, Maria! Bem-vindo(a) à Padaria Estrela.",
    "1 - Comercial",
];

fn routed(queue: &str, reason: RouteReason) -> Outcome {
    Outcome::RouteToQueue {
        queue: queue.into(),
        reason,
    }
}

#[test]
fn done_when_three_levels_faq_order_number_and_suporte() {
    let flow = Flow::example(Language::PtBr);
    let end = converse(
        &flow,
        &ctx(monday_morning()),
        GREETING,
        &[
            (
                "qual o horario de vcs?",
                &[
                    "Atendemos de segunda a sexta",
                    "Posso ajudar em algo mais?\n\n1 - Sim\n2 - Não, obrigado",
                ],
            ),
            ("sim", &["Como podemos ajudar?"]),
            (
                "suprte",
                &[
                    "Certo, suporte. Sobre o que é?\n\n1 - Status do pedido\n2 - Problema com um produto\n\nDigite 0 para voltar",
                ],
            ),
            ("2", &["Que tipo de problema?\n\n1 - Produto com defeito"]),
            ("produto com defeito", &["Qual o número do seu pedido?"]),
            (
                "12345",
                &["Encaminhei sua conversa para Suporte. Seu protocolo é 2025-000123."],
            ),
        ],
    );
    assert_eq!(end.outcome, routed("Suporte", RouteReason::Option));
    assert_eq!(end.state, None);
    assert_eq!(
        end.records,
        [
            Record::AutoReply { rule: 0 },
            Record::OptionChosen {
                menu: "inicio".into(),
                option: "suporte".into()
            },
            Record::OptionChosen {
                menu: "suporte".into(),
                option: "produto".into()
            },
            Record::OptionChosen {
                menu: "produto".into(),
                option: "defeito".into()
            },
            Record::FieldCollected {
                field: "pedido".into(),
                value: "12345".into()
            },
        ]
    );
}

#[test]
fn out_of_hours_tells_when_the_team_is_back() {
    let flow = Flow::example(Language::PtBr);
    let end = converse(
        &flow,
        &ctx(friday_evening()),
        GREETING,
        &[
            ("tap:suporte", &["Sobre o que é?"]),
            ("tap:pedido", &["Qual o número do seu pedido?"]),
            (
                "Pedido 98765",
                &[
                    "Seu protocolo é 2025-000123.",
                    "Estamos fora do horário de atendimento agora. Voltamos segunda-feira às 08:00.",
                ],
            ),
        ],
    );
    assert_eq!(end.outcome, routed("Suporte", RouteReason::Option));
}

#[test]
fn a_queue_with_its_own_hours() {
    let flow = Flow::example(Language::PtBr);
    let mut ctx = ctx(monday_morning());
    ctx.queue_hours.insert(
        "Comercial".into(),
        BusinessHours {
            weekly: Weekly::weekdays(&["13:00-18:00".parse().unwrap()]),
            ..BusinessHours::default()
        },
    );
    ctx.queue_position = Some(3);
    let end = converse(
        &flow,
        &ctx,
        GREETING,
        &[(
            "comercial",
            &[
                "Encaminhei sua conversa para Comercial. Seu protocolo é 2025-000123. Sua posição na fila: 3.",
                "Voltamos hoje às 13:00.",
            ],
        )],
    );
    assert_eq!(end.outcome, routed("Comercial", RouteReason::Option));
}

#[test]
fn nothing_more_resolves_the_ticket() {
    let flow = Flow::example(Language::PtBr);
    let end = converse(
        &flow,
        &ctx(monday_morning()),
        GREETING,
        &[
            (
                "3",
                &["Atendemos de segunda a sexta", "Posso ajudar em algo mais?"],
            ),
            ("não, obrigado!", &["Obrigado pelo contato, Maria!"]),
        ],
    );
    assert_eq!(end.outcome, Outcome::Resolved);
    assert_eq!(
        end.records,
        [Record::OptionChosen {
            menu: "inicio".into(),
            option: "horario".into()
        }]
    );
}

#[test]
fn naming_an_option_answers_anything_else() {
    let flow = Flow::example(Language::PtBr);
    let end = converse(
        &flow,
        &ctx(monday_morning()),
        GREETING,
        &[
            (
                "horário de atendimento",
                &["Atendemos", "Posso ajudar em algo mais?"],
            ),
            (
                "talvez",
                &[
                    "Desculpe, não entendi. Responda com o número ou o nome de uma das opções.\n\nPosso ajudar em algo mais?",
                ],
            ),
            (
                "quero falar com um atendente",
                &["Encaminhei sua conversa para Atendimento geral."],
            ),
        ],
    );
    assert_eq!(end.outcome, routed("Atendimento geral", RouteReason::Human));
}

#[test]
fn navigation_back_and_start_over() {
    let flow = Flow::example(Language::PtBr);
    let end = converse(
        &flow,
        &ctx(monday_morning()),
        GREETING,
        &[
            ("2", &["Sobre o que é?"]),
            ("2", &["Que tipo de problema?"]),
            ("0", &["Sobre o que é?"]),
            ("voltar", &["Como podemos ajudar?"]),
            ("voltar", &["Como podemos ajudar?"]),
            ("Suporte", &["Sobre o que é?"]),
            ("tap:produto", &["Que tipo de problema?"]),
            ("#", &["Como podemos ajudar?"]),
            ("2", &["Sobre o que é?"]),
            ("1", &["Qual o número do seu pedido?"]),
            ("voltar", &["Sobre o que é?"]),
            ("menu", &["Como podemos ajudar?"]),
        ],
    );
    assert_eq!(end.outcome, Outcome::Continue);
    let state = end.state.unwrap();
    assert_eq!((state.menu.as_str(), state.trail.len()), ("inicio", 0));
}

#[test]
fn misses_hint_then_hand_over_to_a_person() {
    let flow = Flow::example(Language::PtBr);
    let end = converse(
        &flow,
        &ctx(monday_morning()),
        GREETING,
        &[
            (
                "banana",
                &[
                    "Desculpe, não entendi. Responda com o número ou o nome de uma das opções.\n\nComo podemos ajudar?",
                ],
            ),
            ("9", &["Desculpe, não entendi."]),
            (
                "🙂",
                &[
                    "Não consegui entender. Vou chamar um atendente",
                    "Encaminhei sua conversa para Atendimento geral.",
                ],
            ),
        ],
    );
    assert_eq!(
        end.outcome,
        routed("Atendimento geral", RouteReason::TooManyMisses)
    );
    assert_eq!(end.records, [Record::Miss, Record::Miss, Record::Miss]);
}

#[test]
fn a_match_resets_the_misses() {
    let flow = Flow::example(Language::PtBr);
    let end = converse(
        &flow,
        &ctx(monday_morning()),
        GREETING,
        &[
            ("banana", &["Desculpe"]),
            ("banana", &["Desculpe"]),
            ("2", &["Sobre o que é?"]),
            ("banana", &["Desculpe"]),
            ("banana", &["Desculpe"]),
        ],
    );
    assert_eq!(end.outcome, Outcome::Continue);
}

#[test]
fn opting_out_ends_the_bot() {
    let flow = Flow::example(Language::PtBr);
    let end = converse(
        &flow,
        &ctx(monday_morning()),
        GREETING,
        &[
            ("2", &["Sobre o que é?"]),
            (
                "SAIR",
                &["Pronto, você não vai mais receber mensagens nossas."],
            ),
        ],
    );
    assert_eq!(end.outcome, Outcome::OptedOut);
    assert_eq!(end.state, None);
}

#[test]
fn a_tap_on_an_older_menu_still_counts() {
    let flow = Flow::example(Language::PtBr);
    let end = converse(
        &flow,
        &ctx(monday_morning()),
        GREETING,
        &[
            ("2", &["Sobre o que é?"]),
            (
                "tap:comercial",
                &["Encaminhei sua conversa para Comercial."],
            ),
        ],
    );
    assert_eq!(end.outcome, routed("Comercial", RouteReason::Option));
}

#[test]
fn an_unknown_name_leaves_no_gap() {
    let flow = Flow::example(Language::PtBr);
    let mut ctx = ctx(monday_morning());
    ctx.contact_name = None;
    converse(
        &flow,
        &ctx,
        &[
            "Olá! Bem-vindo(a) à Padaria Estrela.",
            "Como podemos ajudar?",
        ],
        &[],
    );
}

#[test]
fn the_english_example() {
    let flow = Flow::example(Language::En);
    let mut ctx = ctx(friday_evening());
    ctx.language = Language::En;
    let end = converse(
        &flow,
        &ctx,
        &["Hello, Maria! Welcome to Padaria Estrela.", "1 - Sales"],
        &[
            ("support", &["What is it about?"]),
            ("order status", &["What is your order number?"]),
            (
                "A-123",
                &[
                    "Your protocol number is 2025-000123.",
                    "We'll be back on Monday at 08:00.",
                ],
            ),
        ],
    );
    assert_eq!(end.outcome, routed("Suporte", RouteReason::Option));
}

const FORM: &str = r#"
name: Cadastro
greeting: "Oi{{#nome}}, {{nome}}{{/nome}}!"
menu: inicio
max_misses: 2
menus:
  - id: inicio
    text: O que deseja?
    options:
      - id: cadastro
        title: Cadastro
        action:
          ask:
            field: nome
            kind: name
            prompt: Qual o seu nome?
            then:
              ask:
                field: documento
                kind: cpf_cnpj
                prompt: "Obrigado, {{nome}}. Qual o seu CPF ou CNPJ?"
                then:
                  ask: { field: email, kind: email, prompt: "E o seu e-mail?", then: human }
auto_replies:
  - keywords: [pix]
    answer: "Nossa chave pix é o CNPJ."
"#;

#[test]
fn questions_check_and_store_answers() {
    let flow = Flow::from_yaml(FORM).unwrap();
    let mut ctx = ctx(monday_morning());
    ctx.contact_name = None;
    let end = converse(
        &flow,
        &ctx,
        &["Oi!", "O que deseja?"],
        &[
            ("1", &["Qual o seu nome?"]),
            ("12", &["Não entendi seu nome."]),
            (
                "Maria Silva",
                &["Obrigado, Maria Silva. Qual o seu CPF ou CNPJ?"],
            ),
            (
                "qual o pix?",
                &["Nossa chave pix é o CNPJ.", "Qual o seu CPF ou CNPJ?"],
            ),
            ("529.982.247-24", &["Esse CPF/CNPJ não é válido."]),
            ("52998224725", &["E o seu e-mail?"]),
            (
                "Maria@Exemplo.com",
                &["Encaminhei sua conversa para Atendimento geral."],
            ),
        ],
    );
    assert_eq!(end.outcome, routed("Atendimento geral", RouteReason::Human));
    let collected: Vec<_> = end
        .records
        .iter()
        .filter_map(|r| match r {
            Record::FieldCollected { field, value } => Some((field.as_str(), value.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        collected,
        [
            ("nome", "Maria Silva"),
            ("documento", "529.982.247-25"),
            ("email", "maria@exemplo.com")
        ]
    );
}

#[test]
fn invalid_answers_count_as_misses() {
    let flow = Flow::from_yaml(FORM).unwrap();
    let end = converse(
        &flow,
        &ctx(monday_morning()),
        &["Oi, Maria!", "O que deseja?"],
        &[
            ("cadastro", &["Qual o seu nome?"]),
            ("Maria", &["Qual o seu CPF ou CNPJ?"]),
            ("111.111.111-11", &["Esse CPF/CNPJ não é válido."]),
            (
                "tap:nada",
                &["Não consegui entender.", "Encaminhei sua conversa"],
            ),
        ],
    );
    assert_eq!(
        end.outcome,
        routed("Atendimento geral", RouteReason::TooManyMisses)
    );
}

#[test]
fn an_edited_flow_resumes_where_it_can() {
    let flow = Flow::example(Language::PtBr);
    let ctx = ctx(monday_morning());
    // The menu the customer was at is gone: start again at the first menu.
    let gone = BotState {
        menu: "promocoes".into(),
        trail: vec![],
        awaiting: Default::default(),
        misses: 2,
    };
    let s = step(&flow, &gone, &Input::Text("1".into()), &ctx);
    assert_eq!(s.state.as_ref().map(|s| s.menu.as_str()), Some("inicio"));
    assert!(shown(&s.replies[0]).contains("Como podemos ajudar?"));
    // The question is gone but its menu is not: back to that menu.
    let question: BotState = serde_json::from_str(
        r#"{"menu":"suporte","trail":["inicio"],"awaiting":{"kind":"answer","option":"sumiu","depth":0}}"#,
    )
    .unwrap();
    let s = step(&flow, &question, &Input::Text("123".into()), &ctx);
    assert_eq!(s.state.unwrap().menu, "suporte");
    // Still there: it carries on.
    let question = BotState {
        awaiting: saw_bot::Awaiting::Answer {
            option: "pedido".into(),
            depth: 0,
        },
        ..question
    };
    let s = step(&flow, &question, &Input::Text("123".into()), &ctx);
    assert_eq!(s.outcome, routed("Suporte", RouteReason::Option));
}

#[test]
fn a_flow_without_its_first_menu_hands_over() {
    let mut flow = Flow::example(Language::PtBr);
    flow.menu = "nenhum".into();
    let s = start(&flow, &ctx(monday_morning()));
    assert_eq!(
        s.outcome,
        routed("Atendimento geral", RouteReason::BrokenFlow)
    );
    assert_eq!(s.state, None);
}

#[test]
fn the_menu_payload_is_native() {
    let flow = Flow::example(Language::PtBr);
    let s = start(&flow, &ctx(monday_morning()));
    let OutboundPayload::Menu(menu) = &s.replies[1] else {
        panic!("{:?}", s.replies);
    };
    assert_eq!(menu.validate(), Ok(()));
    let ids: Vec<_> = menu.options.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["comercial", "suporte", "horario", "atendente"]);
    assert_eq!(
        menu.footer, None,
        "the first menu has nowhere to go back to"
    );
    assert_eq!(
        serde_json::to_string(&s.state).unwrap(),
        r#"{"menu":"inicio","awaiting":{"kind":"menu"}}"#
    );
}
