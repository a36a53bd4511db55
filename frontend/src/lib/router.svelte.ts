// Hash routes, so the site is plain files on any static host.

export type Route =
  | { page: "login"; notice?: "account_deleted" }
  | { page: "signup" }
  | { page: "forgot" }
  | { page: "reset-password"; token?: string }
  | { page: "verify-email"; token?: string }
  | { page: "unsubscribe"; token?: string }
  | { page: "rooms" }
  | { page: "today" }
  | { page: "welcome" }
  | { page: "progress" }
  | { page: "facts" }
  | { page: "new-room" }
  | { page: "edit-room"; id: string }
  | { page: "chat"; id: string; line?: string; placement?: boolean }
  | { page: "report"; id: string }
  | { page: "vocabulary" }
  | { page: "review" }
  | { page: "account"; link?: string; code?: string; linkError?: string; startLink?: string }
  | { page: "oauth"; code?: string; error?: string };

export function parseRoute(hash: string): Route {
  const [path0, query = ""] = (hash.replace(/^#/, "") || "/today").split("?");
  const path = path0 || "/today";
  const params = new URLSearchParams(query);
  const line = params.get("line") ?? undefined;
  const param = (name: string) => params.get(name) ?? undefined;
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "login")
    return parts[1] === "deleted" ? { page: "login", notice: "account_deleted" } : { page: "login" };
  if (parts[0] === "signup") return { page: "signup" };
  if (parts[0] === "forgot") return { page: "forgot" };
  if (parts[0] === "reset-password") return { page: "reset-password", token: param("token") };
  if (parts[0] === "verify-email") return { page: "verify-email", token: param("token") };
  if (parts[0] === "unsubscribe") return { page: "unsubscribe", token: param("token") };
  if (parts[0] === "rooms" && parts[1] === "new") return { page: "new-room" };
  if (parts[0] === "rooms" && parts[1] && parts[2] === "edit") return { page: "edit-room", id: parts[1] };
  if (parts[0] === "rooms" && parts[1] && parts[2] === "report") return { page: "report", id: parts[1] };
  if (parts[0] === "rooms" && parts[1]) return { page: "chat", id: parts[1], line };
  if (parts[0] === "placement" && parts[1]) return { page: "chat", id: parts[1], placement: true };
  if (parts[0] === "today") return { page: "today" };
  if (parts[0] === "welcome") return { page: "welcome" };
  if (parts[0] === "progress") return { page: "progress" };
  if (parts[0] === "facts") return { page: "facts" };
  if (parts[0] === "vocabulary") return { page: "vocabulary" };
  if (parts[0] === "review") return { page: "review" };
  if (parts[0] === "account")
    return {
      page: "account",
      link: param("link"),
      code: param("code"),
      linkError: param("link_error"),
      startLink: param("start_link"),
    };
  if (parts[0] === "oauth") return { page: "oauth", code: param("code"), error: param("error") };
  if (parts[0] === "rooms") return { page: "rooms" };
  return { page: "today" };
}

export const router = $state({ route: parseRoute(typeof location === "undefined" ? "" : location.hash) });

/** Goes to `hash`, the page changing at once (not on the later hashchange), so what runs next
 * (the logged-in redirect) sees where the learner is going. */
export function navigate(hash: string) {
  if (location.hash !== hash) location.hash = hash;
  router.route = parseRoute(hash);
}

/** Goes to `hash` in place of the current page, so Back skips it (a form once it is sent). */
export function replaceWith(hash: string) {
  history.replaceState(history.state, "", hash);
  router.route = parseRoute(hash);
}

if (typeof window !== "undefined") {
  window.addEventListener("hashchange", () => {
    router.route = parseRoute(location.hash);
  });
}
