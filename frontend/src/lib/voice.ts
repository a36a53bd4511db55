// Dictation with the browser's speech recognition, in the room's language, where it exists.

interface RecognitionResultEvent {
  results: ArrayLike<ArrayLike<{ transcript: string }> & { isFinal: boolean }>;
}

interface Recognition {
  lang: string;
  interimResults: boolean;
  continuous: boolean;
  onresult: ((event: RecognitionResultEvent) => void) | null;
  onend: (() => void) | null;
  onerror: ((event: { error: string }) => void) | null;
  start(): void;
  stop(): void;
}

type RecognitionConstructor = new () => Recognition;

function recognitionClass(): RecognitionConstructor | null {
  if (typeof window === "undefined") return null;
  const scope = window as unknown as {
    SpeechRecognition?: RecognitionConstructor;
    webkitSpeechRecognition?: RecognitionConstructor;
  };
  return scope.SpeechRecognition ?? scope.webkitSpeechRecognition ?? null;
}

export function dictationSupported(): boolean {
  return recognitionClass() !== null;
}

/** Why listening stopped without words: the browser's error codes, grouped as the learner acts on them. */
export type DictationProblem = "not-allowed" | "no-speech" | "no-microphone" | "network" | "other";

export function problemOf(code: string): DictationProblem {
  if (code === "not-allowed" || code === "service-not-allowed") return "not-allowed";
  if (code === "no-speech") return "no-speech";
  if (code === "audio-capture") return "no-microphone";
  if (code === "network") return "network";
  return "other";
}

export interface DictationEvents {
  /** The final transcript. */
  onText: (text: string) => void;
  /** Listening failed; `onEnd` follows. */
  onProblem: (problem: DictationProblem) => void;
  /** Listening is over, whatever the outcome. */
  onEnd: () => void;
}

/** Listens once in `language`; the returned function stops listening early. */
export function dictate(language: string, events: DictationEvents): () => void {
  const Recognition = recognitionClass();
  if (!Recognition) {
    events.onProblem("other");
    events.onEnd();
    return () => {};
  }
  const recognition = new Recognition();
  recognition.lang = language;
  recognition.interimResults = false;
  recognition.continuous = false;
  recognition.onresult = (event) => {
    const text = Array.from(event.results)
      .filter((result) => result.isFinal)
      .map((result) => result[0].transcript)
      .join(" ")
      .trim();
    if (text) events.onText(text);
  };
  recognition.onerror = (event) => {
    // Stopping early by hand is not a problem.
    if (event.error !== "aborted") events.onProblem(problemOf(event.error));
  };
  recognition.onend = () => events.onEnd();
  try {
    recognition.start();
  } catch {
    events.onProblem("other");
    events.onEnd();
  }
  return () => recognition.stop();
}
