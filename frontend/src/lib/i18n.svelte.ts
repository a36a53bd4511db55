// The interface in Korean and English: chosen from the browser, switchable, remembered.

const en = {
  app_tagline: "Role-play conversations with an AI tutor, in the language you are learning.",
  nav_login: "Log in",
  nav_signup: "Sign up",
  nav_logout: "Log out",
  nav_rooms: "My rooms",
  logged_in_as: "Logged in as {name}",
  ui_language: "Interface language",
  username: "Username",
  password: "Password",
  username_hint: "3–32 characters: letters, digits, _ . -",
  password_hint: "8–128 characters, not your username",
  login_title: "Log in",
  signup_title: "Create your account",
  login_submit: "Log in",
  signup_submit: "Sign up",
  to_signup: "New here? Create an account",
  to_login: "Already have an account? Log in",
  rooms_title: "My rooms",
  rooms_empty: "No rooms yet. Create one to start a conversation.",
  new_room: "New room",
  load_more: "Show more",
  last_active: "Last active {when}",
  never_active: "No messages yet",
  messages_count: "{count} messages",
  edit: "Edit",
  delete: "Delete",
  open: "Open",
  cancel: "Cancel",
  confirm_delete_title: "Delete this room?",
  confirm_delete_body: "“{title}” and its whole conversation will be gone for good.",
  room_new_title: "New room",
  room_edit_title: "Edit room",
  field_title: "Title (optional)",
  field_title_hint: "Up to 80 characters; the situation is used when empty",
  field_language: "Conversation language",
  field_level: "Your level",
  field_situation: "Situation",
  field_situation_placeholder: "Ordering coffee in Seattle",
  field_my_role: "Your role",
  field_my_role_placeholder: "A customer",
  field_gpt_role: "The tutor's role",
  field_gpt_role_placeholder: "A barista",
  setup_hint: "1–200 characters, in any language",
  save: "Save",
  create: "Create room",
  level_beginner: "Beginner",
  level_intermediate: "Intermediate",
  level_advanced: "Advanced",
  "lang_en-US": "English (US)",
  "lang_ja-JP": "Japanese",
  "lang_ko-KR": "Korean",
  "lang_zh-CN": "Chinese (Mandarin)",
  "lang_es-ES": "Spanish",
  "lang_fr-FR": "French",
  "lang_de-DE": "German",
  you: "You",
  tutor: "Tutor",
  situation: "Situation",
  roles: "You: {mine} · Tutor: {theirs}",
  message_label: "Your message",
  message_placeholder: "Write in {language}… (Enter to send, Shift+Enter for a new line)",
  send: "Send",
  suggest: "Suggest",
  suggest_busy: "Thinking…",
  typing: "The tutor is typing",
  retry: "Try again",
  turn_failed: "The tutor could not answer: {reason}",
  older_loading: "Loading earlier messages…",
  read_aloud: "Read aloud",
  auto_read: "Read replies aloud",
  back_to_rooms: "← My rooms",
  characters: "{count}/{max}",
  error_network: "The server cannot be reached. Check your connection and try again.",
  error_generic: "Something went wrong: {message}",
  not_found: "This room does not exist.",
};

export type Key = keyof typeof en;

const ko: Record<Key, string> = {
  app_tagline: "배우는 언어로 AI 튜터와 역할극 대화를 나눠 보세요.",
  nav_login: "로그인",
  nav_signup: "회원가입",
  nav_logout: "로그아웃",
  nav_rooms: "내 대화방",
  logged_in_as: "{name} 님으로 로그인됨",
  ui_language: "화면 언어",
  username: "아이디",
  password: "비밀번호",
  username_hint: "3–32자: 영문, 숫자, _ . -",
  password_hint: "8–128자, 아이디와 달라야 해요",
  login_title: "로그인",
  signup_title: "계정 만들기",
  login_submit: "로그인",
  signup_submit: "가입하기",
  to_signup: "처음이신가요? 계정을 만드세요",
  to_login: "이미 계정이 있나요? 로그인",
  rooms_title: "내 대화방",
  rooms_empty: "아직 대화방이 없어요. 하나 만들어 대화를 시작해 보세요.",
  new_room: "새 대화방",
  load_more: "더 보기",
  last_active: "마지막 대화 {when}",
  never_active: "아직 메시지가 없어요",
  messages_count: "메시지 {count}개",
  edit: "수정",
  delete: "삭제",
  open: "열기",
  cancel: "취소",
  confirm_delete_title: "이 대화방을 삭제할까요?",
  confirm_delete_body: "“{title}”과(와) 모든 대화가 영구히 사라져요.",
  room_new_title: "새 대화방",
  room_edit_title: "대화방 수정",
  field_title: "제목 (선택)",
  field_title_hint: "80자까지, 비워 두면 상황이 제목이 돼요",
  field_language: "대화 언어",
  field_level: "내 수준",
  field_situation: "상황",
  field_situation_placeholder: "카페에서 커피 주문하기",
  field_my_role: "내 역할",
  field_my_role_placeholder: "손님",
  field_gpt_role: "튜터의 역할",
  field_gpt_role_placeholder: "바리스타",
  setup_hint: "1–200자, 어떤 언어로든",
  save: "저장",
  create: "대화방 만들기",
  level_beginner: "초급",
  level_intermediate: "중급",
  level_advanced: "고급",
  "lang_en-US": "영어 (미국)",
  "lang_ja-JP": "일본어",
  "lang_ko-KR": "한국어",
  "lang_zh-CN": "중국어 (표준어)",
  "lang_es-ES": "스페인어",
  "lang_fr-FR": "프랑스어",
  "lang_de-DE": "독일어",
  you: "나",
  tutor: "튜터",
  situation: "상황",
  roles: "나: {mine} · 튜터: {theirs}",
  message_label: "내 메시지",
  message_placeholder: "{language}로 써 보세요… (Enter 보내기, Shift+Enter 줄바꿈)",
  send: "보내기",
  suggest: "예시 보기",
  suggest_busy: "생각 중…",
  typing: "튜터가 입력 중이에요",
  retry: "다시 시도",
  turn_failed: "튜터가 답하지 못했어요: {reason}",
  older_loading: "이전 메시지를 불러오는 중…",
  read_aloud: "소리 내어 읽기",
  auto_read: "답장 자동으로 읽기",
  back_to_rooms: "← 내 대화방",
  characters: "{count}/{max}",
  error_network: "서버에 연결할 수 없어요. 연결을 확인하고 다시 시도해 주세요.",
  error_generic: "문제가 생겼어요: {message}",
  not_found: "없는 대화방이에요.",
};

const dictionaries = { en, ko } as const;
export type UiLanguage = keyof typeof dictionaries;
const STORAGE_KEY = "rolechat.ui";

export function detectLanguage(stored: string | null, browser: readonly string[]): UiLanguage {
  if (stored === "en" || stored === "ko") return stored;
  return browser.some((tag) => tag.toLowerCase().startsWith("ko")) ? "ko" : "en";
}

export const i18n = $state({
  language: detectLanguage(
    typeof localStorage === "undefined" ? null : localStorage.getItem(STORAGE_KEY),
    typeof navigator === "undefined" ? [] : navigator.languages,
  ),
});

export function setLanguage(language: UiLanguage) {
  i18n.language = language;
  localStorage.setItem(STORAGE_KEY, language);
  document.documentElement.lang = language;
}

/** The text of `key` in the current language, with `{name}` placeholders filled in. */
export function t(key: Key, params: Record<string, string | number> = {}): string {
  const text = dictionaries[i18n.language][key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? `{${name}}`));
}

export function formatTime(iso: string): string {
  return new Intl.DateTimeFormat(i18n.language, { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(iso),
  );
}
