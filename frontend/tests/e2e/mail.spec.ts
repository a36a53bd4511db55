// Email: an address confirmed by its link, a forgotten password reset through the mail the
// stack's real mail server kept, reminders chosen at onboarding, and the mails themselves as
// Chromium shows them (no remote content).
import { expect, test } from "@playwright/test";
import { accessibilityProblems, linkIn, mailsTo, SCREENSHOTS, signUp, unique } from "./helpers";

test("a forgotten password is reset through the mail: link, new password, logged in", async ({ page }) => {
  const username = await signUp(page);
  const address = `${username.toLowerCase()}@example.com`;
  await page.goto("/#/account");
  await page.getByLabel("Email address").fill(address);
  await page.getByRole("button", { name: "Send a confirmation link" }).click();
  await expect(page.getByRole("status").filter({ hasText: `A link was sent to ${address}` })).toBeVisible();
  const [verification] = await mailsTo(address);
  expect(verification.subject).toBe("Confirm your email address for Rolechat");
  await page.goto(linkIn(verification.text, "verify-email"));
  await expect(page.getByText(`${address} is now your account's address.`)).toBeVisible();

  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page).toHaveURL(/#\/forgot$/);
  expect(await accessibilityProblems(page)).toEqual([]);
  await page.getByLabel("Username or email address").fill(username);
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByRole("status")).toContainText("the link is on its way");
  const mails = await mailsTo(address, 2);
  const reset = mails[1];
  expect(reset.subject).toBe("Set a new password for Rolechat");

  // The mail as a mail client shows it: its HTML, with nothing fetched from anywhere.
  const viewer = await page.context().newPage();
  const fetched: string[] = [];
  viewer.on("request", (request) => {
    if (!request.url().startsWith("data:") && request.url() !== "about:blank") fetched.push(request.url());
  });
  await viewer.setContent(String(reset.html));
  await expect(viewer.getByRole("link", { name: "Set a new password" })).toBeVisible();
  await viewer.screenshot({ path: `${SCREENSHOTS}/mail-reset.png` });
  expect(fetched).toEqual([]);
  await viewer.close();

  await page.goto(linkIn(reset.text, "reset-password"));
  await page.getByLabel("New password").fill("short");
  await page.getByRole("button", { name: "Set the password and log in" }).click();
  await expect(page.getByText("8–128 characters, not your username").last()).toBeVisible();
  await page.getByLabel("New password").fill("a brand new passphrase");
  await page.getByRole("button", { name: "Set the password and log in" }).click();
  await expect(page).toHaveURL(/#\/today$/);
  await expect(page.locator(".who")).toHaveAttribute("title", `Logged in as ${username}`);

  // The link worked once; the new password logs in.
  await page.goto(linkIn(reset.text, "reset-password"));
  await page.getByLabel("New password").fill("another passphrase");
  await page.getByRole("button", { name: "Set the password and log in" }).click();
  await expect(page.getByText("This link no longer works")).toBeVisible();
  await page.goto("/#/today");
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill("a brand new passphrase");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/#\/today$/);
});

test("reminders are turned on at onboarding and shown on the account page", async ({ page }) => {
  const username = unique("reminded");
  const address = `${username.toLowerCase()}@example.com`;
  await page.goto("/#/signup");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill("a long passphrase");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/#\/welcome$/);
  await page.getByLabel("Remind me by email").check();
  await page.getByLabel("Email address").fill(address);
  await page.getByLabel("A summary of my week, on Sundays").uncheck();
  await page.getByLabel("At (your time)").selectOption("7");
  expect(await accessibilityProblems(page)).toEqual([]);
  await page.getByRole("button", { name: "Start my first scene" }).click();
  await expect(page).toHaveURL(/#\/rooms\/[0-9A-Z]{26}$/);

  const [verification] = await mailsTo(address);
  await page.goto(linkIn(verification.text, "verify-email"));
  await expect(page.getByText(`${address} is now your account's address.`)).toBeVisible();
  await page.getByRole("link", { name: "Go to your account" }).click();
  await expect(page.getByTestId("email-current")).toHaveText(`Your address: ${address}`);
  await expect(page.getByLabel("A daily email when today's goal is not met or words are due")).toBeChecked();
  await expect(page.getByLabel("A summary of my week, on Sundays")).not.toBeChecked();
  await expect(page.getByLabel("At (your time)")).toHaveValue("7");
  await page.getByLabel("A summary of my week, on Sundays").check();
  await page.getByRole("button", { name: "Save reminders" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("A summary of my week, on Sundays")).toBeChecked();
});
