//! Rooms and messages: the setup a learner chooses, validated once at the edge, and the shapes
//! the API shows.

use serde::{Deserialize, Serialize};

use crate::domain::language::{Language, Level, UiLanguage};
use crate::domain::validation::{FieldErrors, present};

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
    /// The catalogue scenario the room was made from, if any.
    pub scenario: Option<String>,
    pub goals: Vec<Goal>,
    pub auto_feedback: bool,
}

pub const MAX_GOALS: usize = 5;
pub const GOAL_MAX_CHARS: usize = 120;

/// Something the learner aims to do in the conversation, and whether they have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goal {
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub done: bool,
    #[serde(default)]
    pub done_at: Option<String>,
    /// The tutor's reply after which the goal was judged met: where the scene's close is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub met_after: Option<String>,
}

impl Goal {
    fn open(id: String, text: String) -> Self {
        Goal {
            id,
            text,
            done: false,
            done_at: None,
            met_after: None,
        }
    }
}

/// Goals the learner wrote: 0 to 5, each 1 to 120 characters after trimming, not yet done. Their
/// ids are `g1`, `g2`, ... in order.
fn custom_goals(raw: &[String]) -> Result<Vec<Goal>, String> {
    if raw.len() > MAX_GOALS {
        return Err(format!("must be at most {MAX_GOALS} goals"));
    }
    raw.iter()
        .enumerate()
        .map(|(n, text)| {
            let text = text.trim();
            match text.chars().count() {
                0 => Err("each goal must not be empty".to_owned()),
                n if n > GOAL_MAX_CHARS => Err(format!(
                    "each goal must be at most {GOAL_MAX_CHARS} characters"
                )),
                _ => Ok(Goal::open(format!("g{}", n + 1), text.to_owned())),
            }
        })
        .collect()
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
    /// A catalogue scenario's id: its texts and goals fill what the body leaves out.
    #[serde(default, deserialize_with = "present")]
    pub scenario: Option<Option<String>>,
    /// The language of the scenario's texts (`ko` by default).
    #[serde(default, deserialize_with = "present")]
    pub ui: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub goals: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    pub auto_feedback: Option<Option<bool>>,
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
    /// New goals, whose progress starts again.
    pub goals: Option<Vec<Goal>>,
    pub auto_feedback: Option<bool>,
}

impl RoomPatch {
    pub fn is_empty(&self) -> bool {
        *self == RoomPatch::default()
    }
}

impl RoomFields {
    /// A new room. Every field but the title is required, unless the room is made from a
    /// catalogue scenario: then its texts (in `ui`) and goals fill what is not given.
    pub fn into_setup(self) -> Result<RoomSetup, FieldErrors> {
        let mut errors = FieldErrors::new();
        let ui = match self.ui.flatten() {
            None => Some(UiLanguage::Ko),
            Some(code) => errors.check("ui", UiLanguage::parse(&code)),
        };
        let scenario = match self.scenario.flatten() {
            None => None,
            Some(id) => errors.check(
                "scenario",
                crate::domain::scenarios::find(&id).ok_or("is not a scenario of the catalogue"),
            ),
        };
        let ui = ui.unwrap_or(UiLanguage::Ko);
        let from_scenario =
            |texts: fn(&crate::domain::scenarios::Scenario) -> &crate::domain::scenarios::Texts| {
                scenario.map(|scenario| texts(scenario).get(ui).to_owned())
            };
        let mut required =
            |field: &'static str, value: Option<Option<String>>, default: Option<String>| {
                let value = value.flatten().or(default);
                if value.is_none() {
                    errors.add(field, "is required");
                }
                value
            };
        let language = required("language", self.language, None);
        let level = required("level", self.level, None);
        let situation = required("situation", self.situation, from_scenario(|s| &s.situation));
        let my_role = required("my_role", self.my_role, from_scenario(|s| &s.my_role));
        let gpt_role = required("gpt_role", self.gpt_role, from_scenario(|s| &s.gpt_role));

        let title = match self.title.flatten() {
            Some(raw) => errors.check("title", title(&raw)),
            None => Some(from_scenario(|s| &s.title)),
        };
        let language = language.and_then(|v| errors.check("language", Language::parse(&v)));
        let level = level.and_then(|v| errors.check("level", Level::parse(&v)));
        if let (Some(scenario), Some(language)) = (scenario, language)
            && scenario.unsuited.contains_key(&language)
        {
            errors.add(
                "scenario",
                format!(
                    "does not suit {}: the scene does not happen so where it is spoken",
                    language.code()
                ),
            );
        }
        // A scenario's goals are those of the level's band.
        let goals = match (self.goals.flatten(), scenario) {
            (Some(raw), _) => errors.check("goals", custom_goals(&raw)),
            (None, Some(scenario)) => level.map(|level| {
                scenario
                    .goals_at(level)
                    .iter()
                    .map(|goal| Goal::open(goal.id.clone(), goal.text.get(ui).to_owned()))
                    .collect()
            }),
            (None, None) => Some(Vec::new()),
        };
        let situation = situation.and_then(|v| errors.check("situation", setup_text(&v)));
        let my_role = my_role.and_then(|v| errors.check("my_role", setup_text(&v)));
        let gpt_role = gpt_role.and_then(|v| errors.check("gpt_role", setup_text(&v)));
        // Feedback without asking is on by default for a scenario: it is a lesson.
        let auto_feedback = self.auto_feedback.flatten().unwrap_or(scenario.is_some());
        match (title, language, level, situation, my_role, gpt_role, goals) {
            (
                Some(title),
                Some(language),
                Some(level),
                Some(situation),
                Some(my_role),
                Some(gpt_role),
                Some(goals),
            ) if errors.is_empty() => Ok(RoomSetup {
                title,
                language,
                level,
                situation,
                my_role,
                gpt_role,
                scenario: scenario.map(|scenario| scenario.id.clone()),
                goals,
                auto_feedback,
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
            goals: match self.goals {
                None => None,
                Some(None) => Some(Vec::new()),
                Some(Some(raw)) => errors.check("goals", custom_goals(&raw)),
            },
            auto_feedback: match self.auto_feedback {
                None => None,
                Some(None) => {
                    errors.add("auto_feedback", "must not be null");
                    None
                }
                Some(Some(on)) => Some(on),
            },
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
    /// The start of the latest message (up to 120 characters), `null` before the first.
    pub last_line: Option<String>,
    pub scenario: Option<String>,
    pub goals: Vec<Goal>,
    pub auto_feedback: bool,
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

/// Whether a learner's line is natural and correct, a corrected version, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    /// `false` when no model judged the line (the offline demo): then `ok` says nothing.
    #[serde(default = "checked_by_default")]
    pub checked: bool,
    pub ok: bool,
    pub corrected: String,
    /// A more natural wording a native speaker would use, offered from B2 up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub better: Option<String>,
    pub explanation: String,
    pub ui_language: UiLanguage,
    /// The kind of the line's main error (none for a correct line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<crate::domain::learner::MistakeCategory>,
    /// Something the learner said about their own life in the line, which they may choose to
    /// let the tutor remember (never kept without their say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact: Option<String>,
    /// Words due for review the learner used correctly in the line: each counted as reviewed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviewed: Vec<String>,
}

/// Feedback stored before `checked` existed was always a model's verdict.
fn checked_by_default() -> bool {
    true
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
            (Language::KoKr, Level::A1, None)
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
                   "level": "must be one of A1, A2, B1, B2, C1, C2",
                   "situation": "must not be empty", "my_role": "is required",
                   "gpt_role": "must be at most 200 characters", "title": "must be at most 80 characters"})
        );
    }

    #[test]
    fn levels_are_cefr_and_the_former_names_still_read() {
        for (given, read) in [
            ("A1", Level::A1),
            ("C2", Level::C2),
            ("beginner", Level::A1),
            ("intermediate", Level::B1),
            ("advanced", Level::C1),
        ] {
            assert_eq!(Level::parse(given), Ok(read), "{given}");
            let stored: Level = serde_json::from_value(json!(given)).unwrap();
            assert_eq!(stored, read, "a stored {given}");
            assert_eq!(serde_json::to_value(stored).unwrap(), json!(read.code()));
        }
        assert!(Level::parse("a1").is_err());
        assert!(Level::parse("expert").is_err());
    }

    #[test]
    fn a_scenario_brings_its_bands_goals_and_is_refused_where_it_does_not_happen() {
        let goals = |level: &str| -> Vec<String> {
            fields(
                json!({"scenario": "cafe-order", "ui": "en", "language": "es-ES",
                          "level": level}),
            )
            .into_setup()
            .unwrap()
            .goals
            .into_iter()
            .map(|g| g.id)
            .collect()
        };
        assert_eq!(goals("A1"), ["order", "price", "here"]);
        assert_eq!(goals("B1"), ["order", "recommend", "pay"]);
        assert_eq!(goals("C2"), goals("B1"), "the nearest band the scene has");
        let errors = fields(json!({"scenario": "souvenir-haggle", "language": "ja-JP",
                                   "level": "A2"}))
        .into_setup()
        .unwrap_err();
        let problem: Vec<_> = errors.iter().collect();
        assert_eq!(problem.len(), 1, "{problem:?}");
        assert_eq!(problem[0].0, "scenario");
        assert!(
            problem[0].1.starts_with("does not suit ja-JP"),
            "{problem:?}"
        );
        assert!(
            fields(json!({"scenario": "souvenir-haggle", "language": "es-ES", "level": "A2"}))
                .into_setup()
                .is_ok()
        );
    }

    #[test]
    fn a_scenario_fills_what_is_not_given() {
        let setup = fields(
            json!({"scenario": "cafe-order", "ui": "en", "language": "ja-JP", "level": "A2"}),
        )
        .into_setup()
        .unwrap();
        assert_eq!(setup.scenario.as_deref(), Some("cafe-order"));
        assert_eq!(setup.title.as_deref(), Some("Ordering at a café"));
        assert!(
            setup.situation.starts_with("It is a busy morning"),
            "{}",
            setup.situation
        );
        assert_eq!(setup.my_role, "a customer");
        let ids: Vec<_> = setup.goals.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(ids, ["order", "price", "here"]);
        assert!(setup.goals.iter().all(|g| !g.done && g.done_at.is_none()));
        assert!(setup.auto_feedback, "on by default for a scenario");

        let korean = fields(json!({"scenario": "cafe-order", "language": "en-US", "level": "A1",
                                    "gpt_role": "  a grumpy barista ", "goals": ["Ask for oat milk"],
                                    "auto_feedback": false}))
            .into_setup()
            .unwrap();
        assert_eq!(
            korean.title.as_deref(),
            Some("카페에서 주문하기"),
            "ko by default"
        );
        assert_eq!(korean.gpt_role, "a grumpy barista", "given fields override");
        assert_eq!(
            korean.goals,
            [Goal::open("g1".into(), "Ask for oat milk".into())]
        );
        assert!(!korean.auto_feedback);

        let errors =
            fields(json!({"scenario": "no-such", "ui": "fr", "language": "en-US", "level": "A1"}))
                .into_setup()
                .unwrap_err();
        let named: Vec<_> = errors.iter().map(|(field, _)| field).collect();
        assert!(
            named.contains(&"scenario") && named.contains(&"ui"),
            "{named:?}"
        );
    }

    #[test]
    fn custom_rooms_may_have_up_to_five_goals() {
        let mut body = valid();
        assert!(fields(body.clone()).into_setup().unwrap().goals.is_empty());
        assert!(!fields(body.clone()).into_setup().unwrap().auto_feedback);
        body["goals"] = json!(["a", "b", "c", "d", "e"]);
        assert_eq!(fields(body.clone()).into_setup().unwrap().goals.len(), 5);
        for bad in [
            json!(["a", "b", "c", "d", "e", "f"]),
            json!([" "]),
            json!(["x".repeat(121)]),
        ] {
            body["goals"] = bad.clone();
            let errors = fields(body.clone()).into_setup().unwrap_err();
            assert!(errors.iter().any(|(field, _)| field == "goals"), "{bad}");
        }
        let patch = fields(json!({"goals": ["Say hello"], "auto_feedback": true}))
            .into_patch()
            .unwrap();
        assert_eq!(patch.goals.unwrap()[0].text, "Say hello");
        assert_eq!(patch.auto_feedback, Some(true));
        assert_eq!(
            fields(json!({"goals": null})).into_patch().unwrap().goals,
            Some(vec![])
        );
        assert!(fields(json!({"auto_feedback": null})).into_patch().is_err());
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
        assert_eq!(patch.level, Some(Level::C1), "a former level name, mapped");
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
