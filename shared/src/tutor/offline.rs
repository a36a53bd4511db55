//! The offline tutor: what the local stack and demos use when no model key is set. It streams
//! like a model and says plainly, in the room's language, that it is an offline demo.

use std::time::Duration;

use futures_util::StreamExt;

use super::TurnKind;
use super::openai::{Finish, Piece, TextStream};
use crate::domain::language::{Language, UiLanguage};

pub fn reply(language: Language, kind: TurnKind) -> String {
    let (notice, opener, reply, suggestion) = match language {
        Language::EnUs => (
            "(Offline demo: no language model is connected.)",
            "Hello! How can I help you today?",
            "I see. Could you tell me a little more?",
            "Excuse me, could you help me, please?",
        ),
        Language::JaJp => (
            "（オフラインのデモです。言語モデルにはつながっていません。）",
            "いらっしゃいませ。今日はどうなさいますか？",
            "なるほど。もう少し詳しく教えていただけますか？",
            "すみません、ちょっと手伝ってもらえますか？",
        ),
        Language::KoKr => (
            "(오프라인 데모입니다. 언어 모델이 연결되어 있지 않아요.)",
            "안녕하세요! 무엇을 도와드릴까요?",
            "그렇군요. 조금 더 자세히 말씀해 주시겠어요?",
            "저기요, 좀 도와주실 수 있나요?",
        ),
        Language::ZhCn => (
            "（离线演示：没有连接语言模型。）",
            "你好！有什么可以帮你的吗？",
            "我明白了。你能再多说一点吗？",
            "你好，可以帮我一下吗？",
        ),
        Language::EsEs => (
            "(Demo sin conexión: no hay ningún modelo de lenguaje conectado.)",
            "¡Hola! ¿En qué puedo ayudarte hoy?",
            "Ya veo. ¿Puedes contarme un poco más?",
            "Perdona, ¿me puedes ayudar?",
        ),
        Language::FrFr => (
            "(Démo hors ligne : aucun modèle de langue n'est connecté.)",
            "Bonjour ! Comment puis-je vous aider aujourd'hui ?",
            "Je vois. Pouvez-vous m'en dire un peu plus ?",
            "Excusez-moi, pouvez-vous m'aider ?",
        ),
        Language::DeDe => (
            "(Offline-Demo: Es ist kein Sprachmodell verbunden.)",
            "Hallo! Wie kann ich Ihnen heute helfen?",
            "Verstehe. Können Sie mir etwas mehr erzählen?",
            "Entschuldigung, können Sie mir helfen?",
        ),
    };
    match kind {
        TurnKind::Opener => format!("{notice} {opener}"),
        TurnKind::Reply => format!("{notice} {reply}"),
        TurnKind::Suggestion => suggestion.to_owned(),
    }
}

/// What the offline suggestion means, in the learner's language (it says the same in every
/// conversation language).
pub fn suggestion_meaning(language: UiLanguage) -> &'static str {
    match language {
        UiLanguage::Ko => "저기요, 좀 도와주실 수 있나요?",
        UiLanguage::En => "Excuse me, could you help me, please?",
        UiLanguage::Ja => "すみません、ちょっと手伝ってもらえますか？",
    }
}

/// The reply in pieces of a few characters, one every `delay`.
pub fn stream(text: String, delay: Duration) -> TextStream {
    let chars: Vec<char> = text.chars().collect();
    let pieces: Vec<String> = chars
        .chunks(4)
        .map(|piece| piece.iter().collect())
        .collect();
    let pieces = futures_util::stream::iter(pieces).then(move |piece| async move {
        tokio::time::sleep(delay).await;
        Ok(Piece::Text(piece))
    });
    let finished = futures_util::stream::once(async { Ok(Piece::Finished(Finish::default())) });
    Box::pin(pieces.chain(finished))
}
