// The learner's journey across days: these tests move the stack's clock, which every function
// reads, so they run on their own after the others (playwright.config.ts).
import { writeFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { API, accessibilityProblems, bubbles, overflowOf, SCREENSHOTS, unique } from "./helpers";

test.beforeEach(async ({ page }) => {
  await page.addInitScript(() => {
    if (!localStorage.getItem("rolechat.ui")) localStorage.setItem("rolechat.ui", "en");
  });
});

/** Moves every function's clock of the local stack by `days` (scripts/e2e.sh names the file). */
function liveDaysLater(days: number) {
  const file = process.env.ROLECHAT_CLOCK_FILE;
  if (!file) throw new Error("ROLECHAT_CLOCK_FILE is not set: run the tests through scripts/e2e.sh");
  writeFileSync(file, String(days * 86_400));
}

for (const [ui, width] of [
  ["ko", 390],
  ["en", 1280],
] as const) {
  test(`a new learner from onboarding to a first scene, the next day's Today, Progress and facts (${ui}, ${width} px)`, async ({
    page,
  }) => {
    test.setTimeout(150_000);
    const words =
      ui === "en"
        ? {
            username: "Username",
            password: "Password",
            signup: "Sign up",
            language: "Spanish",
            reason: "Travel",
            goal: "10 lines a day",
            zone: "Your time zone",
            start: "Start my first scene",
            keepFact: "Remember",
            keepPhrase: "Keep",
            kept: "In your notebook",
            streak: (count: number) => `${count}-day streak`,
            keepStreak: "Say one line today to keep it",
            lines: (done: number) => `${done} of 10 lines today`,
            continue: "Continue",
            reviewed: "Reviewed in conversation: ticket",
            progress: "See all your progress",
            facts: "What your tutor remembers",
            factSee: "See what your tutor remembers",
            table: "Show the figures",
            delete: "Delete",
            none: "Nothing yet.",
          }
        : {
            username: "아이디",
            password: "비밀번호",
            signup: "가입하기",
            language: "영어 (미국)",
            reason: "여행",
            goal: "하루 10문장",
            zone: "시간대",
            start: "첫 장면 시작하기",
            keepFact: "기억하기",
            keepPhrase: "저장",
            kept: "단어장에 있어요",
            streak: (count: number) => `${count}일 연속`,
            keepStreak: "오늘 한 문장만 말해도 이어져요",
            lines: (done: number) => `오늘 10문장 중 ${done}문장`,
            continue: "이어서 하기",
            reviewed: "대화 속 복습: ticket",
            progress: "학습 기록 전체 보기",
            facts: "튜터가 기억하는 것",
            factSee: "튜터가 기억하는 것 보기",
            table: "숫자로 보기",
            delete: "삭제",
            none: "아직 없어요.",
          };
    const zone = ui === "en" ? "America/New_York" : "Asia/Seoul";
    await page.addInitScript((language) => localStorage.setItem("rolechat.ui", language), ui);
    await page.setViewportSize({ width, height: 844 });
    try {
      // Sign-up leads to the onboarding: language, level, why, a daily goal, the time zone.
      const username = unique("newcomer");
      await page.goto("/#/signup");
      await page.getByLabel(words.username).fill(username);
      await page.getByLabel(words.password).fill("a long passphrase");
      await page.getByRole("button", { name: words.signup }).click();
      await expect(page).toHaveURL(/#\/welcome$/);
      await page.getByRole("radio", { name: words.language, exact: true }).check();
      await page.locator("#study-level").selectOption("A1");
      await page.getByRole("radio", { name: words.reason, exact: true }).check();
      await page.getByRole("radio", { name: words.goal, exact: true }).check();
      await page.getByLabel(words.zone).selectOption(zone);
      expect(await overflowOf(page)).toBe(0);
      await page.screenshot({ path: `${SCREENSHOTS}/onboarding-${ui}-${width}.png`, fullPage: true });
      if (ui === "ko") {
        // Not sure of the level: a placement chat of five answers, judged by the review.
        await page.getByRole("button", { name: "대화로 내 수준 알아보기" }).click();
        await expect(page).toHaveURL(/#\/placement\/[0-9A-Z]{26}$/);
        const panel = page.getByTestId("placement");
        await expect(bubbles(page)).toHaveCount(1);
        for (const [index, answer] of [
          "My name is Minsu and I live in Seoul with my family.",
          "Every morning I take the subway to my office near the river.",
          "Last summer I went to Busan and swam in the sea every day.",
          "Next year I want to travel to Canada to practise my English.",
          "I think small cities are better because people have more time.",
        ].entries()) {
          await page.locator("#message").fill(answer);
          await page.locator("#message").press("Enter");
          await expect(bubbles(page)).toHaveCount(3 + index * 2);
          await expect(panel).toContainText(`대답 ${index + 1}/5`);
        }
        // Nothing is corrected in a placement chat.
        await expect(page.getByTestId("feedback")).toHaveCount(0);
        await panel.getByRole("button", { name: "내 수준 보기" }).click();
        await expect(panel).toContainText("대답을 보면 A2 · 초급 수준이에요.");
        expect(await accessibilityProblems(page)).toEqual([]);
        await panel.getByRole("button", { name: "A2로 첫 장면 시작하기" }).click();
      } else {
        await page.getByRole("button", { name: words.start }).click();
      }

      // Straight into a first scene, in the language chosen, at its level, with goals.
      await expect(page).toHaveURL(/#\/rooms\/[0-9A-Z]{26}$/);
      await expect(bubbles(page)).toHaveCount(1);
      await expect(page.locator(".chat-head .tag").first()).toHaveText(words.language);
      await expect(page.locator(".chat-head .tag").nth(1)).toContainText(ui === "ko" ? "A2" : "A1");
      const goalIds = await page
        .locator(".goals li")
        .evaluateAll((items) => items.map((li) => li.getAttribute("data-goal")));
      expect(goalIds.length).toBeGreaterThan(0);
      const token = await page.evaluate(() => localStorage.getItem("rolechat.token"));
      const language = ui === "en" ? "es-ES" : "en-US";
      const saved = await page.request.post(`${API}/vocabulary?ui=${ui}`, {
        headers: { authorization: `Bearer ${token}` },
        data: { text: "ticket", language, meaning: "a pass to travel" },
      });
      expect(saved.status()).toBe(201);

      // A fact the learner shares is offered to keep, and kept only on their say.
      const input = page.locator("#message");
      await input.fill("I work at a hospital #fact");
      await input.press("Enter");
      await expect(bubbles(page)).toHaveCount(3);
      const offer = bubbles(page).nth(1).getByTestId("fact-offer");
      await expect(offer).toContainText("works as a nurse");
      await offer.getByRole("button", { name: words.keepFact }).click();
      await expect(offer.getByRole("link", { name: words.factSee })).toBeVisible();

      // Every goal met: the scene's end, with the phrases to keep and the way on.
      await input.fill(`Thank you! ${goalIds.map((id) => `#${id}`).join(" ")}`);
      await input.press("Enter");
      await expect(bubbles(page)).toHaveCount(5);
      const end = page.getByTestId("scene-end");
      await expect(end).toBeVisible();
      await end
        .getByRole("button", { name: new RegExp(`^${words.keepPhrase}: I work at a hospital`) })
        .click();
      await expect(end).toContainText(words.kept);
      await expect(end.getByRole("link")).toHaveAttribute("href", /\/report$/);
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(await overflowOf(page)).toBe(0);
      await page.screenshot({ path: `${SCREENSHOTS}/scene-end-${ui}-${width}.png` });

      // Today, the same day: a one-day streak and the lines said against the goal.
      await page.getByRole("link", { name: "Rolechat", exact: true }).click();
      await expect(page).toHaveURL(/#\/today$/);
      await expect(page.getByTestId("streak")).toContainText(words.streak(1));
      await expect(page.getByTestId("daily-goal")).toContainText(words.lines(ui === "ko" ? 7 : 2));

      // The next day: the streak waits for a line, the words are due, a scene is suggested.
      // (A login lasts twelve hours: the learner logs in again.)
      liveDaysLater(1);
      await page.reload();
      await expect(page).toHaveURL(/#\/login$/);
      await page.getByLabel(words.username).fill(username);
      await page.getByLabel(words.password).fill("a long passphrase");
      await page.locator("form button[type=submit]").click();
      await expect(page).toHaveURL(/#\/today$/);
      await expect(page.getByTestId("streak")).toContainText(words.keepStreak);
      await expect(page.getByTestId("daily-goal")).toContainText(words.lines(0));
      await expect(page.getByTestId("due-words")).toContainText("2");
      await expect(page.getByTestId("suggestion")).toBeVisible();
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(await overflowOf(page)).toBe(0);
      await page.screenshot({ path: `${SCREENSHOTS}/today-${ui}-${width}.png`, fullPage: true });

      // A due word used in the conversation counts as its review.
      await page.getByTestId("continue").getByRole("link", { name: words.continue }).click();
      await expect(bubbles(page)).toHaveCount(5);
      await input.fill("I have my ticket here #ok");
      await input.press("Enter");
      await expect(bubbles(page)).toHaveCount(7);
      await expect(bubbles(page).nth(5).getByTestId("reviewed-in-conversation")).toHaveText(
        `✓ ${words.reviewed}`,
      );
      await page.getByRole("link", { name: "Rolechat", exact: true }).click();
      await expect(page.getByTestId("streak")).toContainText(words.streak(2));
      await expect(page.getByTestId("due-words")).toContainText("1");

      // Progress: the calendar and the charts, each with its figures as a table.
      await page.getByRole("link", { name: words.progress }).click();
      await expect(page).toHaveURL(/#\/progress$/);
      await expect(page.locator(".calendar rect[data-day]:not(.shade-0)")).toHaveCount(2);
      // The placement's review estimated a level: its chart too.
      await expect(page.locator(".time-chart canvas")).toHaveCount(ui === "ko" ? 5 : 4);
      await page.locator(".time-chart").first().getByText(words.table).click();
      await expect(page.locator(".time-chart").first().locator(".figures tbody tr")).toHaveCount(2);
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(await overflowOf(page)).toBe(0);
      await page.screenshot({ path: `${SCREENSHOTS}/progress-${ui}-${width}.png`, fullPage: true });

      // The fact kept is shown, and deleted for good.
      await page.goto("/#/facts");
      const facts = page.getByTestId("facts");
      await expect(facts).toContainText("works as a nurse");
      expect(await accessibilityProblems(page)).toEqual([]);
      await facts.getByRole("button", { name: `${words.delete}: works as a nurse` }).click();
      await expect(page.getByText(words.none)).toBeVisible();
      await page.reload();
      await expect(page.getByText(words.none)).toBeVisible();
    } finally {
      liveDaysLater(0);
    }
  });
}
