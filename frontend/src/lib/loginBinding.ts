// A provider login, or a link from the account page, is bound to the tab that starts it: the tab
// makes a secret, keeps it in sessionStorage, and names only its S256 hash (as PKCE does) to the
// API; the code the flow ends with is used only with the secret. A code (or a provider callback)
// sent to another browser therefore logs no one in and links nothing there, and this site
// ignores a code for a flow it did not start.

const KEY = "rolechat.login-binding";
const LINK_KEY = "rolechat.link-binding.";
const AFTER_LOGIN_KEY = "rolechat.after-login";

function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The S256 hash of a secret: base64url(SHA-256(secret)), 43 characters. */
export async function s256(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
  return base64url(new Uint8Array(digest));
}

async function begin(key: string, storage: Storage): Promise<string> {
  const secret = base64url(crypto.getRandomValues(new Uint8Array(32)));
  storage.setItem(key, secret);
  return s256(secret);
}

/** A new secret for a login this tab starts, kept in the tab; returns its hash for the start.
 * `returnTo` is the page to come back to once signed in (a sign-in again to confirm it is you). */
export async function beginLogin(
  storage: Storage = sessionStorage,
  returnTo: "#/account" | null = null,
): Promise<string> {
  if (returnTo) storage.setItem(AFTER_LOGIN_KEY, returnTo);
  else storage.removeItem(AFTER_LOGIN_KEY);
  return begin(KEY, storage);
}

/** Where a login this tab started asked to come back to, once. */
export function takeReturnTo(storage: Storage = sessionStorage): string | null {
  const page = storage.getItem(AFTER_LOGIN_KEY);
  storage.removeItem(AFTER_LOGIN_KEY);
  return page === "#/account" ? page : null;
}

/** A new secret for linking `provider` from this tab; returns its hash for the start. */
export function beginLink(provider: string, storage: Storage = sessionStorage): Promise<string> {
  return begin(LINK_KEY + provider, storage);
}

/** The secret of the link to `provider` this tab started, or null; kept until `endLink`. */
export function linkSecret(provider: string, storage: Storage = sessionStorage): string | null {
  return storage.getItem(LINK_KEY + provider);
}

/** Forgets the link to `provider`: confirmed, declined, or gone. */
export function endLink(provider: string, storage: Storage = sessionStorage): void {
  storage.removeItem(LINK_KEY + provider);
}

/** The secret of the login this tab started, once; null when it started none. */
export function takeLogin(storage: Storage = sessionStorage): string | null {
  const secret = storage.getItem(KEY);
  storage.removeItem(KEY);
  return secret;
}
