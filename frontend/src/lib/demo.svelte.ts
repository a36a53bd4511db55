// Whether the tutor is the offline demo (the service marks its replies so), and whether the
// learner has put the banner that says so away: it is said once, not in every line.

const DISMISSED = "rolechat.demo-banner-dismissed";

export const demo = $state({
  active: false,
  dismissed: typeof localStorage !== "undefined" && localStorage.getItem(DISMISSED) === "1",
});

export function dismissDemoBanner() {
  demo.dismissed = true;
  try {
    localStorage.setItem(DISMISSED, "1");
  } catch {
    // A browser that keeps nothing shows the banner again next time.
  }
}
