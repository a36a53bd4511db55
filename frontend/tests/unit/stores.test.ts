import { beforeEach, describe, expect, it } from "vitest";
import { detectLanguage, i18n, setLanguage, t, tn } from "../../src/lib/i18n.svelte";
import { parseRoute } from "../../src/lib/router.svelte";
import { forget, logIn, session } from "../../src/lib/session.svelte";
import { voiceFor } from "../../src/lib/speech";

beforeEach(() => localStorage.clear());

describe("the interface language", () => {
  it("comes from the browser unless one was chosen", () => {
    expect(detectLanguage(null, ["ko-KR", "en-US"])).toBe("ko");
    expect(detectLanguage(null, ["en-GB"])).toBe("en");
    expect(detectLanguage("en", ["ko-KR"])).toBe("en");
    expect(detectLanguage("xx", ["ja-JP"])).toBe("ja");
    expect(detectLanguage(null, ["fr-FR", "ja", "ko"])).toBe("ja");
    expect(detectLanguage(null, ["de-DE"])).toBe("en");
  });

  it("chooses a counted text by the language's plural rules", () => {
    setLanguage("en");
    expect(tn("messages_count", 1)).toBe("1 message");
    expect(tn("messages_count", 2)).toBe("2 messages");
    expect(tn("messages_count", 0)).toBe("0 messages");
    setLanguage("ko");
    expect(tn("messages_count", 1)).toBe("메시지 1개");
    setLanguage("en");
  });

  it("speaks Japanese", () => {
    setLanguage("ja");
    expect(t("logged_in_as", { name: "mina" })).toBe("mina さんでログイン中");
    expect(t("delete_account_confirm", { name: "mina" })).toContain("mina");
    setLanguage("en");
  });

  it("switches, is remembered, and fills placeholders", () => {
    setLanguage("ko");
    expect(i18n.language).toBe("ko");
    expect(localStorage.getItem("rolechat.ui")).toBe("ko");
    expect(t("logged_in_as", { name: "mina" })).toBe("mina 님으로 로그인됨");
    setLanguage("en");
    expect(t("characters", { count: 3, max: 80 })).toBe("3/80");
  });
});

describe("the session", () => {
  it("keeps the token and user in localStorage, and forgets them", () => {
    logIn({
      access_token: "tok",
      token_type: "Bearer",
      expires_in: 60,
      user: {
        username: "mina",
        created_at: "t",
        display_name: null,
        native_language: "ko",
        login_methods: ["password"],
        linked_logins: [],
        username_changeable: false,
        time_zone: "UTC",
        daily_goal: { unit: "minutes", amount: 10 },
        study: null,
        onboarded: false,
        email: null,
        email_pending: null,
        email_bounced: false,
        reminders: { daily: false, weekly: false, hour: 19 },
      },
    });
    expect(session.token).toBe("tok");
    expect(localStorage.getItem("rolechat.token")).toBe("tok");
    expect(JSON.parse(localStorage.getItem("rolechat.user") ?? "{}").username).toBe("mina");
    forget();
    expect(session.token).toBeNull();
    expect(session.user).toBeNull();
    expect(localStorage.getItem("rolechat.token")).toBeNull();
  });
});

describe("routes", () => {
  it("map hashes to pages", () => {
    // Today is the home page; the room list one tap away.
    expect(parseRoute("")).toEqual({ page: "today" });
    expect(parseRoute("#/rooms")).toEqual({ page: "rooms" });
    expect(parseRoute("#/welcome")).toEqual({ page: "welcome" });
    expect(parseRoute("#/progress")).toEqual({ page: "progress" });
    expect(parseRoute("#/facts")).toEqual({ page: "facts" });
    expect(parseRoute("#/login")).toEqual({ page: "login" });
    expect(parseRoute("#/rooms/new")).toEqual({ page: "new-room" });
    expect(parseRoute("#/rooms/01ABC")).toEqual({ page: "chat", id: "01ABC" });
    expect(parseRoute("#/rooms/01ABC/edit")).toEqual({ page: "edit-room", id: "01ABC" });
    expect(parseRoute("#/nowhere")).toEqual({ page: "today" });
  });

  it("carry a mail link's token to its page", () => {
    expect(parseRoute("#/forgot")).toEqual({ page: "forgot" });
    expect(parseRoute("#/reset-password?token=abc-_9")).toEqual({ page: "reset-password", token: "abc-_9" });
    expect(parseRoute("#/verify-email?token=t0k")).toEqual({ page: "verify-email", token: "t0k" });
    expect(parseRoute("#/unsubscribe?token=a.b.c")).toEqual({ page: "unsubscribe", token: "a.b.c" });
    // A link cut short by a mail client: the page says the link no longer works.
    expect(parseRoute("#/reset-password")).toEqual({ page: "reset-password", token: undefined });
  });
});

describe("voices", () => {
  const voice = (lang: string) => ({ lang, name: lang }) as SpeechSynthesisVoice;
  it("prefer the exact language, then the same base language", () => {
    const voices = [voice("en-GB"), voice("ko_KR"), voice("ja-JP")];
    expect(voiceFor("ja-JP", voices)?.lang).toBe("ja-JP");
    expect(voiceFor("ko-KR", voices)?.lang).toBe("ko_KR");
    expect(voiceFor("en-US", voices)?.lang).toBe("en-GB");
    expect(voiceFor("de-DE", voices)).toBeNull();
  });
});
