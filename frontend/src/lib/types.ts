// The shapes of the Rolechat API. Those `openapi.yaml` describes come from it, generated into
// schema.gen.ts (`npm run types`; `make site` fails when it is stale); the rest are the site's.
import type { components, operations } from "./schema.gen";

type Schemas = components["schemas"];

export type User = Schemas["User"];

export type Login = Schemas["Login"];

/** What `PATCH /me` changes: the profile, and the learner's study, day and goal. */
export type ProfileChanges = Schemas["ProfileChanges"];
export type DailyGoal = Schemas["DailyGoal"];
export type Reminders = Schemas["Reminders"];
export type Study = Schemas["Study"];
export const REASONS = ["travel", "work", "exam", "family", "fun"] as const;
export type Reason = (typeof REASONS)[number];

/** Something the learner chose to tell the tutor, used in later scenes. */
export type Fact = Schemas["Fact"];
export type MistakeCategory = Schemas["MistakeCategory"];

export const LANGUAGES = ["en-US", "ja-JP", "ko-KR", "zh-CN", "es-ES", "fr-FR", "de-DE"] as const;
export type Language = (typeof LANGUAGES)[number];
/** CEFR levels, from A1 (beginner) to C2 (proficient). */
export const LEVELS = ["A1", "A2", "B1", "B2", "C1", "C2"] as const;
export type Level = (typeof LEVELS)[number];

export type Goal = Schemas["Goal"];

export const CATEGORIES = [
  "daily",
  "food",
  "travel",
  "shopping",
  "work",
  "social",
  "health",
  "emergency",
] as const;
export type Category = (typeof CATEGORIES)[number];

/** A ready role-play of the catalogue, its texts in the interface's language. */
export type Scenario = Schemas["Scenario"];

export type Room = Schemas["Room"];

/** Today, the streak, twelve weeks of study, the room to continue and the next scene. */
export type Progress = Schemas["Progress"];

/** A line the learner could say next, with what it means in the interface's language. */
export interface Suggestion {
  text: string;
  translation?: string;
}

/** A new room from a catalogue scenario: its texts and goals fill in the rest. */
export interface ScenarioRoom {
  scenario: string;
  ui: "ko" | "en" | "ja";
  language: Language;
  level: Level;
}

export interface RoomSetup {
  title?: string | null;
  language: Language;
  level: Level;
  situation: string;
  my_role: string;
  gpt_role: string;
  goals?: string[];
  auto_feedback?: boolean;
}

export type Feedback = Schemas["Feedback"];

export type Message = Schemas["Message"];

export type Report = Schemas["Report"];

export const RATINGS = ["again", "hard", "good", "easy"] as const;
export type Rating = (typeof RATINGS)[number];

/** A word or phrase in the learner's notebook, with its review schedule. */
export type VocabularyItem = Schemas["VocabularyItem"];

export interface NewWord {
  text: string;
  language: Language;
  meaning?: string;
  example?: string;
  room_id?: string;
  message_id?: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface OpenedRoom {
  room: Room;
  messages: Message[];
  older_cursor: string | null;
  report: Report | null;
}

export interface Turn {
  user_message: Message | null;
  reply: Message;
  /** The room's goals after the reply, when it has goals and they were judged. */
  goals?: Goal[];
}

/** The limits the API enforces, shown before submit. */
export const LIMITS = {
  username: [3, 32],
  password: [8, 128],
  setup: 200,
  title: 80,
  content: 2000,
  word: 100,
  displayName: 40,
} as const;

/** Whether the server speaks and hears (a speech server), or the browser's own speech is used. */
export type SpeechSettings = operations["speechSettings"]["responses"]["200"]["content"]["application/json"];

/** A line said again: each word of it marked heard or not. */
export type Attempt = operations["sayAgain"]["responses"]["200"]["content"]["application/json"];
