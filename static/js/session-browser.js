// The session browser: the list of sessions beside the open transcript (#session-browser).
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

onSettle("current-row", markCurrentSession);

// On a narrow screen the list and the transcript are separate views: opening a session shows
// its transcript (from the top), and its "← Sessions" link goes back to the list as it was.
onSettle("narrow-layout", () => {
  const browser = document.getElementById("session-browser");
  if (!browser) return;
  const open = document.querySelector("#transcript .transcript-head") !== null;
  const was = browser.classList.contains("has-session");
  browser.classList.toggle("has-session", open);
  if (open && !was && window.matchMedia("(max-width: 60rem)").matches) window.scrollTo(0, 0);
});

