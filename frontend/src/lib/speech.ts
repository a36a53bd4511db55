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

export function speak(text: string, language: string) {
  if (!speechSupported()) return;
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = language;
  const voice = voiceFor(language, window.speechSynthesis.getVoices());
  if (voice) utterance.voice = voice;
  window.speechSynthesis.cancel();
  window.speechSynthesis.speak(utterance);
}
