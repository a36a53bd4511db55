// Load on a release local stack for `make bench` (the one process, or with LOCAL_STACK=lambda
// every function under the emulator): wrk drives each route at 1, 8 and 32
// connections (`BENCH_CONNECTIONS`), `BENCH_LOAD_SECONDS` each, loopback only, and this script
// reads what the stack's processes used meanwhile (CPU per process kind, peak memory).
// Writes target/bench/load-one.json or load-lambda.json.
import { call, newRoom, learner as signUp } from "./api.mjs";
import { addToReport, coresUsed, kinds, sample, stackCpuMsPerRequest, wrk } from "./stack.mjs";

const levels = (process.env.BENCH_CONNECTIONS ?? "1,8,32").split(",").map(Number);
const seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 10);

const learner = (n) => signUp("load", n);

// The reader: 20 rooms, one of them with 50 messages (25 turns).
const reader = await learner("reader");
const rooms = [];
for (let n = 0; n < 20; n++) rooms.push((await call("POST", "/rooms", reader, newRoom)).id);
for (let n = 0; n < 25; n++) {
  await call("POST", `/rooms/${rooms[0]}/messages`, reader, { content: `One more coffee, please (${n}).` });
}
// One talker per connection, each in a room of their own.
const talkers = [];
for (let n = 0; n < Math.max(...levels); n++) {
  const token = await learner(`talker-${n}`);
  talkers.push({ token, room: (await call("POST", "/rooms", token, newRoom)).id });
}

const turn = JSON.stringify({ content: "One more coffee, please." });
const routes = [
  { name: "GET /rooms (20 rooms)", requests: [`GET /rooms ${reader}`] },
  { name: "GET /rooms/{id} (50 messages)", requests: [`GET /rooms/${rooms[0]} ${reader}`] },
  {
    name: "POST /rooms",
    requests: talkers.map((t) => `POST /rooms ${t.token}`),
    body: JSON.stringify(newRoom),
  },
  {
    name: "chat turn, streamed",
    requests: talkers.map((t) => `POST /rooms/${t.room}/messages ${t.token}`),
    body: turn,
    accept: "text/event-stream",
  },
  {
    name: "chat turn, JSON",
    requests: talkers.map((t) => `POST /rooms/${t.room}/messages ${t.token}`),
    body: turn,
  },
];

// BENCH_ROUTES=streamed,json runs only the routes whose names (lower case) hold one of the words.
const only = process.env.BENCH_ROUTES?.split(",");
const chosen = routes.filter((r) => !only || only.some((o) => r.name.toLowerCase().includes(o)));

// wrk stops mid-request: turns it left go on, and must finish before the next run uses their rooms.
const settle = () => new Promise((resolve) => setTimeout(resolve, 1500));

const runs = [];
let peakMib = 0;
// Each kind's own peak too (the model's is the fake's, the same in both stacks).
const peakByKind = Object.fromEntries(Object.keys(kinds).map((k) => [k, 0]));
for (const route of chosen) {
  // Untimed first: the emulator starts instances as requests wait, and that start is not load.
  await wrk(route, Math.max(...levels), 2);
  await settle();
  for (const connections of levels) {
    const before = sample();
    const watch = setInterval(() => {
      const now = sample();
      const total = Object.values(now).reduce((sum, u) => sum + u.rss_mib, 0);
      peakMib = Math.max(peakMib, total);
      for (const k of Object.keys(kinds)) peakByKind[k] = Math.max(peakByKind[k], Math.round(now[k].rss_mib));
    }, 500);
    const figures = await wrk(route, connections, seconds);
    clearInterval(watch);
    const after = sample();
    await settle();
    const elapsed = figures.duration_us / 1e6;
    const errors = Object.values(figures.errors).reduce((a, b) => a + b, 0);
    const r = {
      route: route.name,
      connections,
      seconds: Math.round(elapsed * 10) / 10,
      requests: figures.requests,
      requests_per_second: Math.round((figures.requests / elapsed) * 10) / 10,
      p50_ms: figures.p50_us / 1000,
      p99_ms: figures.p99_us / 1000,
      max_ms: figures.max_us / 1000,
      errors,
      ...(errors ? { errors_by_kind: figures.errors } : {}),
      cores: coresUsed(before, after, elapsed),
    };
    r.cpu_ms_per_request = stackCpuMsPerRequest(before, after, figures.requests);
    runs.push(r);
    console.log(
      `${route.name} @${connections}: ${r.requests_per_second} req/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, CPU ${r.cpu_ms_per_request} ms/request, errors ${errors}${errors ? ` ${JSON.stringify(figures.errors)}` : ""}, cores ${JSON.stringify(r.cores)}`,
    );
  }
}
const processes = sample();
const stack = {
  peak_rss_mib: Math.round(peakMib),
  peak_rss_mib_by_kind: peakByKind,
  processes: Object.fromEntries(Object.entries(processes).map(([k, u]) => [k, u.processes])),
};
console.log(
  `stack: peak memory ${stack.peak_rss_mib} MiB (${JSON.stringify(peakByKind)}), processes ${JSON.stringify(stack.processes)}`,
);
// One file per kind of stack (LOCAL_STACK): `make bench` measures both.
addToReport("runs", runs);
addToReport("stack", stack);
