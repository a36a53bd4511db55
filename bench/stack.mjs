// What the load scripts share: the local stack's processes by kind (CPU and memory, read from
// /proc), and wrk driving a route (bench/load.lua).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { api } from "./api.mjs";

const script = new URL("load.lua", import.meta.url).pathname;

// The stack's processes, by kind, from their command lines.
export const kinds = {
  one: (cmd) => cmd.split("\0")[0].endsWith("/rolechat"),
  functions: (cmd) =>
    /target\/release\/(?!local-dynamodb|fake-|bench|rolechat$)[\w-]+$/.test(cmd.split("\0")[0]),
  emulator: (cmd) => cmd.includes("cargo-lambda") && cmd.includes("watch"),
  dynamodb: (cmd) => cmd.split("\0")[0].endsWith("/local-dynamodb"),
  model: (cmd) => cmd.split("\0")[0].endsWith("/fake-openai"),
};

const ticks = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());

// CPU seconds, resident memory and process count of each kind, now.
export function sample() {
  const usage = Object.fromEntries(
    Object.keys(kinds).map((k) => [k, { cpu_s: 0, rss_mib: 0, processes: 0 }]),
  );
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      const kind = Object.keys(kinds).find((k) => kinds[k](cmd));
      if (!kind) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      const rss = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/);
      usage[kind].cpu_s += (Number(stat[11]) + Number(stat[12])) / ticks;
      usage[kind].rss_mib += rss ? Number(rss[1]) / 1024 : 0;
      usage[kind].processes += 1;
    } catch {
      // The process ended meanwhile.
    }
  }
  return usage;
}

// The stack's CPU milliseconds per request between two samples, the model's left out (it is the
// same in both stacks).
export function stackCpuMsPerRequest(before, after, requests) {
  const seconds = Object.keys(kinds)
    .filter((k) => k !== "model")
    .reduce((sum, k) => sum + after[k].cpu_s - before[k].cpu_s, 0);
  return Math.round((seconds / Math.max(1, requests)) * 1e5) / 100;
}

// Cores each kind used between two samples `seconds` apart.
export function coresUsed(before, after, seconds) {
  return Object.fromEntries(
    Object.keys(kinds).map((k) => [
      k,
      Math.round(((after[k].cpu_s - before[k].cpu_s) / seconds) * 100) / 100,
    ]),
  );
}

// wrk on one route at `connections` connections for `seconds`: its JSON line of figures.
// `route.requests` holds one "METHOD PATH TOKEN" per connection; `route.body` and
// `route.accept` go with each request.
export function wrk(route, connections, seconds) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "wrk",
      [
        "-t",
        String(connections),
        "-c",
        String(connections),
        "-d",
        `${seconds}s`,
        "--timeout",
        "10s",
        "-s",
        script,
        api,
      ],
      {
        env: {
          ...process.env,
          BENCH_REQUESTS: route.requests.slice(0, connections).join("\n"),
          ...(route.body ? { BENCH_BODY: route.body } : {}),
          ...(route.accept ? { BENCH_ACCEPT: route.accept } : {}),
        },
      },
    );
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.stderr.pipe(process.stderr);
    child.on("error", reject);
    child.on("close", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (code !== 0 || !line) reject(new Error(`wrk exited ${code}: ${out}`));
      else resolve(JSON.parse(line));
    });
  });
}

// Adds `value` under `key` to this stack's report, target/bench/load-{one,lambda}.json
// (LOCAL_STACK names the stack), which `make bench` prints.
export function addToReport(key, value) {
  const dir = new URL("../target/bench/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`load-${process.env.LOCAL_STACK ?? "one"}.json`, dir);
  const report = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  report[key] = value;
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
