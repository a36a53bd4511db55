//! Speech: a learner's recording as the API takes it, the speeds a line is read at, and a
//! spoken attempt compared word by word with the line it tried to say.

use serde::Serialize;

use crate::domain::language::Language;

/// The longest recording taken: a turn or a line said again, well inside the upload limit.
pub const MAX_RECORDING_SECONDS: f64 = 30.0;
/// The largest upload: 30 s of 16 kHz 16-bit mono WAV is 960 KB; stereo or 48 kHz is refused by
/// size before it is read.
pub const MAX_RECORDING_BYTES: usize = 2 * 1024 * 1024;
/// Shorter than this is a tap, not speech (the transcription services refuse under 0.1 s).
pub const MIN_RECORDING_SECONDS: f64 = 0.3;

/// A recording checked to be a WAV of a length worth transcribing.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    pub seconds: f64,
    pub sample_rate: u32,
    pub channels: u16,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordingError {
    #[error("must be a WAV recording (PCM or float samples)")]
    NotWav,
    #[error("is {seconds:.1} s long; the longest taken is {max:.0} s")]
    TooLong { seconds: f64, max: f64 },
    #[error("is too short to hold speech ({seconds:.2} s)")]
    TooShort { seconds: f64 },
}

impl Recording {
    /// Reads the WAV header of `bytes` (no samples decoded): its length comes from the data
    /// chunk's size, which a truncated upload cannot fake longer than it is.
    pub fn parse(bytes: &[u8], max_seconds: f64) -> Result<Recording, RecordingError> {
        let reader = hound::WavReader::new(std::io::Cursor::new(bytes))
            .map_err(|_| RecordingError::NotWav)?;
        let spec = reader.spec();
        if spec.sample_rate == 0 || spec.channels == 0 {
            return Err(RecordingError::NotWav);
        }
        let claimed = u64::from(reader.duration());
        // The reader stops at the samples' start: frames the upload really holds after it, not
        // what its header claims.
        let data_start = reader.into_inner().position();
        let frame_bytes = u64::from(spec.channels) * u64::from(spec.bits_per_sample).div_ceil(8);
        let present = (bytes.len() as u64).saturating_sub(data_start) / frame_bytes.max(1);
        let frames = claimed.min(present);
        let seconds = frames as f64 / f64::from(spec.sample_rate);
        if seconds > max_seconds {
            return Err(RecordingError::TooLong {
                seconds,
                max: max_seconds,
            });
        }
        if seconds < MIN_RECORDING_SECONDS {
            return Err(RecordingError::TooShort { seconds });
        }
        Ok(Recording {
            seconds,
            sample_rate: spec.sample_rate,
            channels: spec.channels,
        })
    }
}

/// How fast a line is read: the learner's three speeds (slow speech is what they ask for most).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Speed {
    Slower,
    Slow,
    Normal,
}

impl Speed {
    pub const ALL: [Speed; 3] = [Speed::Slower, Speed::Slow, Speed::Normal];

    pub fn parse(text: &str) -> Result<Speed, String> {
        match text.parse::<f64>() {
            Ok(v) if (v - 0.6).abs() < 1e-6 => Ok(Speed::Slower),
            Ok(v) if (v - 0.8).abs() < 1e-6 => Ok(Speed::Slow),
            Ok(v) if (v - 1.0).abs() < 1e-6 => Ok(Speed::Normal),
            _ => Err("must be one of 0.6, 0.8, 1".into()),
        }
    }

    pub fn factor(self) -> f64 {
        match self {
            Speed::Slower => 0.6,
            Speed::Slow => 0.8,
            Speed::Normal => 1.0,
        }
    }

    /// Its name in a cache key.
    pub fn key(self) -> &'static str {
        match self {
            Speed::Slower => "0.6",
            Speed::Slow => "0.8",
            Speed::Normal => "1",
        }
    }
}

/// One word (a character in Japanese and Chinese) of the line the learner tried to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WordMark {
    pub text: String,
    /// Whether the recogniser heard it where it belongs.
    pub heard: bool,
}

/// The line said again: its words marked, and the share of them heard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    pub words: Vec<WordMark>,
    /// Heard words over all words, 0 to 1.
    pub heard_share: f64,
}

/// The units a line is compared in: words where the language writes spaces, characters where
/// it writes none (Japanese, Chinese). Punctuation is no unit.
fn units(text: &str, language: Language) -> Vec<String> {
    let by_character = matches!(language, Language::JaJp | Language::ZhCn);
    if by_character {
        text.chars()
            .filter(|c| c.is_alphanumeric())
            .map(|c| c.to_string())
            .collect()
    } else {
        text.split_whitespace()
            .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()).to_owned())
            .filter(|word| !word.is_empty())
            .collect()
    }
}

/// What counts as the same word: case, accents' composed forms and apostrophes' shapes aside.
fn normal(unit: &str) -> String {
    unit.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Compares what was heard with the line, word by word in order (the longest common
/// subsequence): a word of the line is heard when the transcript has it in its place.
pub fn compare(target: &str, heard: &str, language: Language) -> Attempt {
    let wanted = units(target, language);
    let said: Vec<String> = units(heard, language).iter().map(|u| normal(u)).collect();
    let keys: Vec<String> = wanted.iter().map(|u| normal(u)).collect();
    let (n, m) = (keys.len(), said.len());
    // lengths[i][j]: the longest common subsequence of keys[i..] and said[j..].
    let mut lengths = vec![vec![0u16; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lengths[i][j] = if keys[i] == said[j] {
                lengths[i + 1][j + 1] + 1
            } else {
                lengths[i + 1][j].max(lengths[i][j + 1])
            };
        }
    }
    let mut words = Vec::with_capacity(n);
    let (mut i, mut j) = (0, 0);
    while i < n {
        if j < m && keys[i] == said[j] {
            words.push(WordMark {
                text: wanted[i].clone(),
                heard: true,
            });
            i += 1;
            j += 1;
        } else if j < m && lengths[i][j + 1] >= lengths[i + 1][j] {
            j += 1;
        } else {
            words.push(WordMark {
                text: wanted[i].clone(),
                heard: false,
            });
            i += 1;
        }
    }
    let heard_count = words.iter().filter(|w| w.heard).count();
    Attempt {
        heard_share: if words.is_empty() {
            0.0
        } else {
            heard_count as f64 / words.len() as f64
        },
        words,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(seconds: f64, rate: u32) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::new(&mut out, spec).unwrap();
        for i in 0..(seconds * f64::from(rate)) as u32 {
            writer.write_sample(((i % 50) as i16 - 25) * 100).unwrap();
        }
        writer.finalize().unwrap();
        out.into_inner()
    }

    #[test]
    fn a_recording_is_a_wav_of_a_length_worth_hearing() {
        let ok = Recording::parse(&wav(2.0, 16_000), 30.0).unwrap();
        assert!((ok.seconds - 2.0).abs() < 0.01);
        assert_eq!(ok.sample_rate, 16_000);
        assert!(matches!(
            Recording::parse(&wav(31.0, 8_000), 30.0),
            Err(RecordingError::TooLong { .. })
        ));
        assert!(matches!(
            Recording::parse(&wav(0.1, 16_000), 30.0),
            Err(RecordingError::TooShort { .. })
        ));
        assert_eq!(
            Recording::parse(b"OggS not a wav at all", 30.0),
            Err(RecordingError::NotWav)
        );
        // A header that claims more than the upload holds is as long as what it holds.
        let mut cut = wav(10.0, 16_000);
        cut.truncate(44 + 32_000);
        let cut = Recording::parse(&cut, 30.0).unwrap();
        assert!((cut.seconds - 1.0).abs() < 0.01, "{cut:?}");
    }

    #[test]
    fn speeds_are_the_three_offered() {
        assert_eq!(Speed::parse("0.8"), Ok(Speed::Slow));
        assert_eq!(Speed::parse("1.0"), Ok(Speed::Normal));
        assert!(Speed::parse("2").is_err());
        assert!(Speed::parse("fast").is_err());
    }

    fn marks(attempt: &Attempt) -> Vec<(&str, bool)> {
        attempt
            .words
            .iter()
            .map(|w| (w.text.as_str(), w.heard))
            .collect()
    }

    #[test]
    fn a_missed_word_is_marked_in_its_place() {
        let attempt = compare(
            "I'd like a table for two, please.",
            "i like a table for two please",
            Language::EnUs,
        );
        assert_eq!(
            marks(&attempt),
            [
                ("I'd", false),
                ("like", true),
                ("a", true),
                ("table", true),
                ("for", true),
                ("two", true),
                ("please", true)
            ]
        );
        assert!((attempt.heard_share - 6.0 / 7.0).abs() < 1e-9);
        // Words said in another order are heard once, in order.
        let swapped = compare("uno dos tres", "tres dos uno", Language::EsEs);
        assert_eq!(swapped.words.iter().filter(|w| w.heard).count(), 1);
        assert_eq!(compare("Hallo!", "", Language::DeDe).heard_share, 0.0);
    }

    #[test]
    fn languages_without_spaces_are_compared_by_character() {
        let attempt = compare("コーヒーをください。", "コーヒーください", Language::JaJp);
        let missed: Vec<&str> = attempt
            .words
            .iter()
            .filter(|w| !w.heard)
            .map(|w| w.text.as_str())
            .collect();
        assert_eq!(missed, ["を"]);
        let korean = compare("커피 한 잔 주세요", "커피 주세요", Language::KoKr);
        assert_eq!(
            marks(&korean),
            [
                ("커피", true),
                ("한", false),
                ("잔", false),
                ("주세요", true)
            ]
        );
    }
}
