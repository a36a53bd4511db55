//! The languages of Rolechat: the one a conversation is held in, the learner's CEFR level, and
//! the language of the interface, explanations and translations.

use serde::{Deserialize, Serialize};
use strum::VariantArray;

/// Gives a string enum its serde form from its strum strings (one place for each string), and
/// `parse`, whose error is the contract's "must be one of …".
macro_rules! text_enum {
    ($name:ident) => {
        impl $name {
            pub fn code(self) -> &'static str {
                self.into()
            }

            pub fn parse(text: &str) -> Result<Self, String> {
                text.parse().map_err(|_| {
                    let codes: Vec<&str> = Self::VARIANTS.iter().map(|v| v.code()).collect();
                    format!("must be one of {}", codes.join(", "))
                })
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(text: String) -> Result<Self, String> {
                Self::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.code().to_owned()
            }
        }
    };
}

/// The language the conversation is held in.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(into = "String", try_from = "String")]
pub enum Language {
    #[strum(serialize = "en-US")]
    EnUs,
    #[strum(serialize = "ja-JP")]
    JaJp,
    #[strum(serialize = "ko-KR")]
    KoKr,
    #[strum(serialize = "zh-CN")]
    ZhCn,
    #[strum(serialize = "es-ES")]
    EsEs,
    #[strum(serialize = "fr-FR")]
    FrFr,
    #[strum(serialize = "de-DE")]
    DeDe,
}

text_enum!(Language);

impl Language {
    /// The language's name in English, for prompts.
    pub fn english_name(self) -> &'static str {
        match self {
            Language::EnUs => "American English",
            Language::JaJp => "Japanese",
            Language::KoKr => "Korean",
            Language::ZhCn => "Mandarin Chinese (simplified characters)",
            Language::EsEs => "Spanish (Spain)",
            Language::FrFr => "French",
            Language::DeDe => "German",
        }
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(into = "String", try_from = "String")]
/// A CEFR level. The former `beginner`, `intermediate` and `advanced` are still read, on input
/// and from stored rooms, as A1, B1 and C1.
pub enum Level {
    #[strum(to_string = "A1", serialize = "beginner")]
    A1,
    #[strum(to_string = "A2")]
    A2,
    #[strum(to_string = "B1", serialize = "intermediate")]
    B1,
    #[strum(to_string = "B2")]
    B2,
    #[strum(to_string = "C1", serialize = "advanced")]
    C1,
    #[strum(to_string = "C2")]
    C2,
}

text_enum!(Level);

/// The languages explanations and translations are written in: the learners' own languages.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(into = "String", try_from = "String")]
pub enum UiLanguage {
    #[strum(serialize = "ko")]
    Ko,
    #[strum(serialize = "en")]
    En,
    #[strum(serialize = "ja")]
    Ja,
}

text_enum!(UiLanguage);

pub(crate) use text_enum;

impl UiLanguage {
    pub const ALL: &[UiLanguage] = Self::VARIANTS;

    pub fn english_name(self) -> &'static str {
        match self {
            UiLanguage::Ko => "Korean",
            UiLanguage::En => "English",
            UiLanguage::Ja => "Japanese",
        }
    }
}
