// What the browser tests share: the API and where screenshots go, a unique name, signing up,
// a room, the conversation's bubbles, axe-core's serious problems, how far a page overflows.
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";

export const API = process.env.ROLECHAT_API_URL ?? "http://127.0.0.1:9480";
// Test artifacts; `make screenshots` writes them to docs/screenshots, which the README shows.
export const SCREENSHOTS = process.env.ROLECHAT_SCREENSHOTS_DIR ?? "test-results/screenshots";
export const HOSTILE = "<img src=x onerror=alert(1)>";

let counter = 0;
export const unique = (name: string) => `${name}-${Date.now().toString(36)}${counter++}`;

export async function signUp(page: Page, username = unique("learner")) {
  await page.goto("/#/signup");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill("a long passphrase");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/#\/welcome$/);
  await page.getByRole("button", { name: "Skip for now" }).click();
  await expect(page).toHaveURL(/#\/today$/);
  // Once Today has loaded (its cards push the links down as they come).
  await expect(page.getByTestId("streak")).toBeVisible();
  await page.getByRole("link", { name: "All my rooms" }).click();
  await expect(page).toHaveURL(/#\/rooms$/);
  await expect(page.locator(".who")).toHaveAttribute("title", `Logged in as ${username}`);
  return username;
}

export async function createRoom(
  page: Page,
  situation: string,
  roles = { mine: "a customer", theirs: "a barista" },
) {
  await page.getByRole("link", { name: "New room" }).click();
  await page.getByLabel("Conversation language").selectOption("en-US");
  await page.getByLabel("Your level").selectOption("A1");
  await page.getByLabel("Situation").fill(situation);
  await page.getByLabel("Your role").fill(roles.mine);
  await page.getByLabel("The tutor's role").fill(roles.theirs);
  await page.getByRole("button", { name: "Create room" }).click();
  await expect(page).toHaveURL(/#\/rooms\/[0-9A-Z]{26}$/);
}

export const bubbles = (page: Page) => page.locator(".messages .bubble:not(.streaming)");

/** axe-core on the page as it is now: the serious and critical violations, by rule and element. */
export async function accessibilityProblems(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map(
      (violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`,
    );
}

/** How far the widest element reaches past the viewport, in pixels (0 when nothing does). */
export const overflowOf = (page: Page) =>
  page.evaluate(() => {
    const right = Math.max(
      ...[...document.querySelectorAll("body *")].map((el) => el.getBoundingClientRect().right),
    );
    return Math.max(
      0,
      Math.ceil(right - window.innerWidth),
      document.documentElement.scrollWidth - window.innerWidth,
    );
  });

/** The mails the stack's mail server kept for `to` (its Maildir, in the stack's data directory),
 * waiting for the `count`th. */
export async function mailsTo(to: string, count = 1) {
  const { readdirSync, readFileSync } = await import("node:fs");
  const { simpleParser } = await import("mailparser");
  const dir = `${process.env.ROLECHAT_DATA_DIR ?? ".local"}/mail/new`;
  for (let attempt = 0; attempt < 100; attempt++) {
    const names = (() => {
      try {
        return readdirSync(dir).sort();
      } catch {
        return [];
      }
    })();
    const mails = [];
    for (const name of names) {
      const mail = await simpleParser(readFileSync(`${dir}/${name}`));
      if (String(mail.headers.get("x-rcptto") ?? "").trim() === to) mails.push(mail);
    }
    if (mails.length >= count) return mails;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${count} mails to ${to} in ${dir}`);
}

/** The link to the site's `route` in a mail's text. */
export function linkIn(text: string | undefined, route: string) {
  const found = new RegExp(`https?://\\S+/#/${route}\\?token=\\S+`).exec(text ?? "");
  if (!found) throw new Error(`no ${route} link in: ${text}`);
  return found[0];
}
