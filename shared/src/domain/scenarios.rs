//! The catalogue of ready role-plays: `data/scenarios.json`, compiled in and read once. Each
//! scenario has its texts in the learners' languages (ko, en, ja), the CEFR levels it suits, for
//! each band of those levels 2 to 4 goals a learner there can reach in a short conversation, the
//! relationship of its roles (which decides the register) and the conversation languages it does
//! not suit.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::domain::language::{Language, Level, UiLanguage};

/// The catalogue as the data file writes it.
#[derive(Debug, Deserialize)]
pub struct Catalogue {
    pub version: u32,
    pub categories: Vec<String>,
    pub scenarios: Vec<Scenario>,
}

/// A text in each of the learners' languages.
#[derive(Debug, Clone, Deserialize)]
pub struct Texts {
    pub ko: String,
    pub en: String,
    pub ja: String,
}

impl Texts {
    pub fn get(&self, ui: UiLanguage) -> &str {
        match ui {
            UiLanguage::Ko => &self.ko,
            UiLanguage::En => &self.en,
            UiLanguage::Ja => &self.ja,
        }
    }
}

/// How the two roles of a scene stand to each other: what decides the register. Ready scenes say
/// it; in a room the learner described, the model reads it from the roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::VariantArray)]
#[serde(rename_all = "lowercase")]
pub enum Relationship {
    /// Staff and a customer: a shop, a hotel, a taxi, a clinic's desk.
    Service,
    /// An official, a doctor, an interviewer, the police: formal by office.
    Official,
    /// Colleagues or a manager at work.
    Work,
    /// People who have just met, or know each other a little: a neighbour, a host, a guest.
    Acquaintance,
    /// Friends or family.
    Friend,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Scenario {
    pub id: String,
    pub category: String,
    pub relationship: Relationship,
    pub levels: Vec<Level>,
    /// Conversation languages where the scene does not happen as written, and why.
    #[serde(default)]
    pub unsuited: BTreeMap<Language, String>,
    pub title: Texts,
    pub situation: Texts,
    pub my_role: Texts,
    pub gpt_role: Texts,
    /// The goals of each band the levels reach: what a learner there can do in the scene.
    pub goals: BTreeMap<Band, Vec<ScenarioGoal>>,
}

/// A CEFR band: basic (A1, A2), independent (B1, B2) or proficient (C1, C2) use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub enum Band {
    A,
    B,
    C,
}

impl Band {
    pub fn of(level: Level) -> Band {
        match level {
            Level::A1 | Level::A2 => Band::A,
            Level::B1 | Level::B2 => Band::B,
            Level::C1 | Level::C2 => Band::C,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioGoal {
    /// Stable within its scenario, whatever the language: what a room's goal progress names.
    pub id: String,
    pub text: Texts,
}

/// A scenario as `GET /scenarios` shows it, in one UI language.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioView<'a> {
    pub id: &'a str,
    pub category: &'a str,
    pub title: &'a str,
    pub situation: &'a str,
    pub my_role: &'a str,
    pub gpt_role: &'a str,
    /// The goals at each of the scenario's levels.
    pub goals: BTreeMap<&'static str, Vec<&'a str>>,
    pub levels: &'a [Level],
    pub unsuited: Vec<Language>,
}

impl Scenario {
    pub fn view(&self, ui: UiLanguage) -> ScenarioView<'_> {
        ScenarioView {
            id: &self.id,
            category: &self.category,
            title: self.title.get(ui),
            situation: self.situation.get(ui),
            my_role: self.my_role.get(ui),
            gpt_role: self.gpt_role.get(ui),
            goals: self
                .levels
                .iter()
                .map(|level| {
                    let texts = self.goals_at(*level).iter().map(|goal| goal.text.get(ui));
                    (level.code(), texts.collect())
                })
                .collect(),
            levels: &self.levels,
            unsuited: self.unsuited.keys().copied().collect(),
        }
    }

    /// The goals of `level`'s band, or of the nearest band the scenario has (a room may be set
    /// to a level the scenario does not list).
    pub fn goals_at(&self, level: Level) -> &[ScenarioGoal] {
        let wanted = Band::of(level) as i8;
        self.goals
            .iter()
            .min_by_key(|(band, _)| (**band as i8 - wanted).abs())
            .map_or(&[], |(_, goals)| goals.as_slice())
    }
}

/// Why a scene is suggested next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum SuggestedFor {
    /// It practises what the learner gets wrong most.
    Mistake(crate::domain::learner::MistakeCategory),
    /// It fits why they study.
    Reason(crate::domain::learner::Reason),
    /// A kind of scene they have not had yet.
    NewKind,
    /// The next scene of their level.
    Level,
}

impl SuggestedFor {
    /// The kinds of scene (catalogue categories) where a kind of mistake comes up most.
    fn practised_in(category: crate::domain::learner::MistakeCategory) -> &'static [&'static str] {
        use crate::domain::learner::MistakeCategory::*;
        match category {
            Counter | Article | Agreement => &["food", "shopping"],
            Preposition | Particle | Case => &["travel", "daily"],
            Tense => &["social", "health", "emergency"],
            Register => &["work"],
            _ => &[],
        }
    }

    fn fits(reason: crate::domain::learner::Reason) -> &'static [&'static str] {
        use crate::domain::learner::Reason::*;
        match reason {
            Travel => &["travel", "food", "shopping", "emergency"],
            Work => &["work", "social"],
            Exam => &["daily", "work", "health", "social"],
            Family => &["daily", "social", "health"],
            Fun => &["social", "food", "daily"],
        }
    }
}

/// The scene to suggest next to a learner of `language` at `level`: one they have not played,
/// that happens where the language is spoken, of their level; first one that practises their
/// most recurring mistake, then one that fits why they study, then a kind of scene they have not
/// had, then the catalogue's order.
pub fn suggest(
    language: Language,
    level: Level,
    reason: Option<crate::domain::learner::Reason>,
    played: &[String],
    recurring: &[crate::domain::learner::MistakeCategory],
) -> Option<(&'static Scenario, SuggestedFor)> {
    let scenes = &catalogue().scenarios;
    let kinds_played: Vec<&str> = scenes
        .iter()
        .filter(|scene| played.contains(&scene.id))
        .map(|scene| scene.category.as_str())
        .collect();
    let open: Vec<&Scenario> = scenes
        .iter()
        .filter(|scene| !played.contains(&scene.id) && !scene.unsuited.contains_key(&language))
        .collect();
    // Of the learner's level, or else the nearest that has unplayed scenes.
    let distance = |scene: &Scenario| {
        scene
            .levels
            .iter()
            .map(|l| (*l as i8 - level as i8).abs())
            .min()
            .unwrap_or(i8::MAX)
    };
    let nearest = open.iter().map(|scene| distance(scene)).min()?;
    let candidates: Vec<&Scenario> = open
        .into_iter()
        .filter(|scene| distance(scene) == nearest)
        .collect();
    let first = |wanted: &dyn Fn(&Scenario) -> bool| candidates.iter().copied().find(|s| wanted(s));
    for category in recurring {
        let kinds = SuggestedFor::practised_in(*category);
        if let Some(scene) = first(&|scene| kinds.contains(&scene.category.as_str())) {
            return Some((scene, SuggestedFor::Mistake(*category)));
        }
    }
    if let Some(reason) = reason {
        let kinds = SuggestedFor::fits(reason);
        let fresh = |scene: &Scenario| {
            kinds.contains(&scene.category.as_str())
                && !kinds_played.contains(&scene.category.as_str())
        };
        let fitting = |scene: &Scenario| kinds.contains(&scene.category.as_str());
        if let Some(scene) = first(&fresh).or_else(|| first(&fitting)) {
            return Some((scene, SuggestedFor::Reason(reason)));
        }
    }
    if let Some(scene) = first(&|scene| !kinds_played.contains(&scene.category.as_str())) {
        return Some((scene, SuggestedFor::NewKind));
    }
    candidates
        .first()
        .map(|scene| (*scene, SuggestedFor::Level))
}

const DATA: &str = include_str!("../../data/scenarios.json");

/// The catalogue, parsed on first use. The file is checked by this module's tests, so a broken
/// one never ships.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        serde_json::from_str(DATA).expect("data/scenarios.json is checked by the tests")
    })
}

pub fn find(id: &str) -> Option<&'static Scenario> {
    catalogue()
        .scenarios
        .iter()
        .find(|scenario| scenario.id == id)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use strum::VariantArray;

    use super::*;

    #[test]
    fn the_catalogue_is_whole() {
        let catalogue = catalogue();
        assert_eq!(catalogue.version, 2);
        assert!(catalogue.scenarios.len() >= 40, "at least 40 scenarios");
        let mut ids = BTreeSet::new();
        let mut per_category = BTreeMap::<&str, usize>::new();
        for scenario in &catalogue.scenarios {
            let id = &scenario.id;
            assert!(ids.insert(id.as_str()), "{id} is there twice");
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '-') && !id.is_empty(),
                "{id}: ids are lowercase words joined by hyphens"
            );
            assert!(
                catalogue.categories.contains(&scenario.category),
                "{id}: unknown category {}",
                scenario.category
            );
            *per_category.entry(&scenario.category).or_default() += 1;
            assert!(!scenario.levels.is_empty(), "{id}: no levels");
            let levels: BTreeSet<_> = scenario.levels.iter().map(|l| l.code()).collect();
            assert_eq!(levels.len(), scenario.levels.len(), "{id}: a level twice");
            // Goals for exactly the bands the levels reach, 2 to 4 in each.
            let bands: BTreeSet<Band> = scenario.levels.iter().map(|l| Band::of(*l)).collect();
            assert_eq!(
                scenario.goals.keys().copied().collect::<BTreeSet<_>>(),
                bands,
                "{id}: goals per band of its levels"
            );
            for goals in scenario.goals.values() {
                assert!((2..=4).contains(&goals.len()), "{id}: 2 to 4 goals");
                let goal_ids: BTreeSet<_> = goals.iter().map(|g| g.id.as_str()).collect();
                assert_eq!(goal_ids.len(), goals.len(), "{id}: goal ids repeat");
            }
            let texts = [
                ("title", &scenario.title, 80),
                ("situation", &scenario.situation, 200),
                ("my_role", &scenario.my_role, 200),
                ("gpt_role", &scenario.gpt_role, 200),
            ]
            .into_iter()
            .chain(
                scenario
                    .goals
                    .values()
                    .flatten()
                    .map(|g| ("goal", &g.text, 120)),
            );
            for (field, text, max) in texts {
                for ui in UiLanguage::ALL {
                    let value = text.get(*ui);
                    let length = value.trim().chars().count();
                    assert!(
                        (1..=max).contains(&length),
                        "{id}.{field}.{}: 1 to {max} characters, has {length}",
                        ui.code()
                    );
                    assert_eq!(value, value.trim(), "{id}.{field}: stray spaces");
                }
                // Translationese a native teacher strikes out: "you" as 당신 or あなた.
                assert!(!text.ko.contains("당신"), "{id}.{field}: 당신");
                assert!(!text.ja.contains("あなた"), "{id}.{field}: あなた");
            }
            // The Korean and Japanese texts are really in those scripts; the Korean situation
            // speaks the interface's 해요체, not 합니다체.
            let hangul = |c: char| ('\u{AC00}'..='\u{D7A3}').contains(&c);
            let kana = |c: char| ('\u{3040}'..='\u{30FF}').contains(&c);
            assert!(scenario.situation.ko.chars().any(hangul), "{id}: ko");
            assert!(scenario.situation.ja.chars().any(kana), "{id}: ja");
            for sentence in scenario.situation.ko.split_terminator(['.', '?', '!']) {
                assert!(
                    !sentence.trim_end().ends_with("니다"),
                    "{id}: 합니다체 in {sentence}"
                );
            }
        }
        assert!(per_category.len() >= 6, "at least 6 categories in use");
        println!("scenarios per category: {per_category:?}");
    }

    /// Every level of every conversation language has at least eight scenes to choose from.
    #[test]
    fn every_level_of_every_language_has_eight_scenarios() {
        for language in Language::VARIANTS {
            for level in Level::VARIANTS {
                let count = catalogue()
                    .scenarios
                    .iter()
                    .filter(|s| s.levels.contains(level) && !s.unsuited.contains_key(language))
                    .count();
                assert!(
                    count >= 8,
                    "{} {}: {count} scenarios",
                    language.code(),
                    level.code()
                );
            }
        }
    }

    /// Levels as the Companion Volume places the tasks, and goals that change with the band.
    #[test]
    fn scenes_sit_at_the_levels_of_their_tasks() {
        let levels =
            |id: &str| -> Vec<&str> { find(id).unwrap().levels.iter().map(|l| l.code()).collect() };
        // Dealing with a faulty purchase, a loss or an emergency is B1 ("less routine").
        for id in ["faulty-return", "lost-wallet", "emergency-call"] {
            assert_eq!(levels(id)[0], "B1", "{id}");
        }
        // Asking the way and taking a taxi are A2; buying and ordering stay at A1.
        for id in ["asking-directions", "taxi-ride"] {
            assert_eq!(levels(id)[0], "A2", "{id}");
        }
        for id in [
            "convenience-store",
            "ordering-meal",
            "bus-ride",
            "post-office",
        ] {
            assert_eq!(levels(id)[0], "A1", "{id}");
        }
        assert_eq!(levels("flat-viewing")[0], "B1");
        // The A1 pharmacy asks nothing about side effects; from B1 it does.
        let pharmacy = find("pharmacy").unwrap();
        let ids = |level| -> Vec<&str> {
            pharmacy
                .goals_at(level)
                .iter()
                .map(|g| g.id.as_str())
                .collect()
        };
        assert!(!ids(Level::A1).contains(&"side"));
        assert!(ids(Level::B1).contains(&"side"));
        // C1 and C2 have scenes of their own: mediation, refusal, negotiation, chairing.
        for id in [
            "team-mediation",
            "tactful-refusal",
            "supplier-negotiation",
            "chairing-meeting",
        ] {
            assert_eq!(levels(id), ["C1", "C2"], "{id}");
        }
        // A scene across bands changes its goals with them.
        let interview = find("job-interview").unwrap();
        assert_ne!(
            interview.goals_at(Level::B1)[0].text.en,
            interview.goals_at(Level::C1)[0].text.en
        );
    }

    #[test]
    fn scenes_that_do_not_happen_in_a_language_say_so() {
        let unsuited = |id: &str| -> Vec<&str> {
            find(id)
                .unwrap()
                .unsuited
                .keys()
                .map(|l| l.code())
                .collect()
        };
        assert_eq!(
            unsuited("souvenir-haggle"),
            ["en-US", "ja-JP", "fr-FR", "de-DE"]
        );
        assert_eq!(unsuited("neighbour-parcel"), ["ja-JP", "ko-KR"]);
        assert_eq!(unsuited("ask-for-raise"), ["ja-JP", "ko-KR"]);
        for scenario in &catalogue().scenarios {
            for why in scenario.unsuited.values() {
                assert!(why.len() > 20, "{}: say why", scenario.id);
            }
        }
    }

    #[test]
    fn views_are_in_the_asked_language_with_goals_per_level() {
        let cafe = find("cafe-order").expect("the café scenario");
        let ko = cafe.view(UiLanguage::Ko);
        let en = cafe.view(UiLanguage::En);
        assert_eq!(en.title, "Ordering at a café");
        assert_ne!(ko.title, en.title);
        assert_eq!(
            en.goals.keys().copied().collect::<Vec<_>>(),
            ["A1", "A2", "B1"]
        );
        assert_eq!(en.goals["A1"], en.goals["A2"], "one band");
        assert_ne!(en.goals["A2"], en.goals["B1"]);
        assert_eq!(ko.goals["B1"].len(), cafe.goals_at(Level::B1).len());
        assert!(find("no-such-scenario").is_none());
    }

    #[test]
    fn the_suggested_scene_follows_mistakes_then_reason_then_new_kinds() {
        use crate::domain::learner::{MistakeCategory, Reason};
        let (scene, why) = suggest(Language::JaJp, Level::A1, None, &[], &[]).unwrap();
        assert!(scene.levels.contains(&Level::A1) && !scene.unsuited.contains_key(&Language::JaJp));
        assert_eq!(why, SuggestedFor::NewKind);
        let (scene, why) = suggest(
            Language::KoKr,
            Level::A2,
            None,
            &[],
            &[MistakeCategory::Counter],
        )
        .unwrap();
        assert!(["food", "shopping"].contains(&scene.category.as_str()));
        assert_eq!(why, SuggestedFor::Mistake(MistakeCategory::Counter));
        let (scene, why) =
            suggest(Language::EsEs, Level::B2, Some(Reason::Work), &[], &[]).unwrap();
        assert!(["work", "social"].contains(&scene.category.as_str()));
        assert_eq!(why, SuggestedFor::Reason(Reason::Work));
        // Played scenes are never suggested again; once all of a level are, the nearest level's.
        let all: Vec<String> = catalogue().scenarios.iter().map(|s| s.id.clone()).collect();
        assert!(suggest(Language::EnUs, Level::A1, None, &all, &[]).is_none());
        let a1: Vec<String> = catalogue()
            .scenarios
            .iter()
            .filter(|s| s.levels.contains(&Level::A1))
            .map(|s| s.id.clone())
            .collect();
        let (scene, _) = suggest(Language::EnUs, Level::A1, None, &a1, &[]).unwrap();
        assert!(!a1.contains(&scene.id));
    }
}
