//! The offline demo: what a newcomer meets when no model is connected. In the café scene it is a
//! short script in each conversation language that shows the product: tutor lines that follow the
//! learner's turns, a common mistake corrected, goals met one a turn, a report and the meanings of
//! its words. Any other room gets a polite, generic tutor. The site says once, in a banner in the
//! interface language, that this is a demo; the lines themselves never do.

use std::collections::BTreeMap;

use crate::domain::language::{Language, UiLanguage};
use crate::domain::learner::MistakeCategory;
use crate::domain::report::Expression;
use crate::domain::room::{Feedback, Role};
use crate::domain::word::WordDetails;
use crate::services::report::{Review, ReviewedMistake};
use crate::services::suggestions::SuggestedLine;
use crate::store::{MessageRecord, RoomRecord};

/// The scene the script is written for.
pub const SCENE: &str = "cafe-order";

/// The café script of one conversation language: the tutor's opener, its answers to the first
/// three learner lines (the order, the price, here or to go), and what it says after that.
struct Script {
    tutor: [&'static str; 5],
    /// What the learner could say at each step, for the suggestions.
    learner: [&'static str; 4],
    /// A mistake learners of the language commonly make here, and its correction.
    mistake: (&'static str, &'static str),
    /// Two expressions from the tutor's lines for the report: take away, anything else.
    words: [&'static str; 2],
}

fn script(language: Language) -> Script {
    match language {
        Language::EnUs => Script {
            tutor: [
                "Hi there! What can I get you today?",
                "Coming right up! Anything else?",
                "That's four fifty. Is that for here or to go?",
                "Here you go. Enjoy your coffee, and have a great day!",
                "Is there anything else I can help you with?",
            ],
            learner: [
                "A latte, please.",
                "How much is it?",
                "To go, please.",
                "Thank you!",
            ],
            mistake: ("How much it costs?", "How much does it cost?"),
            words: ["for here or to go", "Anything else?"],
        },
        Language::JaJp => Script {
            tutor: [
                "いらっしゃいませ。なにになさいますか？",
                "かしこまりました。ほかに何かありますか？",
                "450円です。店内ですか、お持ち帰りですか？",
                "どうぞ。ありがとうございました！",
                "ほかに何かありますか？",
            ],
            learner: [
                "ラテをください。",
                "いくらですか？",
                "持ち帰りでお願いします。",
                "ありがとうございます。",
            ],
            mistake: ("ラテがください。", "ラテをください。"),
            words: ["お持ち帰り", "ほかに何かありますか"],
        },
        Language::KoKr => Script {
            tutor: [
                "어서 오세요! 뭐 드릴까요?",
                "네, 알겠습니다. 더 필요한 거 있으세요?",
                "4,500원입니다. 드시고 가세요, 아니면 포장해 드릴까요?",
                "여기 있습니다. 맛있게 드세요!",
                "더 필요하신 거 있으세요?",
            ],
            learner: [
                "라테 한 잔 주세요.",
                "얼마예요?",
                "포장해 주세요.",
                "감사합니다.",
            ],
            mistake: ("라테가 주세요.", "라테를 주세요."),
            words: ["포장", "더 필요한 거 있으세요?"],
        },
        Language::ZhCn => Script {
            tutor: [
                "你好！请问要喝点什么？",
                "好的。还要别的吗？",
                "一共二十八块。在这儿喝还是带走？",
                "给您。请慢用！",
                "还需要别的吗？",
            ],
            learner: ["我要一杯拿铁。", "多少钱？", "带走。", "谢谢！"],
            mistake: ("我要一个拿铁。", "我要一杯拿铁。"),
            words: ["带走", "还要别的吗？"],
        },
        Language::EsEs => Script {
            tutor: [
                "¡Hola! ¿Qué te pongo?",
                "Muy bien. ¿Algo más?",
                "Son tres euros. ¿Para tomar aquí o para llevar?",
                "Aquí tienes. ¡Que aproveche!",
                "¿Necesitas algo más?",
            ],
            learner: [
                "Un café con leche, por favor.",
                "¿Cuánto es?",
                "Para llevar, por favor.",
                "¡Gracias!",
            ],
            mistake: (
                "Una café con leche, por favor.",
                "Un café con leche, por favor.",
            ),
            words: ["para llevar", "¿Algo más?"],
        },
        Language::FrFr => Script {
            tutor: [
                "Bonjour ! Qu'est-ce que je vous sers ?",
                "Très bien. Et avec ceci ?",
                "Ça fait quatre euros. Sur place ou à emporter ?",
                "Voilà. Bonne journée !",
                "Vous désirez autre chose ?",
            ],
            learner: [
                "Un café crème, s'il vous plaît.",
                "C'est combien ?",
                "À emporter, s'il vous plaît.",
                "Merci !",
            ],
            mistake: (
                "Une café crème, s'il vous plaît.",
                "Un café crème, s'il vous plaît.",
            ),
            words: ["à emporter", "Et avec ceci ?"],
        },
        Language::DeDe => Script {
            tutor: [
                "Hallo! Was darf es sein?",
                "Gern. Sonst noch etwas?",
                "Das macht vier Euro. Zum Hiertrinken oder zum Mitnehmen?",
                "Bitte schön. Einen schönen Tag noch!",
                "Darf es sonst noch etwas sein?",
            ],
            learner: [
                "Einen Milchkaffee, bitte.",
                "Was kostet das?",
                "Zum Mitnehmen, bitte.",
                "Danke schön!",
            ],
            mistake: (
                "Ich möchte ein Milchkaffee.",
                "Ich möchte einen Milchkaffee.",
            ),
            words: ["zum Mitnehmen", "Sonst noch etwas?"],
        },
    }
}

/// The tutor of any other room: polite and generic, in the room's language.
fn generic(language: Language) -> [&'static str; 2] {
    match language {
        Language::EnUs => [
            "Hello! How can I help you today?",
            "I see. Could you tell me a little more?",
        ],
        Language::JaJp => [
            "こんにちは。どうなさいましたか？",
            "なるほど。もう少し詳しく教えていただけますか？",
        ],
        Language::KoKr => [
            "안녕하세요! 무엇을 도와드릴까요?",
            "그렇군요. 조금 더 자세히 말씀해 주시겠어요?",
        ],
        Language::ZhCn => ["你好！有什么可以帮你的吗？", "我明白了。你能再多说一点吗？"],
        Language::EsEs => [
            "¡Hola! ¿En qué puedo ayudarte?",
            "Ya veo. ¿Puedes contarme un poco más?",
        ],
        Language::FrFr => [
            "Bonjour ! Comment puis-je vous aider ?",
            "Je vois. Pouvez-vous m'en dire un peu plus ?",
        ],
        Language::DeDe => [
            "Hallo! Wie kann ich Ihnen helfen?",
            "Verstehe. Können Sie mir etwas mehr erzählen?",
        ],
    }
}

fn is_scene(room: &RoomRecord) -> bool {
    room.scenario.as_deref() == Some(SCENE)
}

/// How many lines the learner has written in `history`.
fn learner_lines(history: &[MessageRecord]) -> usize {
    history
        .iter()
        .filter(|message| message.role == Role::User)
        .count()
}

/// The tutor's next line, after `history` (which holds the learner's new line, if any).
pub fn reply(room: &RoomRecord, history: &[MessageRecord]) -> String {
    let step = learner_lines(history);
    if is_scene(room) {
        script(room.language).tutor[step.min(4)].to_owned()
    } else {
        generic(room.language)[step.min(1)].to_owned()
    }
}

/// What the learner could say next (with its meaning in `ui`), after `history`.
pub fn suggestion(room: &RoomRecord, history: &[MessageRecord], ui: UiLanguage) -> SuggestedLine {
    let step = if is_scene(room) {
        learner_lines(history).min(3)
    } else {
        3
    };
    let meanings = match ui {
        UiLanguage::En => [
            "A coffee with milk, please.",
            "How much is it?",
            "To take away, please.",
            "Thank you!",
        ],
        UiLanguage::Ko => [
            "우유 들어간 커피 한 잔 주세요.",
            "얼마예요?",
            "포장해 주세요.",
            "감사합니다!",
        ],
        UiLanguage::Ja => [
            "ミルク入りのコーヒーをください。",
            "いくらですか？",
            "持ち帰りでお願いします。",
            "ありがとうございます！",
        ],
    };
    SuggestedLine {
        text: script(room.language).learner[step].to_owned(),
        translation: meanings[step].to_owned(),
    }
}

/// The demo's goals tick one a learner line: the first open goal is met once the conversation
/// has more learner lines than goals met.
pub fn goals_met(room: &RoomRecord, conversation: &[MessageRecord]) -> BTreeMap<String, bool> {
    let met = room.goals.iter().filter(|goal| goal.done).count();
    let due = learner_lines(conversation) > met;
    room.open_goals()
        .enumerate()
        .map(|(index, goal)| (goal.id.clone(), due && index == 0))
        .collect()
}

/// The same line, whatever its spacing, case and punctuation.
fn folded(line: &str) -> String {
    line.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Feedback on a learner line: the script's own lines are judged (its common mistake corrected,
/// its example lines passed); any other line is said not to be checked, and is not stored.
pub fn feedback(room: &RoomRecord, line: &str, ui: UiLanguage) -> Feedback {
    let script = script(room.language);
    let line = line.trim();
    let (wrong, right) = script.mistake;
    let (ok, corrected, explanation) = if folded(line) == folded(wrong) {
        (false, right, mistake_explanation(room.language, ui).0)
    } else if script
        .learner
        .iter()
        .any(|said| folded(said) == folded(line))
    {
        (true, line, well_said(ui))
    } else {
        return Feedback {
            checked: false,
            ok: false,
            corrected: line.to_owned(),
            better: None,
            explanation: not_checked(ui).to_owned(),
            ui_language: ui,
            category: None,
            fact: None,
            reviewed: Vec::new(),
        };
    };
    Feedback {
        checked: true,
        ok,
        corrected: corrected.to_owned(),
        better: None,
        explanation: explanation.to_owned(),
        ui_language: ui,
        category: (!ok).then(|| mistake_category(room.language)),
        fact: None,
        reviewed: Vec::new(),
    }
}

/// The kind of the script's mistake in each language.
fn mistake_category(language: Language) -> MistakeCategory {
    match language {
        Language::EnUs => MistakeCategory::WordOrder,
        Language::JaJp | Language::KoKr => MistakeCategory::Particle,
        Language::ZhCn => MistakeCategory::Counter,
        Language::EsEs | Language::FrFr => MistakeCategory::Agreement,
        Language::DeDe => MistakeCategory::Case,
    }
}

fn well_said(ui: UiLanguage) -> &'static str {
    match ui {
        UiLanguage::En => "Natural and polite: just what people say here.",
        UiLanguage::Ko => "자연스럽고 공손한 표현이에요. 이 상황에 딱 맞아요.",
        UiLanguage::Ja => "自然で丁寧な言い方です。この場面にぴったりです。",
    }
}

fn not_checked(ui: UiLanguage) -> &'static str {
    match ui {
        UiLanguage::En => {
            "The demo checks only its own example lines. With a language model connected, every line is checked."
        }
        UiLanguage::Ko => {
            "데모에서는 예시 문장만 확인해요. 언어 모델을 연결하면 모든 문장을 확인해요."
        }
        UiLanguage::Ja => {
            "デモでは例文だけを確認します。言語モデルをつなぐと、すべての文を確認します。"
        }
    }
}

/// The script's mistake explained in `ui`, and the name of its pattern.
fn mistake_explanation(language: Language, ui: UiLanguage) -> (&'static str, &'static str) {
    use UiLanguage::{En, Ja, Ko};
    match (language, ui) {
        (Language::EnUs, En) => (
            "A question with a verb like cost needs does: How much does it cost?",
            "do in questions",
        ),
        (Language::EnUs, Ko) => (
            "cost 같은 동사로 묻는 의문문에는 does가 필요해요: How much does it cost?",
            "의문문의 do",
        ),
        (Language::EnUs, Ja) => (
            "cost のような動詞の疑問文には does が必要です：How much does it cost?",
            "疑問文の do",
        ),
        (Language::JaJp, En) => (
            "ください takes を for the thing you ask for: ラテをください.",
            "を before ください",
        ),
        (Language::JaJp, Ko) => (
            "「ください」 앞에서 달라는 물건에는 が가 아니라 を를 써요: ラテをください. (한국어의 '을/를'과 같아요)",
            "「ください」 앞의 を",
        ),
        (Language::JaJp, Ja) => (
            "「ください」の前で、ほしいものには「が」ではなく「を」を使います：ラテをください。",
            "「ください」の前の「を」",
        ),
        (Language::KoKr, En) => (
            "주세요 takes 을/를 for the thing you ask for: 라테를 주세요 (or just 라테 주세요).",
            "을/를 before 주세요",
        ),
        (Language::KoKr, Ko) => (
            "'주세요' 앞에서 달라는 물건에는 '이/가'가 아니라 '을/를'을 써요: 라테를 주세요. ('라테 주세요'도 자연스러워요)",
            "'주세요' 앞의 '을/를'",
        ),
        (Language::KoKr, Ja) => (
            "「주세요」の前で、ほしいものには「이/가」ではなく「을/를」を使います：라테를 주세요。（日本語の「を」と同じです）",
            "「주세요」の前の「을/를」",
        ),
        (Language::ZhCn, En) => (
            "Drinks are counted with 杯 (cup), not 个: 一杯拿铁.",
            "the measure word 杯",
        ),
        (Language::ZhCn, Ko) => (
            "음료는 '个'가 아니라 '杯'(잔)로 세요: 一杯拿铁.",
            "양사 '杯'",
        ),
        (Language::ZhCn, Ja) => (
            "飲み物は「个」ではなく「杯」で数えます：一杯拿铁。",
            "量詞「杯」",
        ),
        (Language::EsEs | Language::FrFr, En) => {
            ("Café is masculine: un café, not una/une.", "noun gender")
        }
        (Language::EsEs | Language::FrFr, Ko) => (
            "café는 남성 명사라서 una/une가 아니라 un café라고 해요.",
            "명사의 성",
        ),
        (Language::EsEs | Language::FrFr, Ja) => (
            "café は男性名詞なので、una/une ではなく un café と言います。",
            "名詞の性",
        ),
        (Language::DeDe, En) => (
            "After möchte the drink is the object (accusative): der Kaffee becomes einen Kaffee.",
            "the accusative after möchte",
        ),
        (Language::DeDe, Ko) => (
            "möchte 뒤의 음료는 목적어(4격)라서 der Kaffee가 einen Kaffee가 돼요.",
            "möchte 뒤의 4격",
        ),
        (Language::DeDe, Ja) => (
            "möchte のあとの飲み物は目的語（4格）なので、der Kaffee は einen Kaffee になります。",
            "möchte のあとの4格",
        ),
    }
}

/// The meanings, in `ui`, of the script's two expressions: take away, anything else.
fn word_meanings(ui: UiLanguage) -> [&'static str; 2] {
    match ui {
        UiLanguage::En => [
            "to take away (not eaten or drunk in the shop)",
            "Would you like anything more?",
        ],
        UiLanguage::Ko => ["포장 (가게에서 먹지 않고 가져감)", "더 필요한 게 있나요?"],
        UiLanguage::Ja => [
            "持ち帰り（店で食べずに持って帰ること）",
            "ほかに何かいりますか？",
        ],
    }
}

/// The review of a demo conversation: its mistakes are the ones the demo's feedback corrected.
pub fn review(room: &RoomRecord, messages: &[MessageRecord], ui: UiLanguage) -> Review {
    let script = script(room.language);
    let pattern = mistake_explanation(room.language, ui).1;
    let mistakes = messages
        .iter()
        .filter(|message| message.role == Role::User)
        .filter_map(|message| {
            let feedback = message.feedback.as_ref().filter(|f| f.checked && !f.ok)?;
            Some(ReviewedMistake {
                message_id: message.id.clone(),
                corrected: feedback.corrected.clone(),
                explanation: feedback.explanation.clone(),
                pattern: pattern.to_owned(),
            })
        })
        .take(5)
        .collect();
    let meanings = word_meanings(ui);
    let vocabulary = if is_scene(room) {
        vec![
            Expression {
                text: script.words[0].to_owned(),
                meaning: meanings[0].to_owned(),
                example: script.tutor[2].to_owned(),
            },
            Expression {
                text: script.words[1].to_owned(),
                meaning: meanings[1].to_owned(),
                example: script.tutor[1].to_owned(),
            },
        ]
    } else {
        Vec::new()
    };
    let (summary, strength, next) = match ui {
        UiLanguage::En => (
            "You ordered, asked the price and said how you would take your drink. This report is part of the demo's script; with a language model connected it reviews what you really wrote.",
            "You kept each line short, clear and polite.",
            "Connect a language model to practise any scene with a real tutor.",
        ),
        UiLanguage::Ko => (
            "주문하고, 가격을 묻고, 음료를 어떻게 가져갈지 말했어요. 이 보고서는 데모의 대본이에요. 언어 모델을 연결하면 실제로 쓴 문장을 검토해요.",
            "문장을 짧고 분명하고 공손하게 말했어요.",
            "언어 모델을 연결하면 어떤 장면이든 진짜 튜터와 연습할 수 있어요.",
        ),
        UiLanguage::Ja => (
            "注文して、値段を聞き、飲み物をどうするか伝えました。このレポートはデモの台本です。言語モデルをつなぐと、実際に書いた文を振り返ります。",
            "どの文も短く、わかりやすく、丁寧でした。",
            "言語モデルをつなぐと、どの場面でも本物のチューターと練習できます。",
        ),
    };
    Review {
        summary: summary.to_owned(),
        strengths: vec![strength.to_owned()],
        mistakes,
        vocabulary,
        next_steps: vec![next.to_owned()],
        cefr_estimate: None,
    }
}

/// A word's meaning in the demo: one of the script's expressions, or none (the learner writes
/// it themselves while no model is connected).
pub fn meaning(language: Language, text: &str, ui: UiLanguage) -> Option<(String, WordDetails)> {
    let script = script(language);
    let index = script
        .words
        .iter()
        .position(|word| folded(word) == folded(text))?;
    Some((word_meanings(ui)[index].to_owned(), WordDetails::default()))
}

#[cfg(test)]
mod tests {
    use strum::VariantArray;

    use super::*;
    use crate::services::prompt::tests::room;

    fn line(id: &str, role: Role, text: &str) -> MessageRecord {
        MessageRecord::new("alice", "R", id, role, text, "t")
    }

    #[test]
    fn the_script_follows_the_learner_step_by_step_in_every_language() {
        for language in Language::VARIANTS {
            let mut room = room();
            room.language = *language;
            room.scenario = Some(SCENE.into());
            let script = script(*language);
            let mut history = Vec::new();
            assert_eq!(reply(&room, &history), script.tutor[0]);
            for step in 1..=5 {
                history.push(line("u", Role::User, "…"));
                assert_eq!(reply(&room, &history), script.tutor[step.min(4)]);
                history.push(line("a", Role::Assistant, "…"));
            }
            // No line of it is a notice: the site says once that this is a demo.
            for said in script.tutor.iter().chain(&script.learner) {
                assert!(!said.contains("demo") && !said.contains('('), "{said}");
            }
            // Its mistake is corrected, its example lines pass, anything else is unchecked.
            for ui in UiLanguage::ALL {
                let wrong = feedback(&room, &format!(" {} ", script.mistake.0), *ui);
                assert!(wrong.checked && !wrong.ok, "{}", language.code());
                assert_eq!(wrong.corrected, script.mistake.1);
                let right = feedback(&room, script.learner[1], *ui);
                assert!(right.checked && right.ok);
                let other = feedback(&room, "something else entirely", *ui);
                assert!(!other.checked);
                // The saved words have meanings; others have none to invent.
                assert!(meaning(*language, script.words[0], *ui).is_some());
                assert!(meaning(*language, "unknown", *ui).is_none());
            }
        }
    }

    #[test]
    fn goals_tick_one_a_turn_and_the_review_keeps_the_corrected_mistake() {
        let mut room = room();
        room.scenario = Some(SCENE.into());
        room.goals = crate::domain::scenarios::find(SCENE)
            .unwrap()
            .goals_at(room.level)
            .iter()
            .map(|goal| crate::domain::room::Goal {
                id: goal.id.clone(),
                text: goal.text.en.clone(),
                done: false,
                done_at: None,
                met_after: None,
            })
            .collect();
        let opener = [line("00", Role::Assistant, "…")];
        assert!(
            !goals_met(&room, &opener).values().any(|met| *met),
            "nothing is met before the learner says anything"
        );
        let answered = [opener[0].clone(), line("01", Role::User, "…")];
        let met = goals_met(&room, &answered);
        assert_eq!(met.values().filter(|met| **met).count(), 1);
        assert!(met["order"]);

        let mut wrong = line("01", Role::User, "ラテがください");
        wrong.feedback = Some(feedback(&room, &wrong.content, UiLanguage::Ko));
        let said = [line("00", Role::Assistant, "…"), wrong];
        let review = review(&room, &said, UiLanguage::Ko);
        assert_eq!(review.mistakes.len(), 1);
        assert_eq!(review.mistakes[0].corrected, "ラテをください。");
        assert_eq!(review.vocabulary[0].text, "お持ち帰り");
        assert!(review.summary.contains("데모"));
    }
}
