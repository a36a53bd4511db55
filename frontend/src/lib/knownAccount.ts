// The password account last used on this browser, so that a provider sign-in here that would
// make a second, empty account is first offered as a link to that one. Only the username and
// how it logs in are kept (in localStorage, on this device); deleting the account forgets it.

import type { User } from "./types";

const KEY = "rolechat.password-account";
const LINK_AFTER_LOGIN = "rolechat.link-after-login";

export interface KnownAccount {
  username: string;
  methods: string[];
}

/** Remembers a user who logs in with a password; a passwordless user changes nothing. */
export function rememberAccount(user: User) {
  if (!user.login_methods.includes("password")) return;
  localStorage.setItem(KEY, JSON.stringify({ username: user.username, methods: user.login_methods }));
}

export function forgetAccount() {
  localStorage.removeItem(KEY);
}

/** The password account last used on this browser, if any. */
export function knownAccount(): KnownAccount | null {
  try {
    const known = JSON.parse(localStorage.getItem(KEY) ?? "null") as KnownAccount | null;
    return known?.username && Array.isArray(known.methods) ? known : null;
  } catch {
    return null;
  }
}

/** The password account of this browser that `provider` is not linked to, if there is one. */
export function accountToLink(provider: string): KnownAccount | null {
  const known = knownAccount();
  return known && !known.methods.includes(provider) ? known : null;
}

/** The learner chose to log in with their password and link `provider` then (this tab only). */
export function linkAfterLogin(provider: string) {
  sessionStorage.setItem(LINK_AFTER_LOGIN, provider);
}

/** The provider to link now that the learner is logged in, once. */
export function takeLinkAfterLogin(): string | null {
  const provider = sessionStorage.getItem(LINK_AFTER_LOGIN);
  sessionStorage.removeItem(LINK_AFTER_LOGIN);
  return provider;
}
