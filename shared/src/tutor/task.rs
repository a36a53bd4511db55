//! What each kind of model call may spend: its output budget, its temperature and how much a
//! reasoning model may think first. One budget for every call either starves the report or lets
//! a reply ramble; one temperature either makes the role-play flat or the judging erratic.
//!
//! The budgets were sized from realistic answers counted in tokens (o200k, the tokenizer of
//! OpenAI's current models), in Korean and Japanese, whose answers take the most tokens
//! (`cargo test -p rolechat-tests --test api budgets -- --nocapture` prints the table): a report
//! is about 800 tokens (its lists bounded by the schema), a C2 reply about 110, three
//! suggestions with their meanings about 90, feedback about 70. Each budget leaves at least
//! three times the realistic answer, for a verbose model and for a long learner line repeated
//! in a correction; a structured answer cut anyway is asked once more with twice the budget.

use std::fmt;

use strum::{EnumString, IntoStaticStr, VariantArray};

/// One kind of model call.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumString,
    IntoStaticStr,
    VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum Task {
    /// The tutor's first line in an empty room.
    Opener,
    /// The tutor's answer to the learner.
    Reply,
    /// Whether a learner's line is right, its correction and why.
    Feedback,
    /// Which of a scene's goals the learner has reached.
    GoalCheck,
    /// Lines the learner could say next, with their meanings.
    Suggestions,
    /// A line in the learner's own language.
    Translation,
    /// The review of a whole conversation.
    Report,
    /// A notebook word's meaning.
    Meaning,
}

/// How much a reasoning model thinks before it answers, from least to most. A model that does
/// not reason is sent none of it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, EnumString, IntoStaticStr, VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum Effort {
    None,
    Minimal,
    Low,
    Medium,
}

impl Effort {
    /// The next effort up, for a model that refuses this one (gpt-5 has no `none`, the o-series
    /// no `minimal`).
    pub fn raised(self) -> Option<Effort> {
        match self {
            Effort::None => Some(Effort::Minimal),
            Effort::Minimal => Some(Effort::Low),
            Effort::Low => Some(Effort::Medium),
            Effort::Medium => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Output tokens a reasoning model may spend thinking at this effort before any visible
    /// text: they come out of the same budget (`max_completion_tokens`), so the budget a task
    /// needs for its answer is raised by this much for such a model.
    pub fn thinking_allowance(self) -> u32 {
        match self {
            Effort::None => 0,
            Effort::Minimal => 256,
            Effort::Low => 2048,
            Effort::Medium => 6144,
        }
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.into())
    }
}

/// What one kind of call may spend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskSettings {
    /// The most visible output tokens (a reasoning model gets its thinking allowance on top).
    pub max_tokens: u32,
    /// Sent only to models that accept one.
    pub temperature: f32,
    /// Sent only to models that reason.
    pub effort: Effort,
}

impl Task {
    /// The defaults, and why:
    /// - the opener and the reply are the role-play: varied (0.8), thinking nothing first so
    ///   the first token comes at once; a long C2 turn in Japanese is about 110 tokens;
    /// - the judging calls (feedback, goals) are near-deterministic (0.1 / 0) and think a little,
    ///   since a wrong verdict teaches wrong; their answers are short;
    /// - suggestions vary (0.7) and are three short lines with their meanings;
    /// - a translation is faithful (0.2), a meaning plain (0.2);
    /// - the report is the longest answer (about 800 tokens in Korean or Japanese, its lists
    ///   bounded by the schema) and thinks a little to judge the whole conversation.
    pub fn defaults(self) -> TaskSettings {
        let (max_tokens, temperature, effort) = match self {
            Task::Opener => (300, 0.8, Effort::None),
            Task::Reply => (400, 0.8, Effort::None),
            Task::Feedback => (400, 0.1, Effort::Low),
            Task::GoalCheck => (120, 0.0, Effort::Low),
            Task::Suggestions => (500, 0.7, Effort::None),
            Task::Translation => (400, 0.2, Effort::None),
            Task::Report => (2500, 0.3, Effort::Low),
            Task::Meaning => (150, 0.2, Effort::None),
        };
        TaskSettings {
            max_tokens,
            temperature,
            effort,
        }
    }

    /// Whether the answer is JSON that follows a schema.
    pub fn is_structured(self) -> bool {
        !matches!(self, Task::Opener | Task::Reply)
    }
}

/// The settings of every task: the defaults, with what the deployer changed.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskTable {
    settings: Vec<(Task, TaskSettings)>,
}

impl Default for TaskTable {
    fn default() -> Self {
        TaskTable {
            settings: Task::VARIANTS
                .iter()
                .map(|task| (*task, task.defaults()))
                .collect(),
        }
    }
}

impl TaskTable {
    pub fn get(&self, task: Task) -> TaskSettings {
        self.settings
            .iter()
            .find(|(t, _)| *t == task)
            .map(|(_, settings)| *settings)
            .unwrap_or_else(|| task.defaults())
    }

    fn get_mut(&mut self, task: Task) -> &mut TaskSettings {
        let index = self
            .settings
            .iter()
            .position(|(t, _)| *t == task)
            .expect("every task has settings");
        &mut self.settings[index].1
    }

    /// The defaults changed by `ROLECHAT_MODEL_TASKS`: `task.setting=value` pairs separated by
    /// commas or spaces, e.g. `report.max_tokens=4000, reply.temperature=0.6,
    /// feedback.effort=minimal`. An unknown task, setting or a value out of range is an error
    /// that says which.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut table = TaskTable::default();
        for pair in text
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("`{pair}` is not task.setting=value"))?;
            let (task, setting) = key
                .split_once('.')
                .ok_or_else(|| format!("`{key}` is not task.setting"))?;
            let task: Task = task.parse().map_err(|_| {
                format!(
                    "`{task}` is not a task (one of {})",
                    Task::VARIANTS
                        .iter()
                        .map(|t| t.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            let settings = table.get_mut(task);
            match setting {
                "max_tokens" => {
                    settings.max_tokens = value
                        .parse()
                        .ok()
                        .filter(|n| (16..=32_000).contains(n))
                        .ok_or_else(|| {
                        format!("{key} must be a whole number from 16 to 32000")
                    })?
                }
                "temperature" => {
                    settings.temperature = value
                        .parse()
                        .ok()
                        .filter(|t: &f32| (0.0..=2.0).contains(t))
                        .ok_or_else(|| format!("{key} must be a number from 0 to 2"))?
                }
                "effort" => {
                    settings.effort = value
                        .parse()
                        .map_err(|_| format!("{key} must be none, minimal, low or medium"))?
                }
                other => {
                    return Err(format!(
                        "`{other}` is not a setting (max_tokens, temperature or effort)"
                    ));
                }
            }
        }
        Ok(table)
    }

    /// `ROLECHAT_MAX_TOKENS`, which before per-task budgets bounded every call, now bounds the
    /// tutor's lines (opener and reply) only.
    pub fn with_reply_budget(mut self, max_tokens: u32) -> Self {
        for task in [Task::Opener, Task::Reply] {
            self.get_mut(task).max_tokens = max_tokens;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_give_judging_low_temperatures_and_the_report_the_largest_budget() {
        let table = TaskTable::default();
        for task in [Task::Feedback, Task::GoalCheck] {
            assert!(table.get(task).temperature <= 0.1, "{task}");
        }
        assert!(table.get(Task::Reply).temperature >= 0.7);
        assert_eq!(table.get(Task::Reply).effort, Effort::None);
        let report = table.get(Task::Report).max_tokens;
        for task in Task::VARIANTS.iter().filter(|t| **t != Task::Report) {
            assert!(table.get(*task).max_tokens < report, "{task}");
        }
    }

    #[test]
    fn settings_are_changed_by_name_and_bad_ones_are_refused() {
        let table = TaskTable::parse(
            "report.max_tokens=4000, reply.temperature=0.6 feedback.effort=minimal",
        )
        .unwrap();
        assert_eq!(table.get(Task::Report).max_tokens, 4000);
        assert_eq!(table.get(Task::Reply).temperature, 0.6);
        assert_eq!(table.get(Task::Feedback).effort, Effort::Minimal);
        assert_eq!(table.get(Task::Meaning), Task::Meaning.defaults());
        assert_eq!(TaskTable::parse("").unwrap(), TaskTable::default());
        for bad in [
            "report",
            "report=3",
            "story.max_tokens=3",
            "report.max_tokens=5",
            "report.max_tokens=many",
            "reply.temperature=3",
            "reply.effort=huge",
            "reply.colour=blue",
        ] {
            assert!(TaskTable::parse(bad).is_err(), "{bad}");
        }
        let old = TaskTable::default().with_reply_budget(250);
        assert_eq!(old.get(Task::Reply).max_tokens, 250);
        assert_eq!(old.get(Task::Opener).max_tokens, 250);
        assert_eq!(old.get(Task::Report), Task::Report.defaults());
    }

    #[test]
    fn a_refused_effort_is_raised_one_step() {
        assert_eq!(Effort::None.raised(), Some(Effort::Minimal));
        assert_eq!(Effort::Minimal.raised(), Some(Effort::Low));
        assert_eq!(Effort::Medium.raised(), None);
        assert!(Effort::Low.thinking_allowance() > Effort::Minimal.thinking_allowance());
    }
}
