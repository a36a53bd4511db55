import { beforeEach, describe, expect, it } from "vitest";
import {
  accountToLink,
  forgetAccount,
  linkAfterLogin,
  rememberAccount,
  takeLinkAfterLogin,
} from "../../src/lib/knownAccount";
import type { User } from "../../src/lib/types";

const user = (username: string, login_methods: User["login_methods"]) =>
  ({ username, login_methods }) as User;

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
});

describe("the password account of this browser", () => {
  it("is offered for a provider it is not linked to, and only then", () => {
    expect(accountToLink("google")).toBeNull();
    rememberAccount(user("minsu", ["password", "github"]));
    expect(accountToLink("google")?.username).toBe("minsu");
    expect(accountToLink("github")).toBeNull();
    // Linked since: the provider signs in to it, no question asked.
    rememberAccount(user("minsu", ["password", "github", "google"]));
    expect(accountToLink("google")).toBeNull();
  });

  it("is not replaced by an account without a password, and is forgotten with a deletion", () => {
    rememberAccount(user("minsu", ["password"]));
    rememberAccount(user("google-x1", ["google"]));
    expect(accountToLink("google")?.username).toBe("minsu");
    forgetAccount();
    expect(accountToLink("google")).toBeNull();
  });

  it("keeps the link the learner asked for until their next login, once", () => {
    linkAfterLogin("kakao");
    expect(takeLinkAfterLogin()).toBe("kakao");
    expect(takeLinkAfterLogin()).toBeNull();
  });
});
