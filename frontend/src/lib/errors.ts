// What the learner reads when something fails: the contract's error codes and fields put into the
// interface language. The server's own English message is shown only for what the site does not
// know (a code or field added later), inside a translated frame.
import { ApiError } from "./api";
import { hasKey, type Key, t } from "./i18n.svelte";

/** What was being done when it failed, for the errors whose meaning depends on it. */
export type Action =
  | "turn"
  | "retry"
  | "suggest"
  | "aid"
  | "report"
  | "room_create"
  | "review"
  | "save"
  | "fact";

const MODEL_ACTIONS: readonly Action[] = ["turn", "retry", "suggest", "aid", "report"];

/** A failure as one sentence in the interface language. */
export function errorText(error: unknown, action?: Action): string {
  if (!(error instanceof ApiError)) return t("error_generic", { message: String(error) });
  if (error.code === "network") return t("error_network");
  const conflict = `conflict_${action}`;
  if (error.code === "conflict" && hasKey(conflict)) return t(conflict);
  if (error.code === "rate_limited" && action && MODEL_ACTIONS.includes(action))
    return t("error_rate_limited_model");
  const key = `error_${error.code}`;
  return hasKey(key) ? t(key) : t("error_generic", { message: error.message });
}

const FIELD_RULES: Record<string, Key> = {
  username: "username_hint",
  password: "password_hint",
  situation: "setup_hint",
  my_role: "setup_hint",
  gpt_role: "setup_hint",
  title: "field_title_hint",
  content: "field_rule_content",
  language: "field_rule_language",
  level: "field_rule_level",
  display_name: "display_name_hint",
  new_password: "password_hint",
  native_language: "field_rule_language",
  email: "email_hint",
};

/** A field's problem as the interface says it: its rule, or that it is required. */
export function fieldText(error: ApiError | null, field: string): string | undefined {
  const problem = error?.fields[field];
  if (problem === undefined) return undefined;
  if (problem === "is required") return t("field_required");
  const rule = FIELD_RULES[field];
  return rule ? t(rule) : problem;
}

/** What is wrong with a username, precisely (its length, or the characters to remove), for a
 * field the server refused; the server's rules, checked on the same characters. */
export function usernameProblem(value: string): string | undefined {
  const characters = [...value];
  if (characters.length < 3) return t("username_too_short", { count: characters.length });
  if (characters.length > 32) return t("username_too_long", { count: characters.length });
  const refused = [...new Set(characters.filter((c) => !/^[A-Za-z0-9_.-]$/.test(c)))];
  if (refused.length === 0) return undefined;
  return t("username_bad_characters", {
    characters: refused.map((c) => (/\s/.test(c) ? `“${t("character_space")}”` : `“${c}”`)).join(" "),
  });
}

/** What is wrong with a new password, precisely. */
export function passwordProblem(value: string, username: string): string | undefined {
  const length = [...value].length;
  if (length < 8) return t("password_too_short", { count: length });
  if (length > 128) return t("password_too_long", { count: length });
  if (value.toLowerCase() === username.toLowerCase()) return t("password_same_as_username");
  return undefined;
}
