// The soak of paged reads, for `make bench`: one learner's room of 120 messages
// read back page by page through its cursors, thousands of times, one request at a time, then
// with readers and writers running beside it, then with learners leaving their turns. Every read must answer within a second; the
// figures printed say how close they came. Exits non-zero when one did not. Adds its figures to
// target/bench/load-{one,lambda}.json.
import { api, call, newRoom, learner as signUp } from "./api.mjs";
import { addToReport } from "./stack.mjs";

const reads = Number(process.env.SOAK_READS ?? 2000);
const limitMs = 1000;
const learner = (name) => signUp("soak", name);

const reader = await learner("reader");
const room = (await call("POST", "/rooms", reader, newRoom)).id;
for (let n = 0; n < 60; n++) {
  await call("POST", `/rooms/${room}/messages`, reader, { content: `One more coffee, please (${n}).` });
}
const first = (await call("GET", `/rooms/${room}`, reader)).older_cursor;
if (!first) throw new Error("the room has no older page");

// Reads pages back from the first cursor until `count` reads are made; each read's time.
async function readPages(count) {
  const times = [];
  let cursor = first;
  while (times.length < count) {
    const started = performance.now();
    try {
      const page = await call("GET", `/rooms/${room}/messages?limit=20&cursor=${cursor}`, reader);
      times.push(performance.now() - started);
      cursor = page.next_cursor ?? first;
    } catch (error) {
      // No answer in two minutes: the stack has stalled, and the reads after it would too.
      console.error(`a paged read failed after ${Math.round(performance.now() - started)} ms: ${error}`);
      times.push(Number.POSITIVE_INFINITY);
      break;
    }
  }
  return times;
}

const runs = [];
function summary(name, times) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const run = {
    run: name,
    reads: sorted.length,
    p50_ms: Math.round(at(0.5) * 10) / 10,
    p99_ms: Math.round(at(0.99) * 10) / 10,
    max_ms: Math.round(sorted.at(-1) * 10) / 10,
    over_a_second: sorted.filter((t) => t >= limitMs).length,
  };
  runs.push(run);
  console.log(
    `${name.padEnd(28)} ${String(run.reads).padStart(6)} reads  median ${run.p50_ms} ms  ` +
      `p99 ${run.p99_ms} ms  max ${run.max_ms} ms  over 1 s: ${run.over_a_second}`,
  );
  return run.over_a_second;
}

let slow = summary("one at a time", await readPages(reads));

// Beside it: eight learners reading and creating rooms in a loop.
const others = await Promise.all([...Array(8).keys()].map((n) => learner(`busy-${n}`)));
let busy = true;
const load = others.map(async (token, n) => {
  while (busy) {
    if (n % 2) await call("POST", "/rooms", token, newRoom);
    else await call("GET", "/rooms", token);
  }
});
slow += summary("with 8 others busy", await readPages(reads));
busy = false;
await Promise.all(load);

// Beside it: eight learners who each leave their turn 20 to 100 ms after sending it, and send
// the next (as a load generator's end, or learners closing tabs, do). SOAK_LEAVERS=0 leaves this
// out: `cargo lambda watch` stalls under it (docs/benchmarks.md, one machine).
if (process.env.SOAK_LEAVERS !== "0") {
  const leavers = await Promise.all(
    [...Array(8).keys()].map(async (n) => {
      const token = await learner(`leaver-${n}`);
      return { token, room: (await call("POST", "/rooms", token, newRoom)).id };
    }),
  );
  let leaving = true;
  const left = leavers.map(async ({ token, room: theirs }, n) => {
    while (leaving) {
      const gone = new AbortController();
      const sent = fetch(`${api}/rooms/${theirs}/messages`, {
        method: "POST",
        signal: gone.signal,
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${token}`,
          accept: n % 2 ? "text/event-stream" : "application/json",
        },
        body: JSON.stringify({ content: "One more coffee, please." }),
      })
        .then((response) => response.body?.cancel())
        .catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80));
      gone.abort();
      await sent;
    }
  });
  slow += summary("with 8 learners leaving turns", await readPages(reads));
  leaving = false;
  await Promise.all(left);
}

addToReport("soak", runs);
if (slow > 0) {
  console.error(`${slow} paged reads took a second or more`);
  process.exit(1);
}
