//! The flow of a fresh install, so a first "oi" in the sandbox already gets a menu. It
//! shows each kind of action once: queues "Comercial" and "Suporte" (which the first start
//! creates), three menu levels, an FAQ answer, a question (the order number) and "talk to a
//! person".

use saw_core::account::Language;

use super::{Action, Ask, AutoReply, Flow, FlowMenu, FlowOption, Texts};
use crate::fields::FieldKind;

fn option(id: &str, title: &str, action: Action) -> FlowOption {
    FlowOption {
        id: id.to_owned(),
        title: title.to_owned(),
        description: None,
        action,
    }
}

fn menu(id: &str, text: &str, options: Vec<FlowOption>) -> FlowMenu {
    FlowMenu {
        id: id.to_owned(),
        text: text.to_owned(),
        header: None,
        footer: None,
        button: None,
        options,
    }
}

fn ask_order(prompt: &str) -> Action {
    Action::Ask(Box::new(Ask {
        field: "pedido".to_owned(),
        prompt: prompt.to_owned(),
        kind: FieldKind::Text,
        then: Action::Queue("Suporte".to_owned()),
    }))
}

/// The words of one language.
struct Words {
    name: &'static str,
    greeting: &'static str,
    start: &'static str,
    sales: &'static str,
    support: &'static str,
    hours_title: &'static str,
    hours_answer: &'static str,
    human: &'static str,
    support_text: &'static str,
    order_status: &'static str,
    order_prompt: &'static str,
    product_problem: &'static str,
    problem_text: &'static str,
    defect: &'static str,
    exchange: &'static str,
    exchange_answer: &'static str,
    other: &'static str,
    hours_keywords: &'static [&'static str],
}

const PT: Words = Words {
    name: "Atendimento",
    greeting: "Olá{{#nome}}, {{nome}}{{/nome}}! Bem-vindo(a) à {{empresa}}.",
    start: "Como podemos ajudar? Escolha uma opção:",
    sales: "Comercial",
    support: "Suporte",
    hours_title: "Horário de atendimento",
    hours_answer: "Atendemos de segunda a sexta, das 8h às 18h.",
    human: "Falar com um atendente",
    support_text: "Certo, suporte. Sobre o que é?",
    order_status: "Status do pedido",
    order_prompt: "Qual o número do seu pedido?",
    product_problem: "Problema com um produto",
    problem_text: "Que tipo de problema?",
    defect: "Produto com defeito",
    exchange: "Troca ou devolução",
    exchange_answer: "Você pode pedir a troca ou devolução em até 7 dias após o recebimento, com a nota fiscal.",
    other: "Outro problema",
    hours_keywords: &[
        "horário de atendimento",
        "que horas abre",
        "que horas fecha",
        "aberto",
    ],
};

const EN: Words = Words {
    name: "Customer service",
    greeting: "Hello{{#nome}}, {{nome}}{{/nome}}! Welcome to {{empresa}}.",
    start: "How can we help? Choose an option:",
    sales: "Sales",
    support: "Support",
    hours_title: "Opening hours",
    hours_answer: "We are open Monday to Friday, 8 am to 6 pm.",
    human: "Talk to a person",
    support_text: "Support, then. What is it about?",
    order_status: "Order status",
    order_prompt: "What is your order number?",
    product_problem: "Problem with a product",
    problem_text: "What kind of problem?",
    defect: "Faulty product",
    exchange: "Exchange or return",
    exchange_answer: "You can ask for an exchange or a return within 7 days of delivery, with the invoice.",
    other: "Something else",
    hours_keywords: &["opening hours", "hours", "open"],
};

impl Flow {
    /// The example flow in `language`. Queue names stay "Comercial" and "Suporte": they
    /// are the queues the first start creates, whatever the language.
    pub fn example(language: Language) -> Flow {
        let w = match language {
            Language::PtBr => &PT,
            Language::En => &EN,
        };
        let hours = || Action::Answer {
            text: w.hours_answer.to_owned(),
            ask_more: true,
        };
        Flow {
            name: w.name.to_owned(),
            greeting: w.greeting.to_owned(),
            menu: "inicio".to_owned(),
            max_misses: super::DEFAULT_MAX_MISSES,
            menus: vec![
                menu(
                    "inicio",
                    w.start,
                    vec![
                        option("comercial", w.sales, Action::Queue("Comercial".to_owned())),
                        option("suporte", w.support, Action::Menu("suporte".to_owned())),
                        option("horario", w.hours_title, hours()),
                        option("atendente", w.human, Action::Human),
                    ],
                ),
                menu(
                    "suporte",
                    w.support_text,
                    vec![
                        option("pedido", w.order_status, ask_order(w.order_prompt)),
                        option(
                            "produto",
                            w.product_problem,
                            Action::Menu("produto".to_owned()),
                        ),
                    ],
                ),
                menu(
                    "produto",
                    w.problem_text,
                    vec![
                        option("defeito", w.defect, ask_order(w.order_prompt)),
                        option(
                            "troca",
                            w.exchange,
                            Action::Answer {
                                text: w.exchange_answer.to_owned(),
                                ask_more: true,
                            },
                        ),
                        option("outro", w.other, Action::Queue("Suporte".to_owned())),
                    ],
                ),
            ],
            auto_replies: vec![AutoReply {
                keywords: w.hours_keywords.iter().map(|k| (*k).to_owned()).collect(),
                answer: w.hours_answer.to_owned(),
                ask_more: true,
            }],
            texts: Texts::for_language(language),
        }
    }
}
