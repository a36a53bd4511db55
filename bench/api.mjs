// What the bench scripts share: calls to the local stack's API (ROLECHAT_API_URL, on loopback),
// learners signed up for a run, and the room they talk in.
export const api = process.env.ROLECHAT_API_URL;
if (!api?.startsWith("http://127.0.0.1:")) {
  throw new Error("ROLECHAT_API_URL must be the local stack on loopback");
}

export async function call(method, path, token, body) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    // A request that hangs fails the run instead of holding it forever.
    signal: AbortSignal.timeout(120_000),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? null : response.json();
}

export const newRoom = {
  language: "en-US",
  level: "B1",
  situation: "Ordering coffee in Seattle",
  my_role: "a customer",
  gpt_role: "a barista",
};

const run = Date.now().toString(36);
// A new learner's token: `{kind}-{run}-{name}`, so runs on one stack never collide.
export async function learner(kind, name) {
  const { access_token: token } = await call("POST", "/signup", null, {
    username: `${kind}-${run}-${name}`,
    password: "bench test password",
  });
  return token;
}
