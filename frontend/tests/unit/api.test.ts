import { describe, expect, it, vi } from "vitest";
import { ApiError, createApi } from "../../src/lib/api";

type Call = { url: string; init: RequestInit };

function fakeFetch(responses: Response[]) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    const next = responses.shift();
    if (!next) throw new TypeError("network down");
    return next;
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

function events(text: string) {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
}

describe("the API client", () => {
  it("sends the token only as an Authorization header", async () => {
    const { fetch, calls } = fakeFetch([json(200, { items: [], next_cursor: null })]);
    const api = createApi({
      baseUrl: "http://api.test/v1/",
      token: () => "secret-token",
      onUnauthorized: vi.fn(),
      fetch,
    });
    await api.listRooms("a/b+c");
    expect(calls[0].url).toBe("http://api.test/v1/rooms?limit=20&cursor=a%2Fb%2Bc");
    expect(calls[0].url).not.toContain("secret-token");
    expect((calls[0].init.headers as Record<string, string>).authorization).toBe("Bearer secret-token");
  });

  it("asks a read once more after a passing failure, and never repeats a write", async () => {
    const gateway = () => new Response("bad gateway", { status: 502 });
    const reads = fakeFetch([gateway(), json(200, { items: [], next_cursor: null })]);
    const api = createApi({
      baseUrl: "http://api.test",
      token: () => "t",
      onUnauthorized: vi.fn(),
      fetch: reads.fetch,
    });
    await expect(api.listRooms()).resolves.toEqual({ items: [], next_cursor: null });
    expect(reads.calls).toHaveLength(2);

    const dropped = fakeFetch([]);
    const reader = createApi({
      baseUrl: "http://api.test",
      token: () => "t",
      onUnauthorized: vi.fn(),
      fetch: dropped.fetch,
    });
    await expect(reader.listRooms()).rejects.toMatchObject({ code: "network" });
    expect(dropped.calls).toHaveLength(2);

    const writes = fakeFetch([gateway(), json(201, {})]);
    const writer = createApi({
      baseUrl: "http://api.test",
      token: () => "t",
      onUnauthorized: vi.fn(),
      fetch: writes.fetch,
    });
    await expect(
      writer.createRoom({ language: "en-US", level: "A1", situation: "s", my_role: "a", gpt_role: "b" }),
    ).rejects.toMatchObject({ status: 502 });
    expect(writes.calls).toHaveLength(1);
  });

  it("turns error replies into ApiError with the contract's fields", async () => {
    const body = {
      error: { code: "validation_failed", message: "Bad.", fields: { situation: "must not be empty" } },
    };
    const gateway = () => new Response("<html>gateway</html>", { status: 502 });
    const { fetch } = fakeFetch([json(400, body), gateway(), gateway()]);
    const api = createApi({ baseUrl: "http://api.test", token: () => "t", onUnauthorized: vi.fn(), fetch });
    await expect(
      api.createRoom({ language: "en-US", level: "A1", situation: "", my_role: "a", gpt_role: "b" }),
    ).rejects.toMatchObject({
      status: 400,
      code: "validation_failed",
      fields: { situation: "must not be empty" },
    });
    await expect(api.openRoom("x")).rejects.toMatchObject({ status: 502, code: "internal" });
  });

  it("reports a 401 as the end of the session", async () => {
    const onUnauthorized = vi.fn();
    const { fetch } = fakeFetch([json(401, { error: { code: "unauthorized", message: "No." } })]);
    const api = createApi({ baseUrl: "http://api.test", token: () => "expired", onUnauthorized, fetch });
    await expect(api.me()).rejects.toBeInstanceOf(ApiError);
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it("a wrong password typed while logged in is not a session ending", async () => {
    const onUnauthorized = vi.fn();
    const { fetch } = fakeFetch([json(401, { error: { code: "invalid_credentials", message: "No." } })]);
    const api = createApi({ baseUrl: "http://api.test", token: () => "live", onUnauthorized, fetch });
    await expect(api.changePassword("wrong", "a new passphrase")).rejects.toMatchObject({
      code: "invalid_credentials",
    });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it("a wrong password while logged out is not a session ending", async () => {
    const onUnauthorized = vi.fn();
    const { fetch } = fakeFetch([json(401, { error: { code: "invalid_credentials", message: "No." } })]);
    const api = createApi({ baseUrl: "http://api.test", token: () => null, onUnauthorized, fetch });
    await expect(api.login("a", "b")).rejects.toMatchObject({ code: "invalid_credentials" });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it("streams a turn: the learner's message, the deltas, then the reply", async () => {
    const stream = [
      'event: user_message\ndata: {"id":"1","role":"user","content":"hi","created_at":"t"}\n\n',
      'event: delta\ndata: {"text":"Hel"}\n\n',
      'event: delta\ndata: {"text":"lo"}\n\n',
      'event: reply\ndata: {"id":"2","role":"assistant","content":"Hello","created_at":"t"}\n\n',
    ].join("");
    const { fetch, calls } = fakeFetch([events(stream)]);
    const api = createApi({ baseUrl: "http://api.test", token: () => "t", onUnauthorized: vi.fn(), fetch });
    const seen: string[] = [];
    const turn = await api.turn("room1", "hi", {
      onUserMessage: (m) => seen.push(`user:${m.content}`),
      onDelta: (text) => seen.push(`delta:${text}`),
    });
    expect(seen).toEqual(["user:hi", "delta:Hel", "delta:lo"]);
    expect(turn.reply.content).toBe("Hello");
    expect(turn.user_message?.id).toBe("1");
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ content: "hi" });
    expect((calls[0].init.headers as Record<string, string>).accept).toBe("text/event-stream");
  });

  it("reads the feedback and goals that follow the reply, and keeps a turn whose stream breaks after it", async () => {
    const said =
      'event: user_message\ndata: {"id":"1","role":"user","content":"I wants","created_at":"t"}\n\n';
    const reply = 'event: reply\ndata: {"id":"2","role":"assistant","content":"Hello","created_at":"t"}\n\n';
    const feedback =
      'event: feedback\ndata: {"message_id":"1","feedback":{"ok":false,"corrected":"I want","explanation":"e","ui_language":"en"}}\n\n';
    const goals =
      'event: goals\ndata: {"goals":[{"id":"order","text":"Order","done":true,"done_at":"t"}]}\n\n';
    let pulls = 0;
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue(new TextEncoder().encode(reply));
        else controller.error(new TypeError("network lost"));
      },
    });
    const { fetch, calls } = fakeFetch([
      events(said + reply + feedback + goals),
      new Response(broken, { status: 200 }),
    ]);
    const api = createApi({ baseUrl: "http://api.test", token: () => "t", onUnauthorized: vi.fn(), fetch });
    const order: string[] = [];
    const turn = await api.turn(
      "room1",
      "hi",
      {
        onReply: () => order.push("reply"),
        onFeedback: (id, verdict) => order.push(`feedback:${id}:${verdict.corrected}`),
        onGoals: (updated) => order.push(`goals:${updated.filter((g) => g.done).length}`),
      },
      "en",
    );
    expect(order).toEqual(["reply", "feedback:1:I want", "goals:1"]);
    expect(turn.goals?.[0].done).toBe(true);
    expect(turn.user_message?.feedback?.corrected).toBe("I want");
    expect(calls[0].url).toBe("http://api.test/rooms/room1/messages?ui=en");
    const whole = await api.turn("room1", "hi");
    expect(whole.reply.content).toBe("Hello");
    expect(whole.goals).toBeUndefined();
  });

  it("a null turn asks the tutor to speak, and an error event fails the turn", async () => {
    const { fetch, calls } = fakeFetch([
      events('event: error\ndata: {"error":{"code":"upstream_timeout","message":"Too slow."}}\n\n'),
      events('event: delta\ndata: {"text":"cut"}\n\n'),
    ]);
    const api = createApi({ baseUrl: "http://api.test", token: () => "t", onUnauthorized: vi.fn(), fetch });
    await expect(api.turn("r", null)).rejects.toMatchObject({
      code: "upstream_timeout",
      message: "Too slow.",
    });
    expect(JSON.parse(String(calls[0].init.body))).toEqual({});
    await expect(api.turn("r", "x")).rejects.toMatchObject({ code: "network" });
  });

  it("a network failure is an ApiError too", async () => {
    const { fetch } = fakeFetch([]);
    const api = createApi({ baseUrl: "http://api.test", token: () => null, onUnauthorized: vi.fn(), fetch });
    await expect(api.signup("abc", "password1", "en")).rejects.toMatchObject({ status: 0, code: "network" });
  });
});
