//! What a language teacher brings to every prompt: how the tutor speaks at each CEFR level and
//! what a learner at that level can say (after the Council of Europe's Companion Volume, 2020),
//! which words each level knows in each language (named after each language's own level lists),
//! which script a level reads, and which register a scene asks for.

use crate::domain::language::{Language, Level};
use crate::domain::scenarios::Relationship;

/// How the tutor speaks at each level: the range of words and structures, the length of a turn,
/// how much it helps and rephrases, how much new material and how much challenge it brings.
pub fn tutor_speech(level: Level) -> &'static str {
    match level {
        Level::A1 => {
            "The learner is at CEFR level A1 (beginner): they can interact in a simple way about \
             very familiar things if the other person speaks slowly and clearly and is ready to \
             repeat and rephrase. Each turn: one short sentence, two at most, in the present \
             tense and the simplest structures; no idioms and no slang. Ask simple questions, \
             often ones answered with a word or a choice (\"Hot or iced?\"). If the learner \
             struggles, say the same thing again more simply, or offer the words they need. \
             Bring in at most one new word a turn."
        }
        Level::A2 => {
            "The learner is at CEFR level A2 (elementary): they can handle short social exchanges \
             and simple everyday transactions (shopping, ordering, asking the way) but rarely keep \
             a conversation going on their own. Each turn: one or two short sentences, joined \
             simply (and, but, because), with simple past and future forms; everyday set phrases \
             but no idioms. Ask clear questions that lead the next step of the task. When the \
             learner is unsure, rephrase once more simply or give two options."
        }
        Level::B1 => {
            "The learner is at CEFR level B1 (intermediate): they can deal with most situations \
             of daily life and travel, less routine ones too (a small problem, a change of plan), \
             give short reasons and keep a simple conversation going. Each turn: two or three \
             sentences at a moderate pace, with everyday fixed expressions but no idioms whose \
             meaning the scene does not make clear. React to what the learner says before moving \
             on, and ask open questions (why, how, what would you...). Once the routine part is \
             done, one small unexpected turn they must deal with is welcome (an item out of \
             stock, a short delay). Rephrase only when they seem lost."
        }
        Level::B2 => {
            "The learner is at CEFR level B2 (upper intermediate): they can interact with fluency \
             and spontaneity, explain a viewpoint and argue for it, and handle a problem or a \
             disagreement. Speak at natural speed with a good range of words and structures, and \
             common idioms where the scene makes them clear; up to four sentences a turn. Push \
             back, ask for reasons and details, and bring in a complication the learner has to \
             deal with. Rephrase only if they ask."
        }
        Level::C1 => {
            "The learner is at CEFR level C1 (advanced): they express themselves fluently and \
             precisely, adjust their register, and handle complex or delicate talk. Speak \
             naturally, with idioms, colloquial turns, nuance and implication in the register the \
             scene asks for; a turn may be as long as the moment needs. Challenge them with \
             subtle disagreement, indirect requests and situations that need tact. Do not \
             simplify on purpose; if they miss something, rephrase it as you would for anyone."
        }
        Level::C2 => {
            "The learner is at CEFR level C2 (proficient): they interact with ease and skill, \
             convey finer shades of meaning precisely, and restructure around a difficulty so \
             smoothly it is hardly noticed. Use the full range the situation calls for, \
             colloquial or formal, with humour, irony, implicit meaning and cultural references, \
             and make the situation as demanding as real life. Expect precision and reward it."
        }
    }
}

/// What a learner at each level can say: what the suggestion prompts write for them (the tutor's
/// rules are not theirs: a learner does not "bring in a complication").
pub fn learner_speech(level: Level) -> &'static str {
    match level {
        Level::A1 => {
            "The learner is at CEFR level A1 (beginner): a line they can say is a short phrase or \
             one simple sentence with everyday words, such as a polite request, a yes or no, a \
             number, a thank you."
        }
        Level::A2 => {
            "The learner is at CEFR level A2 (elementary): a line they can say is one or two \
             simple sentences, joined with and, but or because, to ask for something, answer a \
             question or say what they want."
        }
        Level::B1 => {
            "The learner is at CEFR level B1 (intermediate): a line they can say is two or three \
             connected sentences that give a reason, ask for details or explain a small problem."
        }
        Level::B2 => {
            "The learner is at CEFR level B2 (upper intermediate): a line they can say states and \
             supports a view, asks a precise question, or negotiates, in clear connected speech."
        }
        Level::C1 => {
            "The learner is at CEFR level C1 (advanced): a line they can say is fluent and \
             precise, with the tact, hedging and register the moment needs."
        }
        Level::C2 => {
            "The learner is at CEFR level C2 (proficient): a line they can say uses the full \
             range of the language with precision and ease, implicit meaning included."
        }
    }
}

/// Which words each level knows, named after the level lists teachers of each language use, so
/// "common words" has an anchor.
pub fn vocabulary(language: Language, level: Level) -> String {
    let index = level as usize;
    let list = match language {
        Language::EnUs => [
            "the English Vocabulary Profile's A1 words (CEFR-J A1)",
            "the English Vocabulary Profile's A1 and A2 words (CEFR-J A2)",
            "the English Vocabulary Profile's words up to B1",
            "the English Vocabulary Profile's words up to B2",
            "the English Vocabulary Profile's words up to C1",
            "the whole language",
        ],
        Language::JaJp => [
            "the words and kanji of JLPT N5",
            "the words and kanji of JLPT N4 and below",
            "the words and kanji of JLPT N3 and below",
            "the words and kanji of JLPT N2 and below",
            "the words and kanji of JLPT N1 and below",
            "the whole language",
        ],
        Language::KoKr => [
            "the vocabulary of TOPIK I level 1",
            "the vocabulary of TOPIK I level 2 and below",
            "the vocabulary of TOPIK II level 3 and below",
            "the vocabulary of TOPIK II level 4 and below",
            "the vocabulary of TOPIK II level 5 and below",
            "the whole language",
        ],
        Language::ZhCn => [
            "the words of HSK 3.0 bands 1 and 2",
            "the words of HSK 3.0 band 3 and below",
            "the words of HSK 3.0 band 4 and below",
            "the words of HSK 3.0 band 5 and below",
            "the words of HSK 3.0 band 6 and below",
            "the whole language",
        ],
        Language::EsEs => [
            "the A1 inventory of the Instituto Cervantes' Plan curricular (DELE A1)",
            "the Plan curricular's A2 inventory and below (DELE A2)",
            "the Plan curricular's B1 inventory and below (DELE B1)",
            "the Plan curricular's B2 inventory and below (DELE B2)",
            "the Plan curricular's C1 inventory and below (DELE C1)",
            "the whole language",
        ],
        Language::FrFr => [
            "the words of the A1 reference level description for French (DELF A1)",
            "the words of the A2 reference level description and below (DELF A2)",
            "the words of the B1 reference level description and below (DELF B1)",
            "the words of the B2 reference level description and below (DELF B2)",
            "the words of DALF C1 and below",
            "the whole language",
        ],
        Language::DeDe => [
            "the Goethe-Zertifikat A1 word list (Start Deutsch 1)",
            "the Goethe-Zertifikat A2 word list and below",
            "the Goethe-Zertifikat B1 word list and below",
            "the Goethe-Zertifikat B1 word list and the common words beyond it",
            "the words of Goethe-Zertifikat C1 and below",
            "the whole language",
        ],
    };
    let list = list[index];
    if level == Level::C2 {
        format!("Words: {list}.")
    } else {
        format!(
            "Words: stay within {list}; a word beyond it only when the scene cannot do without it."
        )
    }
}

/// Which script the tutor writes, as the level can read it.
pub fn script(language: Language, level: Level) -> &'static str {
    match (language, level) {
        (Language::JaJp, Level::A1) => {
            "Script: hiragana and katakana, with kanji only for the commonest words of JLPT N5 \
             (人, 日, 円, 時, 何, 大きい...); write every other word in kana."
        }
        (Language::JaJp, Level::A2) => {
            "Script: kana, with kanji only for words of JLPT N4 and below; write harder words in \
             kana."
        }
        (Language::JaJp, Level::B1) => {
            "Script: kana and the kanji of JLPT N3 and below; write rarer words in kana."
        }
        (Language::JaJp, _) => "Script: ordinary written Japanese (the jōyō kanji).",
        (Language::ZhCn, Level::A1 | Level::A2) => {
            "Script: simplified characters only, and only those of the words above; no pinyin, \
             no traditional characters, no Latin letters in the line."
        }
        (Language::ZhCn, _) => "Script: simplified characters only; no pinyin in the line.",
        (Language::KoKr, Level::A1 | Level::A2 | Level::B1) => {
            "Script: Hangul only, in standard spelling: no hanja, no chat abbreviations or \
             emoticons (ㅋㅋ, ㅠㅠ)."
        }
        (Language::KoKr, _) => "Script: Hangul, in standard spelling; no hanja.",
        (Language::DeDe, _) => {
            "Script: standard German spelling: capitalised nouns, umlauts and ß, never ae/oe/ss \
             for them."
        }
        (Language::EsEs | Language::FrFr, _) => {
            "Script: standard spelling with every accent (and ¿ ¡ in Spanish); no text-speak."
        }
        (Language::EnUs, _) => "Script: standard American spelling; no text-speak.",
    }
}

/// The register of a scene: how the tutor speaks to the learner, and what the learner is
/// expected to use (what feedback judges their line against). Japanese and Korean mark the
/// register in every verb, and their plain and honorific forms are taught late: polite forms in
/// every role up to B1, what the relationship asks from B2. French, German and Spanish mark it in
/// the form of address, taught at A1: the relationship decides at every level.
pub struct Register {
    pub tutor: String,
    pub learner: String,
}

pub fn register(language: Language, level: Level, relationship: Option<Relationship>) -> Register {
    use Relationship::*;
    let beginner = matches!(level, Level::A1 | Level::A2 | Level::B1);
    let Some(relationship) = relationship else {
        return unknown_relationship(language, beginner);
    };
    let (tutor, learner): (&str, &str) = match language {
        Language::JaJp => match (beginner, relationship) {
            (true, Service) => (
                "Speak in the polite です/ます style. If your role serves the learner, use only \
                 the set phrases of service Japanese on top of it (いらっしゃいませ, \
                 かしこまりました, 少々お待ちください); no other honorific or humble forms.",
                "です/ます with everyone. Plain forms (タメ口) to staff or a stranger are a \
                 register error.",
            ),
            (true, _) => (
                "Speak in the polite です/ます style, even as a friend or family member: the \
                 learner has not learned plain forms yet.",
                "です/ます with everyone. Plain forms to anyone but a friend are a register \
                 error; to a friend they are fine.",
            ),
            (false, Service | Official) => (
                "Speak as your role would: if it serves the learner or holds an office, keigo \
                 (尊敬語 for what the learner does, 謙譲語 for what you do) over です/ます.",
                "です/ます, with 尊敬語 and 謙譲語 where the situation asks. Plain forms are a \
                 register error.",
            ),
            (false, Work) => (
                "Speak です/ます to a colleague; keigo to and about a superior or a client.",
                "です/ます, keigo towards a superior. Plain forms to a superior are a register \
                 error.",
            ),
            (false, Acquaintance) => (
                "Speak in the polite です/ます style, as to someone you do not know well.",
                "です/ます. Plain forms are too familiar here: a register error.",
            ),
            (false, Friend) => (
                "Speak in plain forms (タメ口), as friends or family do.",
                "Plain forms, as friends do; です/ます is correct but distant: worth suggesting \
                 plain forms as more natural, not an error.",
            ),
        },
        Language::KoKr => match (beginner, relationship) {
            (true, Service | Official) => (
                "Speak 해요체 (-아요/어요), with the honorific -(으)시- for what the learner does \
                 (주문하시겠어요?). Set greetings of service may be 하십시오체 (어서 오십시오, \
                 감사합니다).",
                "해요체 to everyone. 반말 to staff, an official or a stranger is a register \
                 error; 하십시오체 is correct.",
            ),
            (true, _) => (
                "Speak 해요체 (-아요/어요), even as a friend or family member: the learner has \
                 not learned 반말 yet.",
                "해요체 to everyone. 반말 is a register error except to a friend.",
            ),
            (false, Service | Official) => (
                "Speak 해요체 with -(으)시- for what the learner does, and 하십시오체 where the \
                 setting is formal (an interview, a statement, an announcement).",
                "해요체 or 하십시오체, with -(으)시- for the other person. 반말 is a register \
                 error.",
            ),
            (false, Work) => (
                "Speak 해요체 to a colleague; with -(으)시- and 하십시오체 to a superior or in a \
                 meeting.",
                "해요체 to colleagues, -(으)시- to a superior. 반말 at work is a register error.",
            ),
            (false, Acquaintance) => (
                "Speak 해요체, as to someone you do not know well.",
                "해요체. 반말 is too familiar here: a register error.",
            ),
            (false, Friend) => (
                "Speak 반말 (해체), as close friends of the same age or family do.",
                "반말, as friends do; 해요체 is correct but distant: worth suggesting 반말 as more \
                 natural, not an error.",
            ),
        },
        Language::ZhCn => match relationship {
            Service | Official | Work => (
                "Address the learner as 您 when your role serves them or speaks as an office, \
                 你 otherwise; polite requests with 请.",
                "你 or 您 are both correct here; only rude wording is a register error.",
            ),
            Acquaintance | Friend => (
                "Address the learner as 你, in friendly everyday speech.",
                "你; 您 to a friend is correct but distant, not an error.",
            ),
        },
        Language::EnUs => match relationship {
            Service | Official | Work | Acquaintance => (
                "Speak polite, neutral English: polite requests (Could you..., Would you \
                 like...), please and thank you; no slang.",
                "Polite requests. A bare order to staff (\"Give me a coffee.\") is worth a more \
                 polite wording, not an error at A1.",
            ),
            Friend => (
                if beginner {
                    "Speak friendly, everyday English as friends do, without slang."
                } else {
                    "Speak casual English as friends do, with everyday colloquial turns."
                },
                "Casual, friendly English; formal wording is correct but stiff, not an error.",
            ),
        },
        Language::FrFr => match relationship {
            Service | Official | Work | Acquaintance => (
                "Vouvoie the learner (vous), as French speakers do with staff, officials, \
                 colleagues they do not know well and adults they have just met.",
                "Vous. Tu to staff, an official or an adult just met is a register error.",
            ),
            Friend => (
                "Tutoie the learner (tu), as friends and family do.",
                "Tu; vous to a friend is correct but distant, not an error.",
            ),
        },
        Language::DeDe => match relationship {
            Service | Official | Work | Acquaintance => (
                "Siez the learner (Sie), as German speakers do with staff, officials, \
                 colleagues they do not know well and adults they have just met.",
                "Sie. Du to staff, an official or an adult just met is a register error.",
            ),
            Friend => (
                "Duz the learner (du), as friends and family do.",
                "Du; Sie to a friend is correct but distant, not an error.",
            ),
        },
        Language::EsEs => match relationship {
            Service => (
                "Address the learner as tú, as shop and café staff in Spain usually do with \
                 customers; usted if your role is formal or the learner is clearly older.",
                "Usted or tú to staff are both correct in Spain; neither is an error.",
            ),
            Official | Work | Acquaintance => (
                "Address the learner as usted, as to an adult you do not know or in an official \
                 role; tú with a colleague of the same age.",
                "Usted. Tú to an official is a register error; to a peer it is fine.",
            ),
            Friend => (
                "Address the learner as tú, as friends and family do.",
                "Tú; usted to a friend is correct but distant, not an error.",
            ),
        },
    };
    Register {
        tutor: format!("Register: {tutor} Keep this register for the whole scene."),
        learner: format!("Register the learner is expected to use: {learner}"),
    }
}

/// A scene whose relationship the learner described only by the roles: the model reads it from
/// them, with the options named.
fn unknown_relationship(language: Language, beginner: bool) -> Register {
    let options = match language {
        Language::JaJp if beginner => {
            "the polite です/ます style in every role (the learner has not learned plain forms or \
             keigo yet), with a clerk's set phrases if your role serves the learner"
        }
        Language::JaJp => {
            "keigo, です/ます or plain forms (タメ口), as the two roles' relationship asks"
        }
        Language::KoKr if beginner => {
            "해요체 in every role (the learner has not learned 반말 yet), with -(으)시- if your \
             role serves the learner"
        }
        Language::KoKr => {
            "하십시오체, 해요체 (with -(으)시- where due) or 반말, as the two roles' relationship asks"
        }
        Language::ZhCn => "您 or 你, as the two roles' relationship asks",
        Language::EnUs => "polite or casual English, as the two roles' relationship asks",
        Language::FrFr => {
            "vous or tu, as the two roles' relationship asks (vous to staff, officials and adults just met)"
        }
        Language::DeDe => {
            "Sie or du, as the two roles' relationship asks (Sie to staff, officials and adults just met)"
        }
        Language::EsEs => {
            "usted or tú, as the two roles' relationship asks (in Spain staff often say tú)"
        }
    };
    Register {
        tutor: format!(
            "Register: choose it from the two roles: {options}. Keep it for the whole scene."
        ),
        learner: format!(
            "Register the learner is expected to use: what the two roles' relationship asks \
             ({options}); mark only a register clearly wrong for it."
        ),
    }
}

#[cfg(test)]
mod tests {
    use strum::VariantArray;

    use super::*;

    #[test]
    fn every_language_and_level_names_its_words_script_and_register() {
        for language in Language::VARIANTS {
            for level in Level::VARIANTS {
                let words = vocabulary(*language, *level);
                assert!(words.starts_with("Words: "), "{words}");
                assert!(script(*language, *level).starts_with("Script: "));
                for relationship in Relationship::VARIANTS
                    .iter()
                    .copied()
                    .map(Some)
                    .chain([None])
                {
                    let register = register(*language, *level, relationship);
                    assert!(register.tutor.contains("whole scene"), "{}", register.tutor);
                    assert!(register.learner.starts_with("Register the learner"));
                }
            }
        }
    }

    #[test]
    fn japanese_and_korean_stay_polite_up_to_b1_even_among_friends() {
        for level in [Level::A1, Level::A2, Level::B1] {
            let ja = register(Language::JaJp, level, Some(Relationship::Friend));
            assert!(ja.tutor.contains("です/ます") && !ja.tutor.contains("Speak in plain"));
            let ko = register(Language::KoKr, level, Some(Relationship::Friend));
            assert!(ko.tutor.contains("해요체") && !ko.tutor.contains("Speak 반말"));
        }
        let ja = register(Language::JaJp, Level::B2, Some(Relationship::Friend));
        assert!(ja.tutor.contains("plain forms (タメ口)"), "{}", ja.tutor);
        let ko = register(Language::KoKr, Level::C1, Some(Relationship::Friend));
        assert!(ko.tutor.contains("Speak 반말"), "{}", ko.tutor);
        let clerk = register(Language::JaJp, Level::B2, Some(Relationship::Service));
        assert!(clerk.tutor.contains("尊敬語") && clerk.learner.contains("register error"));
    }

    #[test]
    fn the_form_of_address_follows_the_relationship_from_a1() {
        let clerk = register(Language::FrFr, Level::A1, Some(Relationship::Service));
        assert!(clerk.tutor.contains("(vous)") && clerk.learner.contains("Tu to staff"));
        let friend = register(Language::DeDe, Level::A1, Some(Relationship::Friend));
        assert!(friend.tutor.contains("(du)"));
        // Spain's shop staff say tú; the learner's usted with them is no error either.
        let shop = register(Language::EsEs, Level::A2, Some(Relationship::Service));
        assert!(shop.tutor.contains("tú") && shop.learner.contains("neither is an error"));
    }

    #[test]
    fn beginners_read_kana_and_simplified_characters() {
        assert!(script(Language::JaJp, Level::A1).contains("hiragana and katakana"));
        assert!(script(Language::JaJp, Level::B2).contains("jōyō"));
        assert!(script(Language::ZhCn, Level::A1).contains("no pinyin"));
        assert!(script(Language::KoKr, Level::A2).contains("no hanja"));
        assert!(vocabulary(Language::ZhCn, Level::A1).contains("HSK 3.0 bands 1 and 2"));
        assert!(vocabulary(Language::JaJp, Level::A2).contains("JLPT N4"));
        assert!(vocabulary(Language::KoKr, Level::B1).contains("TOPIK II level 3"));
        assert!(vocabulary(Language::DeDe, Level::A1).contains("Goethe"));
    }

    #[test]
    fn the_levels_follow_the_companion_volume() {
        // Idioms: none up to B1, common ones at B2, freely from C1.
        for level in [Level::A1, Level::A2] {
            assert!(tutor_speech(level).contains("no idioms"));
        }
        assert!(tutor_speech(Level::B1).contains("no idioms whose"));
        assert!(tutor_speech(Level::B2).contains("common idioms"));
        // B1 already handles less routine situations; complications are B2's.
        assert!(tutor_speech(Level::B1).contains("less routine"));
        assert!(!tutor_speech(Level::B1).contains("complication"));
        assert!(tutor_speech(Level::B2).contains("complication"));
        // C1 rephrases when needed; C2 has no native-speaker yardstick.
        assert!(!tutor_speech(Level::C1).contains("Never simplify"));
        assert!(!tutor_speech(Level::C2).contains("native speaker"));
        for level in Level::VARIANTS {
            assert!(!learner_speech(*level).contains("complication"));
        }
    }
}
