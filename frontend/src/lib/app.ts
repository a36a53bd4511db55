// The API client the pages share, created once the site's config is read.

import { type Api, createApi } from "./api";
import { navigate } from "./router.svelte";
import { forget, session } from "./session.svelte";

let api: Api | null = null;

export function startApi(baseUrl: string): Api {
  api = createApi({
    baseUrl,
    token: () => session.token,
    onUnauthorized: () => {
      // A 401 anywhere: the session is over, back to the log-in page.
      forget();
      navigate("#/login");
    },
  });
  return api;
}

export function useApi(): Api {
  if (!api) throw new Error("the API is used before the site's config was read");
  return api;
}
