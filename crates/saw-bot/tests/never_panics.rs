//! Whatever customers send, in whatever order, from whatever stored state: the bot never
//! panics, and after every step the ticket has either a bot state or an outcome that ends
//! the bot (a queue, resolved, opted out).

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use saw_bot::flow::{Action, Flow};
use saw_bot::hours::{BusinessHours, Weekly};
use saw_bot::{Awaiting, BotState, Context, Input, Outcome, Step, start, step};
use saw_core::account::Language;
use saw_core::outbound::OutboundPayload;

const QUESTIONS: &str = r#"
name: Perguntas
menu: inicio
max_misses: 2
menus:
  - id: inicio
    text: "Olá{{#nome}} {{nome}}{{/nome}}, escolha:"
    options:
      - id: dados
        title: Meus dados
        action:
          ask:
            field: documento
            kind: cpf_cnpj
            prompt: Seu CPF ou CNPJ?
            then:
              ask: { field: nascimento, kind: date, prompt: "Data de nascimento?", then: { menu: fim } }
      - { id: tel, title: Telefone, action: { ask: { field: tel, kind: phone, prompt: "Telefone?", then: { answer: "Anotado: {{tel}}", ask_more: true } } } }
      - { id: mail, title: E-mail, action: { ask: { field: email, kind: email, prompt: "E-mail?", then: human } } }
  - id: fim
    text: Pronto. Algo mais?
    options:
      - { id: volta, title: Voltar ao início, action: { menu: inicio } }
      - { id: nome, title: Meu nome, action: { ask: { field: nome, kind: name, prompt: "Nome?", then: { queue: Cadastro } } } }
auto_replies:
  - keywords: [pix, segunda via]
    answer: Chave pix no site.
"#;

fn flows() -> Vec<(Flow, bool)> {
    let mut broken = Flow::example(Language::PtBr);
    broken.max_misses = 0;
    broken.menus[0].options[1].action = Action::Menu("sumiu".into());
    broken.menus[1].options.clear();
    broken.texts.miss.clear();
    vec![
        (Flow::example(Language::PtBr), true),
        (Flow::example(Language::En), true),
        (Flow::from_yaml(QUESTIONS).unwrap(), true),
        (broken, false),
    ]
}

const WORDS: &[&str] = &[
    "",
    " ",
    "#",
    "0",
    "1",
    "2",
    "3",
    "4",
    "9",
    "2.",
    "2)",
    "voltar",
    "menu",
    "início",
    "sair",
    "SAIR",
    "stop",
    "sim",
    "s",
    "não",
    "n",
    "obrigado",
    "ok",
    "suporte",
    "SUPORTE",
    "suprte",
    "comercial",
    "horário de atendimento",
    "qual o horario de vcs?",
    "falar com um atendente",
    "produto",
    "12345",
    "529.982.247-25",
    "111.111.111-11",
    "11.222.333/0001-81",
    "25/12/1990",
    "31/02/2020",
    "(11) 98765-4321",
    "maria@exemplo.com",
    "Maria Silva",
    "pix",
    "🙂",
    "{{nome}}",
    "{{#x}}",
];

const IDS: &[&str] = &[
    "comercial",
    "suporte",
    "horario",
    "atendente",
    "pedido",
    "produto",
    "defeito",
    "troca",
    "outro",
    "sim",
    "nao",
    "dados",
    "tel",
    "mail",
    "volta",
    "nome",
    "inexistente",
    "",
];

fn an_input() -> impl Strategy<Value = Input> {
    prop_oneof![
        4 => prop::sample::select(WORDS).prop_map(|w| Input::Text(w.to_owned())),
        2 => ".{0,30}".prop_map(Input::Text),
        2 => prop::sample::select(IDS).prop_map(|id| Input::Choice(id.to_owned())),
        1 => ".{0,10}".prop_map(Input::Choice),
        1 => Just(Input::Other),
    ]
}

fn a_state() -> impl Strategy<Value = BotState> {
    let menu = prop_oneof![
        prop::sample::select(&["inicio", "suporte", "produto", "fim", "x"][..])
            .prop_map(str::to_owned),
        ".{0,8}",
    ];
    let awaiting = prop_oneof![
        Just(Awaiting::Menu),
        Just(Awaiting::AnythingElse),
        (prop::sample::select(IDS), any::<u32>()).prop_map(|(option, depth)| Awaiting::Answer {
            option: option.to_owned(),
            depth: depth % 4,
        }),
        (".{0,5}", any::<u32>()).prop_map(|(option, depth)| Awaiting::Answer { option, depth }),
    ];
    (
        menu,
        prop::collection::vec("[a-z]{0,8}", 0..4),
        awaiting,
        any::<u32>(),
    )
        .prop_map(|(menu, trail, awaiting, misses)| BotState {
            menu,
            trail,
            awaiting,
            misses,
        })
}

fn a_context() -> impl Strategy<Value = Context> {
    let start: DateTime<Utc> = Utc.with_ymd_and_hms(2018, 1, 1, 0, 0, 0).unwrap();
    (
        0i64..(10 * 365 * 24 * 60),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(0u32..50),
    )
        .prop_map(move |(minutes, office, named, position)| {
            let mut ctx = Context::new(
                "Padaria",
                "P-1",
                "Geral",
                start + Duration::minutes(minutes),
            );
            if office {
                ctx.hours = BusinessHours {
                    weekly: Weekly::weekdays(&["08:00-18:00".parse().unwrap()]),
                    ..BusinessHours::default()
                };
            }
            ctx.contact_name = named.then(|| "Maria".to_owned());
            ctx.queue_position = position;
            ctx
        })
}

fn check(step: &Step, valid_flow: bool) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        step.state.is_some(),
        step.outcome == Outcome::Continue,
        "state {:?} with outcome {:?}",
        step.state,
        step.outcome
    );
    if valid_flow {
        prop_assert!(!step.replies.is_empty(), "a message without an answer");
        for reply in &step.replies {
            if let OutboundPayload::Menu(menu) = reply {
                prop_assert_eq!(menu.validate(), Ok(()));
            }
        }
    }
    Ok(())
}

fn run(
    flow: &Flow,
    valid: bool,
    first: Step,
    inputs: &[Input],
    ctx: &Context,
) -> Result<(), TestCaseError> {
    check(&first, valid)?;
    let mut last = first;
    for input in inputs {
        let Some(state) = &last.state else { break };
        let json = serde_json::to_string(state).unwrap();
        let stored: BotState = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&stored, state);
        last = step(flow, &stored, input, ctx);
        check(&last, valid)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn conversations_from_the_start(inputs in prop::collection::vec(an_input(), 0..25), ctx in a_context()) {
        for (flow, valid) in flows() {
            run(&flow, valid, start(&flow, &ctx), &inputs, &ctx)?;
        }
    }

    #[test]
    fn conversations_from_any_stored_state(
        state in a_state(),
        inputs in prop::collection::vec(an_input(), 1..15),
        ctx in a_context(),
    ) {
        for (flow, valid) in flows() {
            let first = step(&flow, &state, &inputs[0], &ctx);
            run(&flow, valid, first, &inputs[1..], &ctx)?;
        }
    }
}
