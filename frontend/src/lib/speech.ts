// Reading tutor messages aloud with the browser's speech synthesis, in the room's language.

export function speechSupported(): boolean {
  return typeof window !== "undefined" && "speechSynthesis" in window && "SpeechSynthesisUtterance" in window;
}

/** A voice for the language (`ko-KR`), preferring an exact match, then the same base language. */
export function voiceFor(language: string, voices: SpeechSynthesisVoice[]): SpeechSynthesisVoice | null {
  const base = language.split("-")[0].toLowerCase();
  return (
    voices.find((voice) => voice.lang.toLowerCase() === language.toLowerCase()) ??
    voices.find((voice) => voice.lang.toLowerCase().split(/[-_]/)[0] === base) ??
    null
  );
}

/** The voices the browser has for `language` (same base language), best match first. */
export function voicesFor(language: string, voices: SpeechSynthesisVoice[]): SpeechSynthesisVoice[] {
  const base = language.split("-")[0].toLowerCase();
  const exact = language.toLowerCase();
  return voices
    .filter((voice) => voice.lang.toLowerCase().split(/[-_]/)[0] === base)
    .sort((a, b) => Number(b.lang.toLowerCase() === exact) - Number(a.lang.toLowerCase() === exact));
}

/** The speeds a learner can choose: slow speech is what they ask for most. */
export const RATES = [0.6, 0.8, 1] as const;
export type Rate = (typeof RATES)[number];

const RATE_KEY = "rolechat.voice.rate";
const AUTO_READ_KEY = "rolechat.autoRead";

/** Whether the tutor's new lines are read aloud as they arrive, as chosen in this browser. */
export function savedAutoRead(): boolean {
  return localStorage.getItem(AUTO_READ_KEY) === "1";
}

export function saveAutoRead(on: boolean) {
  localStorage.setItem(AUTO_READ_KEY, on ? "1" : "0");
}
const VOICE_KEY = "rolechat.voice.";

/** How fast replies are read, remembered in this browser. */
export function savedRate(): Rate {
  const stored = Number(localStorage.getItem(RATE_KEY));
  return (RATES as readonly number[]).includes(stored) ? (stored as Rate) : 1;
}

export function saveRate(rate: Rate) {
  localStorage.setItem(RATE_KEY, String(rate));
}

/** The voice chosen for a conversation language (its `voiceURI`), remembered per language. */
export function savedVoice(language: string): string | null {
  return localStorage.getItem(VOICE_KEY + language);
}

export function saveVoice(language: string, voiceURI: string | null) {
  if (voiceURI) localStorage.setItem(VOICE_KEY + language, voiceURI);
  else localStorage.removeItem(VOICE_KEY + language);
}

/** Reads `text` aloud in `language`, at the learner's speed, in their chosen voice if it is there. */
export function speak(text: string, language: string) {
  if (!speechSupported()) return;
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = language;
  utterance.rate = savedRate();
  const voices = window.speechSynthesis.getVoices();
  const chosen = savedVoice(language);
  const voice = voices.find((v) => v.voiceURI === chosen) ?? voiceFor(language, voices);
  if (voice) utterance.voice = voice;
  window.speechSynthesis.cancel();
  window.speechSynthesis.speak(utterance);
}
