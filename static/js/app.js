// Small progressive enhancements; every page works without this file.
"use strict";

// When htmx swaps in a transcript, mark its row in the list as the current one: the list itself
// is not re-rendered, so the server cannot do it.
function markCurrentSession() {
  const path = window.location.pathname;
  for (const row of document.querySelectorAll(".session-row")) {
    if (new URL(row.href, window.location.href).pathname === path) {
      row.setAttribute("aria-current", "true");
    } else {
      row.removeAttribute("aria-current");
    }
  }
}

document.addEventListener("htmx:afterSettle", markCurrentSession);
