//! What a learner's dictionary says of a saved word beyond its meaning.

use serde::{Deserialize, Serialize};

/// A word's reading, dictionary form and grammar, where they apply: kana for Japanese and pinyin
/// with tone marks for Chinese; the form a dictionary lists an inflected word under (먹었어요 →
/// 먹다); a noun's article, gender and plural in German, French and Spanish.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordDetails {
    #[serde(default)]
    pub reading: Option<String>,
    #[serde(default)]
    pub dictionary_form: Option<String>,
    #[serde(default)]
    pub grammar: Option<String>,
}

impl WordDetails {
    /// The details with blank ones, and ones that only repeat the word, left out.
    pub fn tidied(self, text: &str) -> WordDetails {
        let keep = |value: Option<String>| {
            value
                .map(|value| value.trim().chars().take(100).collect::<String>())
                .filter(|value| !value.is_empty() && value != text.trim())
        };
        WordDetails {
            reading: keep(self.reading),
            dictionary_form: keep(self.dictionary_form),
            grammar: keep(self.grammar),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == WordDetails::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_and_repeated_details_are_left_out() {
        let details = WordDetails {
            reading: Some(" たべました ".into()),
            dictionary_form: Some("食べました".into()),
            grammar: Some("  ".into()),
        }
        .tidied("食べました");
        assert_eq!(details.reading.as_deref(), Some("たべました"));
        assert_eq!((details.dictionary_form, details.grammar), (None, None));
        assert!(WordDetails::default().tidied("x").is_empty());
    }
}
