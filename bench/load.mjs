// Load on the local stack for `make bench`: concurrent `GET /rooms` and concurrent chat turns
// (each connection in a room of its own, as turns in one room take turns), bounded in time and
// in count, loopback only. Writes target/bench/load.json.
import { mkdirSync, writeFileSync } from "node:fs";
import autocannon from "autocannon";

const api = process.env.ROLECHAT_API_URL;
if (!api?.startsWith("http://127.0.0.1:")) {
  throw new Error("ROLECHAT_API_URL must be the local stack on loopback");
}
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8);
const seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 10);

async function call(method, path, token, body) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

// One learner per connection, each with a room.
const run = Date.now().toString(36);
const learners = [];
for (let n = 0; n < connections; n++) {
  const { access_token: token } = await call("POST", "/signup", null, {
    username: `load-${run}-${n}`,
    password: "load test password",
  });
  const room = await call("POST", "/rooms", token, {
    language: "en-US",
    level: "intermediate",
    situation: "Ordering coffee in Seattle",
    my_role: "a customer",
    gpt_role: "a barista",
  });
  learners.push({ token, room: room.id });
}

function summary(result) {
  return {
    connections: result.connections,
    seconds: result.duration,
    requests: result.requests.total,
    requests_per_second: result.requests.average,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    max_ms: result.latency.max,
    non_2xx: result.non2xx,
    errors: result.errors,
  };
}

const report = {};
report["GET /rooms"] = summary(
  await autocannon({
    url: `${api}/rooms`,
    connections,
    duration: seconds,
    maxOverallRequests: 20000,
    headers: { authorization: `Bearer ${learners[0].token}` },
  }),
);

let next = 0;
report["POST /rooms/{id}/messages (turn)"] = summary(
  await autocannon({
    url: api,
    connections,
    duration: seconds,
    maxOverallRequests: 2000,
    requests: [
      {
        method: "POST",
        setupRequest: (request, context) => {
          context.learner ??= learners[next++ % learners.length];
          const { token, room } = context.learner;
          return {
            ...request,
            path: `/rooms/${room}/messages`,
            headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
            body: JSON.stringify({ content: "One more coffee, please." }),
          };
        },
      },
    ],
  }),
);

mkdirSync(new URL("../target/bench/", import.meta.url), { recursive: true });
writeFileSync(new URL("../target/bench/load.json", import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
for (const [name, figures] of Object.entries(report)) {
  console.log(`${name}: ${figures.requests_per_second} req/s, p50 ${figures.p50_ms} ms, p99 ${figures.p99_ms} ms, non-2xx ${figures.non_2xx}`);
}
