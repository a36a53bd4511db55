// Who is logged in. The token lives in localStorage and leaves the page only in the
// Authorization header of API requests.

import { rememberAccount } from "./knownAccount";
import type { Login, User } from "./types";

const TOKEN_KEY = "rolechat.token";
const USER_KEY = "rolechat.user";

function stored<T>(key: string): T | null {
  try {
    const text = localStorage.getItem(key);
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}

export const session = $state({
  token: typeof localStorage === "undefined" ? null : localStorage.getItem(TOKEN_KEY),
  user: typeof localStorage === "undefined" ? null : stored<User>(USER_KEY),
});

export function logIn(login: Login) {
  session.token = login.access_token;
  session.user = login.user;
  rememberAccount(login.user);
  localStorage.setItem(TOKEN_KEY, login.access_token);
  localStorage.setItem(USER_KEY, JSON.stringify(login.user));
}

export function forget() {
  session.token = null;
  session.user = null;
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(USER_KEY);
}

/** The logged-in user as the server now shows them (after a profile change). */
export function updateUser(user: User) {
  session.user = user;
  rememberAccount(user);
  localStorage.setItem(USER_KEY, JSON.stringify(user));
}
