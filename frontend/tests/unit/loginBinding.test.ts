import { describe, expect, it } from "vitest";
import {
  beginLink,
  beginLogin,
  endLink,
  linkSecret,
  s256,
  takeLogin,
  takeReturnTo,
} from "../../src/lib/loginBinding";

class MemoryStorage implements Storage {
  private items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

describe("a login bound to the tab that starts it", () => {
  it("hashes a secret as PKCE's S256 does (RFC 7636, appendix B)", async () => {
    expect(await s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("keeps a new secret per login, gives it back once, and only its hash leaves", async () => {
    const storage = new MemoryStorage();
    const hash = await beginLogin(storage);
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const secret = takeLogin(storage);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secret).not.toBe(hash);
    expect(await s256(secret ?? "")).toBe(hash);
    expect(takeLogin(storage)).toBeNull();
    const again = await beginLogin(storage);
    expect(again).not.toBe(hash);
  });

  it("has nothing for a tab that started no login", () => {
    expect(takeLogin(new MemoryStorage())).toBeNull();
  });
});

describe("a link bound to the tab that starts it", () => {
  it("keeps one secret per provider until the link is ended", async () => {
    const storage = new MemoryStorage();
    const google = await beginLink("google", storage);
    const github = await beginLink("github", storage);
    expect(await s256(linkSecret("google", storage) ?? "")).toBe(google);
    expect(await s256(linkSecret("github", storage) ?? "")).toBe(github);
    // Read twice (to name the account, then to confirm): still there.
    expect(linkSecret("google", storage)).not.toBeNull();
    endLink("google", storage);
    expect(linkSecret("google", storage)).toBeNull();
    expect(linkSecret("github", storage)).not.toBeNull();
    expect(linkSecret("kakao", storage)).toBeNull();
  });

  it("comes back to the account page only when a sign-in again asked to, once", async () => {
    const storage = new MemoryStorage();
    await beginLogin(storage, "#/account");
    expect(takeReturnTo(storage)).toBe("#/account");
    expect(takeReturnTo(storage)).toBeNull();
    await beginLogin(storage, "#/account");
    await beginLogin(storage);
    expect(takeReturnTo(storage)).toBeNull();
    storage.setItem("rolechat.after-login", "https://evil.example/");
    expect(takeReturnTo(storage)).toBeNull();
  });
});
