// How many notebook items are due, for the header's badge: read on log-in and after each review.

import type { Api } from "./api";

export const notebook = $state({ due: 0 });

export async function refreshDue(api: Api) {
  try {
    notebook.due = (await api.due()).due_count;
  } catch {
    // The badge is a hint; a failure leaves it as it was.
  }
}
