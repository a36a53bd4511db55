// Placeholder: reads the API's address from config.json and shows whether it answers.
const status = document.getElementById("api-status");

async function checkApi() {
  try {
    const config = await (await fetch("config.json", { cache: "no-store" })).json();
    const reply = await fetch(new URL("health", `${config.api_base_url.replace(/\/$/, "")}/`));
    const body = await reply.json();
    status.textContent = reply.ok && body.status === "ok" ? `up at ${config.api_base_url}` : `answered ${reply.status}`;
  } catch (error) {
    status.textContent = `not reachable (${error.message})`;
  }
}

checkApi();
