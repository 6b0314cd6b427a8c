//! Everything the bot says that is not an option's own text, with pt-BR and English
//! defaults. A file that leaves a text out gets the pt-BR default.

use saw_core::account::Language;
use serde::{Deserialize, Serialize};

use crate::fields::FieldKind;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Texts {
    /// Before the menu again when an answer matched nothing.
    pub miss: String,
    /// The footer of a sub-menu: how to go back or start over.
    pub navigation: String,
    /// The yes/no question after an answer: "Posso ajudar em algo mais?".
    pub ask_more: String,
    /// The titles of its two options (not `yes`/`no`: YAML 1.1 tools read those keys as
    /// booleans).
    pub ask_more_yes: String,
    pub ask_more_no: String,
    /// The customer said there is nothing more; the ticket is resolved by the bot.
    pub goodbye: String,
    /// The ticket went to a queue: `{{fila}}`, `{{protocolo}}`, `{{posicao}}`.
    pub handoff: String,
    /// Added when that queue is closed: `{{reabre}}` is the next opening.
    pub out_of_hours: String,
    /// Before the handoff when the customer was not understood `max_misses` times.
    pub too_many_misses: String,
    /// The customer asked not to get proactive messages ("SAIR").
    pub opt_out: String,
    /// A bot conversation left unanswered for the account's idle time is closed with this.
    pub idle_close: String,
    /// The satisfaction question after a resolution (answered 1 to 5).
    pub csat_question: String,
    /// The answer to a rating.
    pub csat_thanks: String,
    /// Why an answer to a question was refused, per kind of field.
    pub invalid: InvalidTexts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InvalidTexts {
    pub name: String,
    pub email: String,
    pub cpf_cnpj: String,
    pub phone: String,
    pub date: String,
    pub text: String,
}

impl Default for Texts {
    fn default() -> Self {
        Texts::for_language(Language::PtBr)
    }
}

impl Default for InvalidTexts {
    fn default() -> Self {
        Texts::default().invalid
    }
}

impl InvalidTexts {
    pub fn for_kind(&self, kind: FieldKind) -> &str {
        match kind {
            FieldKind::Name => &self.name,
            FieldKind::Email => &self.email,
            FieldKind::CpfCnpj => &self.cpf_cnpj,
            FieldKind::Phone => &self.phone,
            FieldKind::Date => &self.date,
            FieldKind::Text => &self.text,
        }
    }

    /// Each text with its YAML key, for validation.
    pub fn all(&self) -> [(&'static str, &str); 6] {
        [
            ("name", &self.name),
            ("email", &self.email),
            ("cpf_cnpj", &self.cpf_cnpj),
            ("phone", &self.phone),
            ("date", &self.date),
            ("text", &self.text),
        ]
    }
}

impl Texts {
    pub fn for_language(language: Language) -> Texts {
        let s = |t: &str| t.to_owned();
        match language {
            Language::PtBr => Texts {
                miss: s(
                    "Desculpe, não entendi. Responda com o número ou o nome de uma das opções.",
                ),
                navigation: s("Digite 0 para voltar ou # para o menu inicial."),
                ask_more: s("Posso ajudar em algo mais?"),
                ask_more_yes: s("Sim"),
                ask_more_no: s("Não, obrigado"),
                goodbye: s(
                    "Obrigado pelo contato{{#nome}}, {{nome}}{{/nome}}! Quando precisar, é só chamar.",
                ),
                handoff: s(
                    "Certo! Encaminhei sua conversa para {{fila}}. Seu protocolo é {{protocolo}}.{{#posicao}} Sua posição na fila: {{posicao}}.{{/posicao}}",
                ),
                out_of_hours: s(
                    "Estamos fora do horário de atendimento agora.{{#reabre}} Voltamos {{reabre}}.{{/reabre}} Sua mensagem fica na fila e responderemos assim que possível.",
                ),
                too_many_misses: s(
                    "Não consegui entender. Vou chamar um atendente para ajudar você.",
                ),
                opt_out: s(
                    "Pronto, você não vai mais receber mensagens nossas. Se precisar de algo, é só escrever.",
                ),
                idle_close: s(
                    "Como não recebemos sua resposta, encerramos este atendimento. Quando precisar, é só mandar uma mensagem!",
                ),
                csat_question: s(
                    "Seu atendimento {{protocolo}} foi concluído. Como você avalia o nosso atendimento, de 1 a 5?",
                ),
                csat_thanks: s("Obrigado pela sua avaliação!"),
                invalid: InvalidTexts {
                    name: s("Não entendi seu nome. Escreva seu nome, por favor."),
                    email: s(
                        "Esse e-mail não parece válido. Envie no formato nome@exemplo.com.br.",
                    ),
                    cpf_cnpj: s("Esse CPF/CNPJ não é válido. Confira os números e envie de novo."),
                    phone: s(
                        "Esse telefone não parece válido. Envie com DDD, por exemplo (11) 98765-4321.",
                    ),
                    date: s(
                        "Não entendi a data. Envie no formato dd/mm/aaaa, por exemplo 25/12/1990.",
                    ),
                    text: s("Não recebi sua resposta. Escreva, por favor."),
                },
            },
            Language::En => Texts {
                miss: s(
                    "Sorry, I didn't understand. Reply with the number or the name of an option.",
                ),
                navigation: s("Type 0 to go back or # for the main menu."),
                ask_more: s("Can I help you with anything else?"),
                ask_more_yes: s("Yes"),
                ask_more_no: s("No, thanks"),
                goodbye: s(
                    "Thank you for getting in touch{{#nome}}, {{nome}}{{/nome}}! Write any time.",
                ),
                handoff: s(
                    "All right! Your conversation went to {{fila}}. Your protocol number is {{protocolo}}.{{#posicao}} Your place in the queue: {{posicao}}.{{/posicao}}",
                ),
                out_of_hours: s(
                    "We are closed right now.{{#reabre}} We'll be back {{reabre}}.{{/reabre}} Your message stays in the queue and we'll answer as soon as we can.",
                ),
                too_many_misses: s(
                    "I couldn't understand. I'll get someone from the team to help you.",
                ),
                opt_out: s(
                    "Done, you won't get any more messages from us. Write any time if you need something.",
                ),
                idle_close: s(
                    "As we didn't hear back from you, we closed this conversation. Write any time you need us!",
                ),
                csat_question: s(
                    "Your conversation {{protocolo}} is complete. How would you rate our service, from 1 to 5?",
                ),
                csat_thanks: s("Thank you for your rating!"),
                invalid: InvalidTexts {
                    name: s("I didn't get your name. Please write your name."),
                    email: s("That e-mail doesn't look right. Please send it as name@example.com."),
                    cpf_cnpj: s(
                        "That CPF/CNPJ is not valid. Please check the digits and send it again.",
                    ),
                    phone: s("That phone number doesn't look right. Please include the area code."),
                    date: s(
                        "I didn't get the date. Please send it as dd/mm/yyyy, e.g. 25/12/1990.",
                    ),
                    text: s("I didn't get your answer. Please write it."),
                },
            },
        }
    }

    /// Each top-level text with its YAML key, for validation.
    pub fn all(&self) -> [(&'static str, &str); 13] {
        [
            ("miss", &self.miss),
            ("navigation", &self.navigation),
            ("ask_more", &self.ask_more),
            ("ask_more_yes", &self.ask_more_yes),
            ("ask_more_no", &self.ask_more_no),
            ("goodbye", &self.goodbye),
            ("handoff", &self.handoff),
            ("out_of_hours", &self.out_of_hours),
            ("too_many_misses", &self.too_many_misses),
            ("opt_out", &self.opt_out),
            ("idle_close", &self.idle_close),
            ("csat_question", &self.csat_question),
            ("csat_thanks", &self.csat_thanks),
        ]
    }
}
