//! Rooms and messages: the setup a learner chooses, validated once at the edge, and the shapes
//! the API shows.

use serde::{Deserialize, Serialize};
use strum::VariantArray;

use crate::validation::FieldErrors;

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
pub enum Level {
    #[strum(serialize = "beginner")]
    Beginner,
    #[strum(serialize = "intermediate")]
    Intermediate,
    #[strum(serialize = "advanced")]
    Advanced,
}

text_enum!(Level);

impl Level {
    pub fn as_str(self) -> &'static str {
        self.code()
    }
}

pub const SETUP_MAX_CHARS: usize = 200;
pub const TITLE_MAX_CHARS: usize = 80;

/// A setup field (situation, my role, tutor role): 1 to 200 characters after trimming.
fn setup_text(raw: &str) -> Result<String, String> {
    let text = raw.trim();
    match text.chars().count() {
        0 => Err("must not be empty".into()),
        n if n > SETUP_MAX_CHARS => Err(format!("must be at most {SETUP_MAX_CHARS} characters")),
        _ => Ok(text.to_owned()),
    }
}

/// An optional title: up to 80 characters after trimming; empty means "none".
fn title(raw: &str) -> Result<Option<String>, String> {
    let text = raw.trim();
    match text.chars().count() {
        0 => Ok(None),
        n if n > TITLE_MAX_CHARS => Err(format!("must be at most {TITLE_MAX_CHARS} characters")),
        _ => Ok(Some(text.to_owned())),
    }
}

/// The title shown when the learner gave none: the situation, shortened at a word if it must be.
pub fn derived_title(situation: &str) -> String {
    if situation.chars().count() <= TITLE_MAX_CHARS {
        return situation.to_owned();
    }
    let cut: String = situation.chars().take(TITLE_MAX_CHARS - 1).collect();
    let at_word = match cut.rfind(char::is_whitespace) {
        Some(space) if space > cut.len() / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", at_word.trim_end())
}

/// A room's setup as the learner chose it, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomSetup {
    pub title: Option<String>,
    pub language: Language,
    pub level: Level,
    pub situation: String,
    pub my_role: String,
    pub gpt_role: String,
}

/// The writable fields of a room as they arrive. Types are checked by serde (a wrong type is
/// `invalid_json`); values by [`RoomFields::into_setup`] and [`RoomFields::into_patch`].
#[derive(Debug, Default, Deserialize)]
pub struct RoomFields {
    #[serde(default, deserialize_with = "present")]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub language: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub level: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub situation: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub my_role: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub gpt_role: Option<Option<String>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one not sent at all (`None`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Changes to a room: `None` leaves a field as it is. `title: Some(None)` clears the title, so
/// it is derived from the situation again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomPatch {
    pub title: Option<Option<String>>,
    pub language: Option<Language>,
    pub level: Option<Level>,
    pub situation: Option<String>,
    pub my_role: Option<String>,
    pub gpt_role: Option<String>,
}

impl RoomPatch {
    pub fn is_empty(&self) -> bool {
        *self == RoomPatch::default()
    }
}

impl RoomFields {
    /// A new room: every field but the title is required.
    pub fn into_setup(self) -> Result<RoomSetup, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut required = |field: &'static str, value: Option<Option<String>>| {
            let value = value.flatten();
            if value.is_none() {
                errors.add(field, "is required");
            }
            value
        };
        let language = required("language", self.language);
        let level = required("level", self.level);
        let situation = required("situation", self.situation);
        let my_role = required("my_role", self.my_role);
        let gpt_role = required("gpt_role", self.gpt_role);

        let title = errors.check(
            "title",
            self.title.flatten().as_deref().map(title).transpose(),
        );
        let language = language.and_then(|v| errors.check("language", Language::parse(&v)));
        let level = level.and_then(|v| errors.check("level", Level::parse(&v)));
        let situation = situation.and_then(|v| errors.check("situation", setup_text(&v)));
        let my_role = my_role.and_then(|v| errors.check("my_role", setup_text(&v)));
        let gpt_role = gpt_role.and_then(|v| errors.check("gpt_role", setup_text(&v)));
        match (title, language, level, situation, my_role, gpt_role) {
            (
                Some(title),
                Some(language),
                Some(level),
                Some(situation),
                Some(my_role),
                Some(gpt_role),
            ) if errors.is_empty() => Ok(RoomSetup {
                title: title.flatten(),
                language,
                level,
                situation,
                my_role,
                gpt_role,
            }),
            _ => Err(errors),
        }
    }

    /// Changes to an existing room: any subset of the fields, each validated like a new room's.
    pub fn into_patch(self) -> Result<RoomPatch, FieldErrors> {
        let mut errors = FieldErrors::new();
        let patch = RoomPatch {
            situation: changed(&mut errors, "situation", self.situation, setup_text),
            my_role: changed(&mut errors, "my_role", self.my_role, setup_text),
            gpt_role: changed(&mut errors, "gpt_role", self.gpt_role, setup_text),
            language: changed(&mut errors, "language", self.language, Language::parse),
            level: changed(&mut errors, "level", self.level, Level::parse),
            // `null` clears the title, so it is derived from the situation again.
            title: match self.title {
                None => None,
                Some(None) => Some(None),
                Some(Some(raw)) => errors.check("title", title(&raw)),
            },
        };
        if errors.is_empty() {
            Ok(patch)
        } else {
            Err(errors)
        }
    }
}

/// A field a patch may change: absent is no change, `null` is an error, a value is parsed.
fn changed<T>(
    errors: &mut FieldErrors,
    field: &'static str,
    value: Option<Option<String>>,
    parse: fn(&str) -> Result<T, String>,
) -> Option<T> {
    match value? {
        None => {
            errors.add(field, "must not be null");
            None
        }
        Some(raw) => errors.check(field, parse(&raw)),
    }
}

/// A room as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Room {
    pub id: String,
    pub title: String,
    pub language: Language,
    pub level: Level,
    pub situation: String,
    pub my_role: String,
    pub gpt_role: String,
    pub created_at: String,
    pub updated_at: String,
    pub last_message_at: Option<String>,
    pub message_count: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

/// A message as the API shows it, with the learning aids stored on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub id: String,
    pub role: Role,
    pub content: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feedback: Option<Feedback>,
    /// Translations by target language (`ko`, `en`, `ja`).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub translations: std::collections::BTreeMap<&'static str, String>,
    /// Present (`true`) only on a reply the model stopped at its length limit.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cut: bool,
}

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

/// Whether a learner's line is natural and correct, a corrected version, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    pub ok: bool,
    pub corrected: String,
    pub explanation: String,
    pub ui_language: UiLanguage,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: serde_json::Value) -> RoomFields {
        serde_json::from_value(value).unwrap()
    }

    fn valid() -> serde_json::Value {
        json!({"language": "ko-KR", "level": "beginner", "situation": "  카페에서 커피 주문하기 ",
               "my_role": "손님", "gpt_role": "바리스타"})
    }

    #[test]
    fn a_valid_setup_is_trimmed() {
        let setup = fields(valid()).into_setup().unwrap();
        assert_eq!(setup.situation, "카페에서 커피 주문하기");
        assert_eq!(
            (setup.language, setup.level, setup.title),
            (Language::KoKr, Level::Beginner, None)
        );
    }

    #[test]
    fn setup_errors_name_every_bad_field() {
        let errors = fields(
            json!({"language": "klingon", "level": "expert", "situation": "   ",
                                  "gpt_role": "x".repeat(201), "title": "t".repeat(81)}),
        )
        .into_setup()
        .unwrap_err();
        let reply = crate::error::ApiError::Validation(errors).into_response();
        let body: serde_json::Value = serde_json::from_slice(reply.body().as_ref()).unwrap();
        assert_eq!(
            body["error"]["fields"],
            json!({"language": "must be one of en-US, ja-JP, ko-KR, zh-CN, es-ES, fr-FR, de-DE",
                   "level": "must be one of beginner, intermediate, advanced",
                   "situation": "must not be empty", "my_role": "is required",
                   "gpt_role": "must be at most 200 characters", "title": "must be at most 80 characters"})
        );
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let mut body = valid();
        body["situation"] = json!("가".repeat(200));
        body["title"] = json!("나".repeat(80));
        assert!(fields(body).into_setup().is_ok());
    }

    #[test]
    fn patches_distinguish_absent_null_and_values() {
        assert!(fields(json!({})).into_patch().unwrap().is_empty());
        let patch = fields(json!({"title": null, "level": "advanced"}))
            .into_patch()
            .unwrap();
        assert_eq!(patch.title, Some(None));
        assert_eq!(patch.level, Some(Level::Advanced));
        assert_eq!(
            fields(json!({"title": "  "})).into_patch().unwrap().title,
            Some(None)
        );
        let errors = fields(json!({"situation": null, "language": "xx"}))
            .into_patch()
            .unwrap_err();
        assert!(!errors.is_empty());
    }

    #[test]
    fn derived_titles_are_short() {
        assert_eq!(
            derived_title("Ordering coffee in Seattle"),
            "Ordering coffee in Seattle"
        );
        let long = "Ordering a very large and complicated coffee with oat milk, extra shots and caramel in Seattle";
        let title = derived_title(long);
        assert!(title.chars().count() <= TITLE_MAX_CHARS, "{title}");
        assert!(
            title.ends_with('…') && long.starts_with(title.trim_end_matches('…')),
            "{title}"
        );
        assert_eq!(
            derived_title(&"가".repeat(100)).chars().count(),
            TITLE_MAX_CHARS
        );
    }
}
