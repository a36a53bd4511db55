// The API client: JSON over fetch, the token only ever in the Authorization header, every error
// as an ApiError in the contract's shape, and chat turns read as server-sent events.

import { parseSse } from "./sse";
import type {
  Attempt,
  Fact,
  Feedback,
  Goal,
  Login,
  Message,
  NewWord,
  OpenedRoom,
  Page,
  ProfileChanges,
  Progress,
  Rating,
  Report,
  Room,
  RoomSetup,
  Scenario,
  ScenarioRoom,
  SpeechSettings,
  Suggestion,
  Turn,
  User,
  VocabularyItem,
} from "./types";

/** The pause before a read that failed on the way is asked again. */
const RETRY_PAUSE_MS = 300;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** What a streamed turn reports as it goes. */
export interface TurnEvents {
  onUserMessage?(message: Message): void;
  onDelta?(text: string): void;
  /** The stored reply, before the events that may follow it (the goals). */
  onReply?(reply: Message): void;
  onGoals?(goals: Goal[]): void;
  /** Which tutor answers: the offline demo's script, or a model. */
  onTutor?(tutor: "demo" | "model"): void;
  /** Feedback on the learner's line, computed with the turn in a room with `auto_feedback`. */
  onFeedback?(messageId: string, feedback: Feedback): void;
}

export interface ApiOptions {
  baseUrl: string;
  token(): string | null;
  /** Called on any 401: the session is over. */
  onUnauthorized(): void;
  fetch?: typeof fetch;
}

export function createApi(options: ApiOptions) {
  const base = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  async function send(
    method: string,
    path: string,
    body?: unknown,
    accept = "application/json",
  ): Promise<Response> {
    const headers: Record<string, string> = { accept };
    const token = options.token();
    if (token) headers.authorization = `Bearer ${token}`;
    // A recording goes as itself (a WAV); anything else as JSON.
    const audio = body instanceof Blob;
    if (body !== undefined) headers["content-type"] = audio ? "audio/wav" : "application/json";
    const attempt = () =>
      doFetch(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : audio ? body : JSON.stringify(body),
      });
    let response: Response | null = null;
    // A read that met a passing failure (the connection dropped, a 5xx from a gateway) is asked
    // once more: it changes nothing. Writes are never repeated here.
    for (let tries = method === "GET" ? 2 : 1; tries > 0; tries--) {
      try {
        response = await attempt();
        if (response.status < 500 || tries === 1) break;
      } catch {
        if (tries === 1) throw new ApiError(0, "network", "The server cannot be reached.");
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    }
    if (!response) throw new ApiError(0, "network", "The server cannot be reached.");
    if (!response.ok) throw await errorOf(response);
    return response;
  }

  async function errorOf(response: Response): Promise<ApiError> {
    let error: ApiError;
    try {
      const { error: body } = await response.json();
      error = new ApiError(response.status, body.code, body.message, body.fields ?? {});
    } catch {
      error = new ApiError(response.status, "internal", `The server answered ${response.status}.`);
    }
    // A wrong password typed while logged in (changing it, deleting the account) is not the
    // session ending.
    if (response.status === 401 && error.code !== "invalid_credentials" && options.token())
      options.onUnauthorized();
    return error;
  }

  async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await send(method, path, body);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  const room = (id: string) => `/rooms/${encodeURIComponent(id)}`;
  const page = (limit: number, cursor?: string | null) =>
    `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;

  return {
    signup: (username: string, password: string, native_language: string) =>
      json<Login>("POST", "/signup", { username, password, native_language }),
    login: (username: string, password: string) => json<Login>("POST", "/auth", { username, password }),
    me: () => json<{ user: User }>("GET", "/auth"),
    logout: () => json<void>("DELETE", "/auth"),
    profile: () => json<{ user: User }>("GET", "/me"),
    updateProfile: (changes: ProfileChanges) => json<{ user: User }>("PATCH", "/me", changes),
    /** `current` is null for an account without a password, which sets its first. */
    changePassword: (current: string | null, new_password: string) =>
      json<Login>(
        "POST",
        "/me/password",
        current === null ? { new_password } : { current_password: current, new_password },
      ),
    logOutEverywhere: () => json<void>("DELETE", "/me/sessions"),
    /** A new address (a link goes to it) or null to remove it; `password` unless signed in
     * within ten minutes. */
    changeEmail: (email: string | null, password?: string) =>
      json<{ user: User }>("PATCH", "/me", password ? { email, password } : { email }),
    verifyEmail: (token: string) =>
      json<{ email: string; verified: true }>("POST", "/email/verify", { token }),
    /** The reminders of the learner a reminder's signed link names, off (no login). */
    unsubscribe: (token: string) =>
      json<{ reminders: "off" }>("POST", `/email/unsubscribe?token=${encodeURIComponent(token)}`),
    /** A reset link to the account's verified address, if it has one: the reply never says. */
    requestPasswordReset: (login: string) =>
      json<{ status: string; expires_in_minutes: number }>("POST", "/password-reset", { login }),
    resetPassword: (token: string, new_password: string) =>
      json<Login>("POST", "/password-reset/confirm", { token, new_password }),
    oauthProviders: () => json<{ providers: string[] }>("GET", "/auth/oauth/providers"),
    /** Where the "Continue with …" button sends the browser: the provider, by way of the API.
     * `binding` is the hash of the secret this tab keeps for the login (`loginBinding`). */
    oauthStartUrl: (provider: string, site: string, ui: string, binding: string) =>
      `${base}/auth/oauth/${encodeURIComponent(provider)}/start?site=${encodeURIComponent(site)}&ui=${ui}&binding=${binding}`,
    oauthExchange: (code: string, binding: string) =>
      json<Login>("POST", "/auth/oauth/exchange", { code, binding }),
    /** Starts a link bound to this tab (`binding`, the hash of its secret); `password` confirms
     * it is the owner when the last sign-in is not recent. */
    linkIdentity: (provider: string, site: string, ui: string, binding: string, password?: string) =>
      json<{ authorize_url: string }>(
        "POST",
        `/me/identities/${encodeURIComponent(provider)}?site=${encodeURIComponent(site)}&ui=${ui}`,
        password ? { binding, password } : { binding },
      ),
    /** The provider account a link waits to be confirmed for. */
    pendingLink: (provider: string, code: string) =>
      json<{ provider: string; account: string | null; expires_at: string }>(
        "GET",
        `/me/identities/${encodeURIComponent(provider)}?code=${encodeURIComponent(code)}`,
      ),
    /** The learner's yes, with the secret this tab kept since it started the link. */
    confirmLink: (provider: string, code: string, binding: string) =>
      json<{ user: User }>("PUT", `/me/identities/${encodeURIComponent(provider)}`, { code, binding }),
    unlinkIdentity: (provider: string, password?: string) =>
      json<{ user: User }>(
        "DELETE",
        `/me/identities/${encodeURIComponent(provider)}`,
        password ? { password } : undefined,
      ),
    rename: (username: string, password?: string) =>
      json<Login>("PATCH", "/me", password ? { username, password } : { username }),
    /** With the password, or, for an account without one, the username typed out. */
    deleteAccount: (confirmation: { password: string } | { confirm: string }) =>
      json<void>("DELETE", "/me", confirmation),
    /** The export document as a file, with the name the server gave it. */
    async exportData(): Promise<{ file: Blob; name: string }> {
      const response = await send("GET", "/me/export");
      const disposition = response.headers.get("content-disposition") ?? "";
      const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? "rolechat-export.json";
      return { file: await response.blob(), name };
    },
    facts: () => json<{ facts: Fact[]; limit: number }>("GET", "/me/facts"),
    addFact: (text: string) => json<Fact>("POST", "/me/facts", { text }),
    deleteFact: (id: string) => json<void>("DELETE", `/me/facts/${encodeURIComponent(id)}`),
    progress: (ui: string) => json<Progress>("GET", `/progress?ui=${encodeURIComponent(ui)}`),
    listRooms: (cursor?: string | null, search = "") =>
      json<Page<Room>>(
        "GET",
        `/rooms${page(20, cursor)}${search.trim() ? `&q=${encodeURIComponent(search.trim())}` : ""}`,
      ),
    createRoom: (setup: RoomSetup | ScenarioRoom) => json<Room>("POST", "/rooms", setup),
    scenarios: (ui: string) =>
      json<{ items: Scenario[]; categories: string[] }>("GET", `/scenarios?ui=${encodeURIComponent(ui)}`),
    openRoom: (id: string) => json<OpenedRoom>("GET", room(id)),
    speechSettings: () => json<SpeechSettings>("GET", "/speech"),
    /** A line (or a learner's line's correction) as MP3, at one of the three speeds. */
    async lineAudio(id: string, messageId: string, speed: number): Promise<Blob> {
      const path = `${room(id)}/messages/${encodeURIComponent(messageId)}/speech?speed=${speed}`;
      return (await send("POST", path, undefined, "audio/mpeg")).blob();
    },
    transcribe: (id: string, wav: Blob) =>
      json<{ text: string; seconds: number }>("POST", `${room(id)}/transcriptions`, wav),
    sayAgain: (id: string, messageId: string, wav: Blob) =>
      json<Attempt>("POST", `${room(id)}/messages/${encodeURIComponent(messageId)}/attempts`, wav),
    updateRoom: (id: string, changes: Partial<RoomSetup>) => json<Room>("PATCH", room(id), changes),
    deleteRoom: (id: string) => json<void>("DELETE", room(id)),
    olderMessages: (id: string, cursor: string) =>
      json<Page<Message>>("GET", `${room(id)}/messages${page(50, cursor)}`),
    suggest: (id: string, count: number, ui: string) =>
      json<{ suggestion: string; suggestions: Suggestion[] }>(
        "POST",
        `${room(id)}/suggestions?count=${count}&ui=${encodeURIComponent(ui)}`,
      ),
    feedback: (id: string, messageId: string, ui: string) =>
      json<{ feedback: Feedback }>(
        "POST",
        `${room(id)}/messages/${encodeURIComponent(messageId)}/feedback?ui=${ui}`,
      ),
    report: (id: string, ui: string) => json<{ report: Report }>("POST", `${room(id)}/report?ui=${ui}`),
    saveWord: (word: NewWord, ui: string) => json<VocabularyItem>("POST", `/vocabulary?ui=${ui}`, word),
    vocabulary: (language: string | null, cursor?: string | null) =>
      json<Page<VocabularyItem>>(
        "GET",
        `/vocabulary${page(50, cursor)}${language ? `&language=${encodeURIComponent(language)}` : ""}`,
      ),
    due: () => json<{ items: VocabularyItem[]; due_count: number }>("GET", "/vocabulary/due?limit=100"),
    review: (id: string, rating: Rating) =>
      json<VocabularyItem>("POST", `/vocabulary/${encodeURIComponent(id)}/review`, { rating }),
    deleteWord: (id: string) => json<void>("DELETE", `/vocabulary/${encodeURIComponent(id)}`),
    translate: (id: string, messageId: string, to: string) =>
      json<{ translation: { to: string; text: string } }>(
        "POST",
        `${room(id)}/messages/${encodeURIComponent(messageId)}/translation?to=${to}`,
      ),

    /** A chat turn, streamed: `content` null asks the tutor to speak (opening line, or retry).
     * Automatic feedback is explained in `ui`. */
    async turn(id: string, content: string | null, events: TurnEvents = {}, ui = "ko"): Promise<Turn> {
      const body = content === null ? {} : { content };
      const path = `${room(id)}/messages?ui=${encodeURIComponent(ui)}`;
      const response = await send("POST", path, body, "text/event-stream");
      if (!response.body) throw new ApiError(0, "network", "The reply did not arrive.");
      events.onTutor?.(response.headers.get("x-rolechat-tutor") === "demo" ? "demo" : "model");
      let userMessage: Message | null = null;
      let turn: Turn | null = null;
      try {
        for await (const event of parseSse(response.body)) {
          const data = JSON.parse(event.data);
          if (event.event === "user_message") {
            userMessage = data;
            events.onUserMessage?.(data);
          } else if (event.event === "delta") {
            events.onDelta?.(data.text);
          } else if (event.event === "reply") {
            turn = { user_message: userMessage, reply: data };
            events.onReply?.(data);
          } else if (event.event === "feedback" && turn) {
            const line = turn.user_message;
            if (line && line.id === data.message_id) line.feedback = data.feedback;
            events.onFeedback?.(data.message_id, data.feedback);
          } else if (event.event === "goals" && turn) {
            turn.goals = data.goals;
            events.onGoals?.(data.goals);
          } else if (event.event === "error") {
            throw new ApiError(response.status, data.error.code, data.error.message);
          }
        }
      } catch (error) {
        // After the reply, only extras can be lost: the turn itself is whole.
        if (turn === null || error instanceof ApiError) throw error;
      }
      if (turn === null) throw new ApiError(0, "network", "The reply was cut off.");
      return turn;
    },
  };
}

export type Api = ReturnType<typeof createApi>;
