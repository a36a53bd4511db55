// The offline demo a newcomer meets when no model is connected (scripts/e2e.sh runs these
// against a stack with no model key): from sign-up to a report, in each interface language.
import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";

const SCREENSHOTS = process.env.ROLECHAT_SCREENSHOTS_DIR ?? "test-results/screenshots";
const words = (ui: string): Record<string, string> =>
  JSON.parse(readFileSync(new URL(`../../src/i18n/${ui}.json`, import.meta.url), "utf8"));

// Each interface language learns another language; the lines are the script's (one with the
// common mistake it corrects), so the demo answers them as it would a newcomer.
const CASES = [
  {
    ui: "en",
    language: "ja-JP",
    opener: "いらっしゃいませ。なにになさいますか？",
    lines: ["ラテがください。", "いくらですか？", "持ち帰りでお願いします。"],
    corrected: "ラテをください。",
    word: "お持ち帰り",
    // Furigana over the third line's kanji (450円です。店内ですか…).
    reading: { after: 2, base: "円", rt: "えん" },
  },
  {
    ui: "ko",
    language: "en-US",
    opener: "Hi there! What can I get you today?",
    lines: ["A latte, please.", "How much it costs?", "To go, please."],
    corrected: "How much does it cost?",
    word: "for here or to go",
    reading: null,
  },
  {
    ui: "ja",
    language: "ko-KR",
    opener: "어서 오세요! 뭐 드릴까요?",
    lines: ["라테가 주세요.", "얼마예요?", "포장해 주세요."],
    corrected: "라테를 주세요.",
    word: "포장",
    // The romanization over each word of the opener (어서 오세요!).
    reading: { after: 0, base: "오세요", rt: "oseyo" },
  },
] as const;

for (const demo of CASES) {
  test(`the offline demo shows the product from sign-up to a report (${demo.ui}) @demo`, async ({ page }) => {
    const t = words(demo.ui);
    await page.addInitScript((language) => localStorage.setItem("rolechat.ui", language), demo.ui);
    await page.goto("/#/signup");
    await page.getByLabel(t.username).fill(`demo-${demo.ui}-${Date.now().toString(36)}`);
    await page.getByLabel(t.password).fill("a long passphrase");
    await page.getByRole("button", { name: t.signup_submit }).click();
    // Onboarding skipped; the café scene is the one the demo's script plays.
    await page.getByRole("button", { name: t.onboarding_skip }).click();
    await expect(page).toHaveURL(/#\/today$/);
    await page.goto("/#/rooms");

    await page.locator('[data-scenario="cafe-order"]').click();
    const dialog = page.getByRole("dialog");
    await dialog.locator("#start-language").selectOption(demo.language);
    await dialog.locator("#start-level").selectOption("A1");
    await dialog.locator("button.primary").click();

    // The notice is said once, in a banner in the interface language; the lines are the script's.
    const banner = page.getByTestId("demo-banner");
    await expect(banner).toContainText(t.demo_title);
    await expect(banner).toContainText("OPENAI_API_KEY");
    const bubbles = page.locator(".messages .bubble:not(.streaming)");
    // The line as written, without the readings the site may have put over it.
    const plain = (index: number) =>
      bubbles
        .nth(index)
        .locator("p.content")
        .evaluate((element) => {
          const copy = element.cloneNode(true) as Element;
          for (const reading of copy.querySelectorAll("rt, rp")) reading.remove();
          return copy.textContent?.trim();
        });
    await expect.poll(() => plain(0)).toBe(demo.opener);
    // No speech server here: the browser's own voices, said so, and no hands-free.
    await page.locator(".room-info summary").click();
    await expect(page.getByTestId("voice-source")).toHaveText(t.voice_browser);
    await page.locator(".room-info summary").click();
    await expect(page.getByTestId("hands-free")).toHaveCount(0);

    const input = page.locator("#message");
    const aids = page.getByTestId("reading-aids");
    const started = Date.now();
    for (const [index, line] of demo.lines.entries()) {
      if (demo.reading?.after === index) {
        // Beginners get readings by default, computed in the browser; the switch hides them.
        const ruby = page.locator(".bubble.assistant ruby").filter({ hasText: demo.reading.base });
        await expect(ruby.locator("rt").first()).toHaveText(demo.reading.rt);
        console.log(
          `${demo.language} readings shown ${Date.now() - started} ms after the first line was sent`,
        );
        await expect(aids).toHaveAttribute("aria-pressed", "true");
        await aids.click();
        await expect(page.locator(".bubble.assistant ruby")).toHaveCount(0);
        await aids.click();
        await expect(ruby.first()).toBeVisible();
      }
      await input.fill(line);
      await input.press("Enter");
      await expect(bubbles).toHaveCount(3 + index * 2);
      await expect(page.locator(".goals li.done")).toHaveCount(index + 1);
    }
    if (!demo.reading) await expect(aids).toHaveCount(0);
    // The script's mistake is corrected with the change marked; its other lines pass.
    await expect(page.getByTestId("feedback").filter({ has: page.locator("ins") })).toHaveCount(1);
    await expect(page.getByTestId("feedback").filter({ hasText: t.looks_good })).toHaveCount(2);
    await expect(page.locator(".scene-complete")).toBeVisible();
    await page.screenshot({ path: `${SCREENSHOTS}/demo-chat-${demo.ui}.png` });
    await banner.getByRole("button").click();
    await expect(banner).toHaveCount(0);

    // The report: the corrected mistake, and a word of the script saved with its meaning.
    await page.getByText(t.room_details).click();
    await page.getByRole("link", { name: t.report_open }).click();
    await expect(page.getByRole("heading", { name: t.report_title })).toBeVisible();
    await expect(page.getByTestId("mistake")).toContainText(demo.corrected);
    await expect(page.getByTestId("pattern")).toHaveCount(1);
    const word = page.locator(".words li").filter({ hasText: demo.word });
    await word.getByRole("button", { name: t.save_word }).click();
    await expect(word.getByRole("button", { name: t.saved_word })).toBeDisabled();
    await page.screenshot({ path: `${SCREENSHOTS}/demo-report-${demo.ui}.png` });
  });
}
