//! The export/import format: round trips, and refusals that name the field, the line and
//! the reason.

use saw_bot::flow::{Action, Flow, FlowError, Texts};
use saw_core::account::Language;

#[test]
fn the_example_flows_round_trip() {
    for language in Language::ALL {
        let flow = Flow::example(language);
        assert_eq!(flow.validate(), Ok(()), "{language:?}");
        let yaml = flow.to_yaml();
        assert_eq!(Flow::from_yaml(&yaml), Ok(flow), "{yaml}");
    }
}

#[test]
fn the_export_is_readable() {
    let yaml = Flow::example(Language::PtBr).to_yaml();
    for line in [
        "menu: inicio",
        "max_misses: 3",
        "- id: suporte",
        "    title: Falar com um atendente\n    action: human",
        "    action:\n      queue: Comercial",
        "    action:\n      menu: suporte",
        "      ask:\n        field: pedido\n        prompt: Qual o número do seu pedido?\n        kind: text\n        then:\n          queue: Suporte",
        "      ask_more: true",
        "  ask_more: Posso ajudar em algo mais?",
    ] {
        assert!(yaml.contains(line), "{line:?} in\n{yaml}");
    }
}

/// The shape the spec describes, written by hand with the short forms.
const HAND_WRITTEN: &str = r#"
name: Atendimento
greeting: "Olá{{#nome}}, {{nome}}{{/nome}}! Bem-vindo à {{empresa}}."
menu: inicio
menus:
  - id: inicio
    text: "Como podemos ajudar?"
    options:
      - id: comercial
        title: Comercial
        action: { queue: Comercial }
      - id: suporte
        title: Suporte
        action: { menu: suporte }
      - id: horario
        title: Horário de atendimento
        action: { answer: "Atendemos de segunda a sexta, das 8h às 18h.", ask_more: true }
      - id: humano
        title: Falar com um atendente
        action: human
  - id: suporte
    text: Sobre o que é?
    options:
      - { id: pedido, title: "Status do pedido", action: { ask: { field: pedido, prompt: "Qual o número do seu pedido?", kind: text, then: { queue: Suporte } } } }
auto_replies:
  - keywords: ["horário de atendimento", "horario", "que horas abre"]
    answer: "Atendemos de segunda a sexta, das 8h às 18h."
texts:
  goodbye: "Até logo!"
"#;

#[test]
fn short_forms_and_defaults() {
    let flow = Flow::from_yaml(HAND_WRITTEN).unwrap();
    assert_eq!(flow.max_misses, 3);
    assert_eq!(flow.texts.goodbye, "Até logo!");
    assert_eq!(flow.texts.ask_more, Texts::default().ask_more);
    assert_eq!(flow.menus[0].options[3].action, Action::Human);
    let Action::Ask(ask) = &flow.menus[1].options[0].action else {
        panic!("{:?}", flow.menus[1].options[0].action);
    };
    assert_eq!(ask.then, Action::Queue("Suporte".into()));
    assert_eq!(Flow::from_yaml(&flow.to_yaml()), Ok(flow));
}

fn problems(yaml: &str) -> Vec<String> {
    match Flow::from_yaml(yaml) {
        Err(FlowError::Invalid(problems)) => problems.iter().map(ToString::to_string).collect(),
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn every_problem_with_its_path() {
    let yaml = r#"
name: " "
greeting: "Olá{{#nome}}, {{nome}}!"
menu: comeco
max_misses: 0
menus:
  - id: inicio
    text: Como podemos ajudar?
    options:
      - { id: a, title: Suporte, action: { menu: suprte } }
      - { id: a, title: " ", action: { queue: " " } }
      - { id: " b", title: "SUPORTÉ", action: human }
  - id: inicio
    text: ""
    options: []
  - id: perguntas
    text: Dados
    options:
      - id: cpf
        title: CPF
        action: { ask: { field: "CPF do cliente", prompt: "Seu CPF?", kind: cpf_cnpj, then: { ask: { field: protocolo, prompt: "", then: { menu: nenhum } } } } }
auto_replies:
  - keywords: []
    answer: Oi
  - keywords: ["?!"]
    answer: "{{/x}}"
texts:
  ask_more_no: SIM
  ask_more_yes: sim
"#;
    assert_eq!(
        problems(yaml),
        [
            "name: must not be empty (at most 120 characters)",
            "greeting: {{#nome}} is never closed by {{/nome}}",
            "menu: no menu \"comeco\"",
            "max_misses: must be from 1 to 10",
            "menus[0].options[0].action.menu: no menu \"suprte\"",
            "menus[0].options[1].id: \"a\" is already the id of options[0]",
            "menus[0].options[1].title: must not be empty",
            "menus[0].options[1].action.queue: must name a queue",
            "menus[0].options[2].id: must not be empty, have no spaces at either end and be at most 200 characters",
            "menus[0].options[2].title: reads the same as options[0].title once accents and case are ignored",
            "menus[1].text: must not be empty",
            "menus[1].options: needs at least one option",
            "menus[2].options[0].action.ask.field: must be lower-case letters, digits and _ (e.g. pedido)",
            "menus[2].options[0].action.ask.then.ask.field: \"protocolo\" is filled in by the bot itself",
            "menus[2].options[0].action.ask.then.ask.prompt: must not be empty",
            "menus[2].options[0].action.ask.then.ask.then.menu: no menu \"nenhum\"",
            "menus[1].id: \"inicio\" is already the id of menus[0]",
            "auto_replies[0].keywords: needs at least one keyword",
            "auto_replies[1].keywords[0]: has no letters or digits to match",
            "auto_replies[1].answer: {{/x}} has no {{#x}}",
            "texts.ask_more_no: must differ from texts.ask_more_yes",
        ]
    );
}

#[test]
fn the_error_lists_every_problem() {
    let yaml = HAND_WRITTEN.replace("{ menu: suporte }", "{ menu: suprte }");
    let err = Flow::from_yaml(&yaml).unwrap_err();
    assert_eq!(
        err.to_string(),
        "menus[0].options[1].action.menu: no menu \"suprte\""
    );
}

fn yaml_error(yaml: &str) -> (Option<usize>, String) {
    match Flow::from_yaml(yaml) {
        Err(FlowError::Yaml { line, message, .. }) => (line, message),
        other => panic!("expected a YAML error, got {other:?}"),
    }
}

#[test]
fn syntax_errors_give_the_line() {
    // Line 7: a mapping where a list item continues.
    let broken = HAND_WRITTEN.replacen(
        "    options:\n      - id: comercial",
        "    options:\n      - id: comercial\n     bad: [",
        1,
    );
    let (line, message) = yaml_error(&broken);
    assert!(matches!(line, Some(9 | 10)), "{line:?}: {message}");
    assert!(message.contains("line"), "{message}");

    let (line, message) = yaml_error("name: a\nmenu: [unclosed\n");
    assert!(line.is_some(), "{message}");
}

#[test]
fn shape_errors_give_the_field_and_the_line() {
    let cases = [
        (
            HAND_WRITTEN.replace("        title: Comercial", "        titel: Comercial"),
            10,
            "unknown field `titel`",
        ),
        (
            HAND_WRITTEN.replace("action: human", "action: humano"),
            20,
            "unknown action `humano`",
        ),
        (
            HAND_WRITTEN.replace(
                "{ queue: Comercial }",
                "{ queue: Comercial, menu: suporte }",
            ),
            11,
            "exactly one of menu, queue, answer, ask",
        ),
        (
            HAND_WRITTEN.replace("{ menu: suporte }", "{ menu: suporte, ask_more: true }"),
            14,
            "`ask_more` goes with `answer` only",
        ),
        (
            HAND_WRITTEN.replace("menu: inicio\n", "menu: inicio\nmax_misses: muitas\n"),
            5,
            "max_misses",
        ),
        (
            HAND_WRITTEN.replace("kind: text", "kind: cpf"),
            24,
            "unknown variant `cpf`",
        ),
        (
            HAND_WRITTEN.replace("  goodbye:", "  godbye:"),
            29,
            "unknown field `godbye`",
        ),
    ];
    for (yaml, want_line, want) in cases {
        let (line, message) = yaml_error(&yaml);
        assert!(
            message.contains(want),
            "{message:?} should contain {want:?}"
        );
        assert_eq!(line, Some(want_line), "{message}");
    }
}

/// The example in the operators' guide is a flow SAW accepts.
#[test]
fn the_documented_example_is_a_valid_flow() {
    let guide = include_str!("../../../docs/bot.md");
    let start = guide.find("```yaml\n").expect("a YAML example") + "```yaml\n".len();
    let end = start + guide[start..].find("```").expect("its end");
    let flow = saw_bot::Flow::from_yaml(&guide[start..end]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(flow.menu, "inicio");
}
