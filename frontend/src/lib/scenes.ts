// The scene suggested next, opened as a room: from Today, after onboarding or placement, and at
// the end of a scene.

import type { Api } from "./api";
import type { Progress, Room } from "./types";

/** A room of `suggestion`, or of the one the progress route suggests now when none is given;
 * null when every scene was played. */
export async function openSuggestedScene(
  api: Api,
  ui: "ko" | "en" | "ja",
  suggestion?: Progress["suggestion"],
): Promise<Room | null> {
  const scene = suggestion === undefined ? (await api.progress(ui)).suggestion : suggestion;
  if (!scene) return null;
  return api.createRoom({ scenario: scene.scenario.id, ui, language: scene.language, level: scene.level });
}
