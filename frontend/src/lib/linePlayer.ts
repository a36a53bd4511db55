// The tutor's lines in the server's voice: fetched once per line and speed (the server keeps
// them too), played one at a time, stopped when the learner talks over them.
import type { Api } from "./api";
import { savedRate } from "./speech";

export interface LinePlayer {
  /** Plays a message's line; resolves when it ends or is stopped. `onSound` at its first sound. */
  play(messageId: string, onSound?: () => void): Promise<void>;
  stop(): void;
  /** Whether a line is playing now. */
  playing(): boolean;
  dispose(): void;
}

export function createLinePlayer(api: Api, roomId: string): LinePlayer {
  const kept = new Map<string, string>();
  let current: { audio: HTMLAudioElement; done: () => void } | null = null;

  async function urlFor(messageId: string, speed: number): Promise<string> {
    const key = `${messageId}@${speed}`;
    let url = kept.get(key);
    if (!url) {
      url = URL.createObjectURL(await api.lineAudio(roomId, messageId, speed));
      kept.set(key, url);
    }
    return url;
  }

  function stop() {
    if (!current) return;
    const { audio, done } = current;
    current = null;
    audio.pause();
    done();
  }

  return {
    async play(messageId, onSound) {
      stop();
      const url = await urlFor(messageId, savedRate());
      const audio = new Audio(url);
      await new Promise<void>((resolve, reject) => {
        current = { audio, done: resolve };
        audio.addEventListener("playing", () => onSound?.(), { once: true });
        audio.addEventListener("ended", () => {
          if (current?.audio === audio) current = null;
          resolve();
        });
        audio.addEventListener("error", () => {
          if (current?.audio === audio) current = null;
          reject(new Error("the audio could not be played"));
        });
        audio.play().catch((error) => {
          if (current?.audio === audio) current = null;
          reject(error);
        });
      });
    },
    stop,
    playing: () => current !== null,
    dispose() {
      stop();
      for (const url of kept.values()) URL.revokeObjectURL(url);
      kept.clear();
    },
  };
}
