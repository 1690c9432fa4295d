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

// "Copy link" next to each line's permalink, where the browser lets a page use the clipboard
// (secure contexts only); the permalink itself always works.
function enableCopyLinks(root) {
  if (!navigator.clipboard) return;
  for (const button of root.querySelectorAll(".copy-link[hidden]")) {
    button.hidden = false;
  }
}

document.addEventListener("DOMContentLoaded", () => enableCopyLinks(document));
document.addEventListener("htmx:afterSettle", (event) => enableCopyLinks(event.detail.elt));
document.addEventListener("click", async (event) => {
  const button = event.target.closest(".copy-link");
  if (!button) return;
  await navigator.clipboard.writeText(new URL(button.dataset.href, window.location.href).href);
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = "Copy link"; }, 1500);
});
