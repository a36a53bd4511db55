import { describe, expect, it } from "vitest";
import { problemOf } from "../../src/lib/listen";

describe("why the microphone could not be used", () => {
  it("tells a refusal from a missing device and from anything else", () => {
    expect(problemOf(new DOMException("denied", "NotAllowedError"))).toBe("not-allowed");
    expect(problemOf(new DOMException("insecure", "SecurityError"))).toBe("not-allowed");
    expect(problemOf(new DOMException("none", "NotFoundError"))).toBe("no-microphone");
    expect(problemOf(new DOMException("busy", "NotReadableError"))).toBe("no-microphone");
    expect(problemOf(new Error("the model did not load"))).toBe("other");
    expect(problemOf(null)).toBe("other");
  });
});
