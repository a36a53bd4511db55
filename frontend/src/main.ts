import "./app.css";
import { mount } from "svelte";
import App from "./App.svelte";
import { startApi } from "./lib/app";
import { loadConfig } from "./lib/config";
import { i18n } from "./lib/i18n.svelte";

document.documentElement.lang = i18n.language;
const target = document.getElementById("app") as HTMLElement;

loadConfig()
  .then((config) => {
    startApi(config.api_base_url);
    mount(App, { target });
  })
  .catch((error: Error) => {
    target.textContent = `Rolechat cannot start: ${error.message}`;
  });
