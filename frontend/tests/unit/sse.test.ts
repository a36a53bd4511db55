import { describe, expect, it } from "vitest";
import { parseSse } from "../../src/lib/sse";

function stream(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks)
        controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

async function collect(body: ReadableStream<Uint8Array>) {
  const events = [];
  for await (const event of parseSse(body)) events.push(event);
  return events;
}

describe("parseSse", () => {
  it("reads events however the bytes are split", async () => {
    const text = 'event: delta\ndata: {"text":"안녕"}\n\nevent: reply\ndata: {"id":"1"}\n\n';
    const bytes = new TextEncoder().encode(text);
    // One byte at a time splits the Hangul characters across chunks too.
    const oneByOne = [...bytes].map((byte) => new Uint8Array([byte]));
    for (const chunks of [[text], oneByOne, [text.slice(0, 7), text.slice(7, 30), text.slice(30)]]) {
      expect(await collect(stream(chunks))).toEqual([
        { event: "delta", data: '{"text":"안녕"}' },
        { event: "reply", data: '{"id":"1"}' },
      ]);
    }
  });

  it("follows the format: CRLF, comments, multi-line data, default event, no trailing blank line", async () => {
    const text = ": keep-alive\r\n\r\ndata: one\r\ndata: two\r\n\r\nevent:error\ndata:{}";
    expect(await collect(stream([text]))).toEqual([
      { event: "message", data: "one\ntwo" },
      { event: "error", data: "{}" },
    ]);
  });

  it("skips blocks without data", async () => {
    expect(await collect(stream(["event: ping\n\n"]))).toEqual([]);
  });
});
