// Speaking first, in Chromium with a microphone that says one line (espeak-ng's): a hands-free
// turn from the spoken line to the reply read aloud in the server's voice, a line said again
// with a missed word marked, and the failures said in the interface language.
import { expect, type Page, test } from "@playwright/test";
import { bubbles, createRoom, SCREENSHOTS, signUp } from "./helpers";

const SPEECH = process.env.ROLECHAT_FAKE_SPEECH_URL ?? "http://127.0.0.1:9486";
const SAID = "I would like a large coffee, please.";

/** What the fake speech server hears next, or how it fails next. */
async function hearNext(page: Page, text: string) {
  const response = await page.request.post(`${SPEECH}/control/transcripts`, { data: { text } });
  expect(response.ok()).toBe(true);
}
async function failNext(page: Page, status: number) {
  expect((await page.request.post(`${SPEECH}/control/failures`, { data: { status } })).ok()).toBe(true);
}
async function syntheses(page: Page): Promise<string[]> {
  const { requests } = await (await page.request.get(`${SPEECH}/control/requests`)).json();
  return requests
    .filter((r: { kind: string }) => r.kind === "speech")
    .map((r: { body: { input: string } }) => r.body.input);
}

async function openRoom(page: Page, situation: string) {
  await signUp(page);
  await createRoom(page, situation);
  await expect(bubbles(page)).toHaveCount(1);
}

test("a hands-free turn: the spoken line is heard, sent, answered and read aloud", async ({ page }) => {
  await openRoom(page, "Ordering at a café");
  await page.locator(".room-info summary").click();
  await expect(page.getByTestId("voice-source")).toContainText("Rolechat's voice (coral)");
  await page.locator(".room-info summary").click();

  await hearNext(page, SAID);
  const state = page.getByTestId("hands-free-state");
  await page.getByTestId("hands-free").click();
  await expect(page.getByTestId("hands-free")).toHaveAttribute("aria-pressed", "true");
  // The line arrives as the learner's message, the reply follows and is read aloud.
  await expect(bubbles(page).filter({ hasText: SAID })).toHaveCount(1, { timeout: 30_000 });
  await expect(bubbles(page)).toHaveCount(3, { timeout: 20_000 });
  await expect(state).toContainText(`You said: “${SAID}”`);
  await expect(state).toHaveAttribute("data-timings", /first_sound/, { timeout: 20_000 });
  const reply = (await bubbles(page).nth(2).locator(".content").innerText()).trim();
  expect(await syntheses(page)).toContain(reply);
  // And it listens again.
  await expect(state).toHaveAttribute("data-state", "listening", { timeout: 20_000 });
  const timings = JSON.parse((await state.getAttribute("data-timings")) ?? "{}");
  const ready = await state.getAttribute("data-ready-ms");
  console.log(
    `hands-free: microphone and detector ready in ${ready} ms; the turn, in ms after the detector closed the line: ${JSON.stringify(timings)}`,
  );
  expect(timings.transcribed).toBeLessThan(timings.reply_stored);
  expect(timings.reply_stored).toBeLessThan(timings.first_sound);
  await page.screenshot({ path: `${SCREENSHOTS}/hands-free.png` });
  await page.getByTestId("hands-free").click();
  await expect(state).toHaveCount(0);
});

test("saying the tutor's line again marks the word that was not heard", async ({ page }) => {
  await openRoom(page, "Buying a bus ticket");
  const line = (await bubbles(page).first().locator(".content").innerText()).trim();
  const words = line.split(/\s+/);
  const missed = words[1].replace(/[^\p{L}\p{N}']/gu, "");
  await hearNext(page, words.filter((_, index) => index !== 1).join(" "));
  await bubbles(page).first().getByRole("button", { name: "Say it again" }).click();
  const attempt = page.getByTestId("attempt");
  await expect(attempt).toBeVisible({ timeout: 30_000 });
  await expect(attempt.locator('[data-heard="false"]')).toHaveText([missed]);
  await expect(attempt).toContainText(`${words.length - 1} of ${words.length} words recognised`);
  await expect(attempt).toContainText("Recognition is not a pronunciation score");
  await page.screenshot({ path: `${SCREENSHOTS}/say-again.png` });
});

test("a failure of the speech service is said, and hands-free listens on", async ({ page }) => {
  await openRoom(page, "Asking for directions");
  // Down for the request and its retry.
  await failNext(page, 503);
  await failNext(page, 503);
  await page.getByTestId("hands-free").click();
  const state = page.getByTestId("hands-free-state");
  await expect(state.locator(".error")).toBeVisible({ timeout: 30_000 });
  await expect(state).toHaveAttribute("data-state", "listening");
  await expect(bubbles(page)).toHaveCount(1);
  // The tutor's line in the server's voice, from the speaker button.
  const line = (await bubbles(page).first().locator(".content").innerText()).trim();
  await bubbles(page).first().getByRole("button", { name: "Read aloud" }).click();
  await expect.poll(async () => await syntheses(page)).toContain(line);
  await expect(page.locator(".speech-failure")).toHaveCount(0);
});
