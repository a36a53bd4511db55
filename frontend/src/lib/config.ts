// The deployment's settings, read at run time from config.json next to index.html, so one build
// serves any deployment.

export interface SiteConfig {
  api_base_url: string;
}

export async function loadConfig(fetcher: typeof fetch = fetch): Promise<SiteConfig> {
  const response = await fetcher("config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: ${response.status}`);
  const config = (await response.json()) as Partial<SiteConfig>;
  if (typeof config.api_base_url !== "string" || !/^https?:\/\//.test(config.api_base_url)) {
    throw new Error("config.json has no valid api_base_url");
  }
  return { api_base_url: config.api_base_url };
}
