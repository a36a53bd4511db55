// Listening for the learner's speech with voice-activity detection in the browser (Silero VAD
// through onnxruntime-web): it hears when they start and stop and hands over each spoken line as
// a WAV. Its model and runtime (about 17 MB, 6 MB compressed) load the first time it is used.

export type ListenProblem = "not-allowed" | "no-microphone" | "other";

export interface ListenEvents {
  /** The learner started speaking (also: stop the tutor's voice). */
  onSpeechStart?: () => void;
  /** A spoken line, as a 16 kHz mono WAV. */
  onLine: (wav: Blob) => void;
  /** Something that sounded like speech was too short to be a line. */
  onMisfire?: () => void;
}

export interface Listener {
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** Why the microphone could not be used, from the browser's error. */
export function problemOf(error: unknown): ListenProblem {
  const name = (error as { name?: string } | null)?.name ?? "";
  if (name === "NotAllowedError" || name === "SecurityError") return "not-allowed";
  if (name === "NotFoundError" || name === "OverconstrainedError" || name === "NotReadableError")
    return "no-microphone";
  return "other";
}

export function listeningSupported(): boolean {
  return (
    typeof navigator !== "undefined" && !!navigator.mediaDevices?.getUserMedia && "AudioContext" in window
  );
}

/** Starts listening; rejects with a `ListenProblem` when the microphone cannot be had. */
export async function listen(events: ListenEvents): Promise<Listener> {
  if (!listeningSupported()) throw "no-microphone" satisfies ListenProblem;
  // A microphone that is refused or missing is found before the detector's model is loaded.
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, autoGainControl: true, noiseSuppression: true },
    });
  } catch (error) {
    throw problemOf(error);
  }
  const { MicVAD, utils } = await import("@ricky0123/vad-web");
  try {
    const vad = await MicVAD.new({
      model: "v5",
      baseAssetPath: "/vad/",
      onnxWASMBasePath: "/vad/",
      getStream: async () => stream,
      pauseStream: async () => {},
      resumeStream: async () => stream,
      // A pause of most of a second ends a line: learners stop to think mid-sentence.
      redemptionMs: 900,
      minSpeechMs: 300,
      preSpeechPadMs: 300,
      onSpeechStart: () => events.onSpeechStart?.(),
      onVADMisfire: () => events.onMisfire?.(),
      onSpeechEnd: (audio: Float32Array) => {
        events.onLine(new Blob([utils.encodeWAV(audio)], { type: "audio/wav" }));
      },
    });
    await vad.start();
    return {
      pause: () => vad.pause(),
      resume: () => vad.start(),
      stop: async () => {
        await vad.destroy();
        for (const track of stream.getTracks()) track.stop();
      },
    };
  } catch (error) {
    for (const track of stream.getTracks()) track.stop();
    console.error("voice detection failed to start", error);
    throw "other" satisfies ListenProblem;
  }
}
