// A provider login is bound to the tab that starts it: the tab makes a secret, keeps it in
// sessionStorage, and names only its S256 hash (as PKCE does) to the API; the one-time code the
// login ends with is exchanged only with the secret. A code (or a provider callback) sent to
// another browser therefore logs no one in there, and this site ignores a code for a login it
// did not start.

const KEY = "rolechat.login-binding";

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

/** A new secret for a login this tab starts, kept in the tab; returns its hash for the start. */
export async function beginLogin(storage: Storage = sessionStorage): Promise<string> {
  const secret = base64url(crypto.getRandomValues(new Uint8Array(32)));
  storage.setItem(KEY, secret);
  return s256(secret);
}

/** The secret of the login this tab started, once; null when it started none. */
export function takeLogin(storage: Storage = sessionStorage): string | null {
  const secret = storage.getItem(KEY);
  storage.removeItem(KEY);
  return secret;
}
