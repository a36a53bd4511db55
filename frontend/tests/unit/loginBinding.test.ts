import { describe, expect, it } from "vitest";
import { beginLogin, s256, takeLogin } from "../../src/lib/loginBinding";

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
