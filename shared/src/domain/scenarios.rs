//! The catalogue of ready role-plays: `data/scenarios.json`, compiled in and read once. Each
//! scenario has its texts in the learners' languages (ko, en, ja), the CEFR levels it suits and
//! 2 to 4 goals a learner at those levels can reach in a short conversation.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::domain::language::{Level, UiLanguage};

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
    pub title: Texts,
    pub situation: Texts,
    pub my_role: Texts,
    pub gpt_role: Texts,
    pub goals: Vec<ScenarioGoal>,
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
    pub goals: Vec<&'a str>,
    pub levels: &'a [Level],
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
            goals: self.goals.iter().map(|goal| goal.text.get(ui)).collect(),
            levels: &self.levels,
        }
    }
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
        assert_eq!(catalogue.version, 1);
        assert!(catalogue.scenarios.len() >= 30, "at least 30 scenarios");
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
            assert!(
                (2..=4).contains(&scenario.goals.len()),
                "{id}: 2 to 4 goals"
            );
            let goal_ids: BTreeSet<_> = scenario.goals.iter().map(|g| g.id.as_str()).collect();
            assert_eq!(
                goal_ids.len(),
                scenario.goals.len(),
                "{id}: goal ids repeat"
            );
            let texts = [
                ("title", &scenario.title, 80),
                ("situation", &scenario.situation, 200),
                ("my_role", &scenario.my_role, 200),
                ("gpt_role", &scenario.gpt_role, 200),
            ]
            .into_iter()
            .chain(scenario.goals.iter().map(|g| ("goal", &g.text, 120)));
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
            }
            // The Korean and Japanese texts are really in those scripts.
            let hangul = |c: char| ('\u{AC00}'..='\u{D7A3}').contains(&c);
            let kana = |c: char| ('\u{3040}'..='\u{30FF}').contains(&c);
            assert!(scenario.situation.ko.chars().any(hangul), "{id}: ko");
            assert!(scenario.situation.ja.chars().any(kana), "{id}: ja");
        }
        assert!(per_category.len() >= 6, "at least 6 categories in use");
        println!("scenarios per category: {per_category:?}");
    }

    #[test]
    fn every_level_has_scenarios() {
        for level in Level::VARIANTS {
            let count = catalogue()
                .scenarios
                .iter()
                .filter(|s| s.levels.contains(level))
                .count();
            assert!(count >= 3, "{}: {count} scenarios", level.code());
        }
    }

    #[test]
    fn views_are_in_the_asked_language() {
        let cafe = find("cafe-order").expect("the café scenario");
        let ko = cafe.view(UiLanguage::Ko);
        let en = cafe.view(UiLanguage::En);
        assert_eq!(en.title, "Ordering at a café");
        assert_ne!(ko.title, en.title);
        assert_eq!(ko.goals.len(), cafe.goals.len());
        assert!(find("no-such-scenario").is_none());
    }
}
