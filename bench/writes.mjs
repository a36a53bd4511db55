// Write throughput as the tables fill, for `make bench`: rooms created at 32 connections (one
// transaction each, as a learner's "new room" is) measured for `BENCH_WRITE_SECONDS` when the
// stack's DynamoDB holds about 0, 10,000 and 100,000 items (`BENCH_WRITE_ITEMS`), filled between
// by creating more rooms the same way. A cost that grows with the data shows as a falling rate.
// Adds its figures to target/bench/load-{one,lambda}.json.
import { newRoom, learner as signUp } from "./api.mjs";
import { addToReport, coresUsed, sample, stackCpuMsPerRequest, wrk } from "./stack.mjs";

const marks = (process.env.BENCH_WRITE_ITEMS ?? "0,10000,100000").split(",").map(Number);
const seconds = Number(process.env.BENCH_WRITE_SECONDS ?? 5);
const connections = 32;
const dynamodb = `http://127.0.0.1:${process.env.ROLECHAT_DYNAMODB_PORT}`;

// The stack's DynamoDB, called as the SDK calls it (the local one checks only that a signature
// is there).
async function dynamo(action, body) {
  const response = await fetch(dynamodb, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": `DynamoDB_20120810.${action}`,
      "x-amz-date": "20260101T000000Z",
      authorization:
        "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0",
    },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${action}: ${response.status} ${await response.text()}`);
  return response.json();
}

// Every item in every table (the indexes' copies not counted).
async function storedItems() {
  const { TableNames: tables } = await dynamo("ListTables", {});
  let items = 0;
  for (const name of tables) items += (await dynamo("DescribeTable", { TableName: name })).Table.ItemCount;
  return items;
}

const run = Date.now().toString(36);
const creators = [];
for (let n = 0; n < connections; n++) creators.push(await signUp("writes", `${run}-${n}`));
const create = {
  requests: creators.map((token) => `POST /rooms ${token}`),
  body: JSON.stringify(newRoom),
};

const results = [];
for (const mark of marks) {
  // Fill up to the mark with the same requests, checking the count as it goes.
  let items = await storedItems();
  while (items < mark) {
    await wrk(create, connections, Math.min(30, Math.max(2, Math.ceil((mark - items) / 1500))));
    items = await storedItems();
  }
  const before = sample();
  const figures = await wrk(create, connections, seconds);
  const after = sample();
  const elapsed = figures.duration_us / 1e6;
  const errors = Object.values(figures.errors).reduce((a, b) => a + b, 0);
  const result = {
    stored_items: items,
    connections,
    rooms_per_second: Math.round((figures.requests / elapsed) * 10) / 10,
    p50_ms: figures.p50_us / 1000,
    p99_ms: figures.p99_us / 1000,
    errors,
    cpu_ms_per_request: stackCpuMsPerRequest(before, after, figures.requests),
    cores: coresUsed(before, after, elapsed),
  };
  results.push(result);
  console.log(
    `rooms created with ${String(items).padStart(7)} items stored: ${result.rooms_per_second} a second, ` +
      `p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, CPU ${result.cpu_ms_per_request} ms/room, errors ${errors}, cores ${JSON.stringify(result.cores)}`,
  );
}

addToReport("writes", results);
