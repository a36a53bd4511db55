// The shapes of the Rolechat API (openapi.yaml at the repository's root).

export interface User {
  username: string;
  created_at: string;
  display_name: string | null;
  /** The language of explanations and translations. */
  native_language: "ko" | "en" | "ja";
  login_methods: string[];
  /** Each provider account that logs in to this one, as the provider named it. */
  linked_logins: { provider: string; account: string | null; linked_at: string | null }[];
  /** A generated username (made through a provider) may be changed, once. */
  username_changeable: boolean;
}

export interface Login {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  user: User;
}

export const LANGUAGES = ["en-US", "ja-JP", "ko-KR", "zh-CN", "es-ES", "fr-FR", "de-DE"] as const;
export type Language = (typeof LANGUAGES)[number];
/** CEFR levels, from A1 (beginner) to C2 (proficient). */
export const LEVELS = ["A1", "A2", "B1", "B2", "C1", "C2"] as const;
export type Level = (typeof LEVELS)[number];

export interface Goal {
  id: string;
  text: string;
  done: boolean;
  done_at: string | null;
}

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
export interface Scenario {
  id: string;
  category: Category;
  title: string;
  situation: string;
  my_role: string;
  gpt_role: string;
  goals: string[];
  levels: Level[];
}

export interface Room {
  id: string;
  title: string;
  language: Language;
  level: Level;
  situation: string;
  my_role: string;
  gpt_role: string;
  created_at: string;
  updated_at: string;
  last_message_at: string | null;
  message_count: number;
  /** The start of the latest message, null before the first. */
  last_line: string | null;
  scenario: string | null;
  goals: Goal[];
  auto_feedback: boolean;
}

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
}

export interface Feedback {
  /** False when no model judged the line (the offline demo): `ok` then says nothing. */
  checked: boolean;
  ok: boolean;
  corrected: string;
  explanation: string;
  ui_language: "ko" | "en" | "ja";
}

export interface Message {
  id: string;
  role: "user" | "assistant";
  content: string;
  created_at: string;
  feedback?: Feedback;
  translations?: Partial<Record<"ko" | "en" | "ja", string>>;
}

export interface Report {
  created_at: string;
  message_count: number;
  summary: string;
  goals: Goal[];
  strengths: string[];
  mistakes: { message_id: string; original: string; corrected: string; explanation: string }[];
  vocabulary: { text: string; meaning: string; example: string }[];
  next_steps: string[];
  cefr_estimate: Level | null;
  ui_language: "ko" | "en" | "ja";
}

export const RATINGS = ["again", "hard", "good", "easy"] as const;
export type Rating = (typeof RATINGS)[number];

/** A word or phrase in the learner's notebook, with its review schedule. */
export interface VocabularyItem {
  id: string;
  text: string;
  language: Language;
  meaning: string;
  example: string;
  room_id: string | null;
  message_id: string | null;
  created_at: string;
  due_at: string;
  state: "new" | "learning" | "review" | "relearning";
  reps: number;
  lapses: number;
  last_reviewed_at: string | null;
}

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
