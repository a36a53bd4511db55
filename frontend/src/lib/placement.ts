// The placement chat: a room of its own where a teacher asks one question at a time, each a little
// harder; after enough answers the review's CEFR estimate (a strict schema, judged against the
// Companion Volume's descriptors on the learner's own lines) sets the starting level.

import type { Api } from "./api";
import { t } from "./i18n.svelte";
import type { Language, Level, Room } from "./types";

/** Answers before the estimate is asked for: the review judges five lines or more. */
export const PLACEMENT_ANSWERS = 5;

export function startPlacement(api: Api, language: Language, level: Level): Promise<Room> {
  return api.createRoom({
    title: t("placement_title"),
    language,
    level,
    situation: t("placement_situation"),
    my_role: t("placement_my_role"),
    gpt_role: t("placement_gpt_role"),
    goals: [],
    auto_feedback: false,
  });
}
