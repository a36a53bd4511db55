import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "../../src/lib/api";
import { errorText, fieldText, passwordProblem, usernameProblem } from "../../src/lib/errors";
import { setLanguage } from "../../src/lib/i18n.svelte";

// Every code the contract's errors may carry: the enum of `Error.code` in openapi.yaml.
const spec = readFileSync(resolve(__dirname, "../../../openapi.yaml"), "utf8");
const CODES = (spec.match(/enum: \[(invalid_json[^\]]*)\]/)?.[1] ?? "").split(/,\s*/);
const failure = (code: string, fields: Record<string, string> = {}) =>
  new ApiError(400, code, "An English message from the server.", fields);

beforeEach(() => setLanguage("ko"));

describe("errors in the interface language", () => {
  it("has a Korean and an English sentence for every code, never the server's English", () => {
    expect(CODES.length).toBeGreaterThan(10);
    for (const code of CODES) {
      setLanguage("ko");
      const korean = errorText(failure(code));
      expect(korean, code).toMatch(/[가-힣]/);
      expect(korean, code).not.toContain("server");
      setLanguage("en");
      expect(errorText(failure(code)), code).not.toContain("An English message");
    }
  });

  it("says what a conflict or a limit means for the action that met it", () => {
    setLanguage("en");
    expect(errorText(failure("conflict"), "turn")).toContain("still answering");
    expect(errorText(failure("conflict"), "retry")).toContain("already answered");
    expect(errorText(failure("conflict"), "room_create")).toContain("as many rooms");
    expect(errorText(failure("rate_limited"), "turn")).toContain("today's tutor replies");
    expect(errorText(failure("rate_limited"))).toContain("Too many attempts");
  });

  it("keeps the server's words, framed, only for what it does not know", () => {
    expect(errorText(failure("a_new_code"))).toBe("문제가 생겼어요: An English message from the server.");
    expect(errorText(new ApiError(0, "network", "offline"))).toContain("서버에 연결할 수 없어요");
  });

  it("gives each field its rule in the interface language", () => {
    const error = failure("validation_failed", {
      username: "must be 3 to 32 characters",
      password: "is required",
      situation: "must be 1 to 200 characters",
      future_field: "must be shorter",
    });
    expect(fieldText(error, "username")).toBe("3–32자: 영문, 숫자, _ . -");
    expect(fieldText(error, "password")).toBe("꼭 입력해야 해요.");
    expect(fieldText(error, "situation")).toContain("1–200자");
    expect(fieldText(error, "future_field")).toBe("must be shorter");
    expect(fieldText(error, "my_role")).toBeUndefined();
    expect(fieldText(null, "username")).toBeUndefined();
  });
});

describe("a refused username or password says what is wrong with it", () => {
  it("names the length, or the very characters to remove", () => {
    setLanguage("en");
    expect(usernameProblem("ab")).toBe("Too short: 2 of at least 3 characters.");
    expect(usernameProblem("a".repeat(33))).toBe("Too long: 33 of at most 32 characters.");
    expect(usernameProblem("민수 kim")).toBe(
      "Usernames use only Latin letters, digits and _ . -; remove: “민” “수” “space”",
    );
    expect(usernameProblem("min_su.kim-1")).toBeUndefined();
    setLanguage("ko");
    expect(usernameProblem("민수")).toBe("너무 짧아요: 2자예요. 3자 이상이어야 해요.");
  });

  it("counts characters as the server does, not UTF-16 units", () => {
    setLanguage("en");
    expect(passwordProblem("😀😀😀😀😀😀😀", "someone")).toBe("Too short: 7 of at least 8 characters.");
    expect(passwordProblem("Someone1", "someone1")).toBe("Your password cannot be your username.");
    expect(passwordProblem("a long passphrase", "someone")).toBeUndefined();
  });
});
