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

// A flag form opened beside a line closes without a round trip.
document.addEventListener("click", (event) => {
  const close = event.target.closest(".close-form");
  if (close) close.closest("form").remove();
});

// "Bug report" copies the line's report (Markdown, from the server) to the clipboard; without
// a clipboard the link opens the report as a page.
document.addEventListener("click", async (event) => {
  const link = event.target.closest(".bug-report");
  if (!link || !navigator.clipboard) return;
  event.preventDefault();
  const response = await fetch(link.href, { credentials: "same-origin" });
  await navigator.clipboard.writeText(await response.text());
  link.textContent = "Bug report copied";
  setTimeout(() => { link.textContent = "Bug report"; }, 1500);
});

// The review loop from the keyboard. Each key clicks a control that is also on the page
// (marked data-shortcut), so it does exactly what the pointer would; `?` lists them.
function isTyping(target) {
  return target.closest("input, textarea, select, [contenteditable]") !== null;
}

function moveLine(step) {
  const lines = [...document.querySelectorAll("#transcript .bubble[data-line]")];
  if (!lines.length) return;
  const at = lines.indexOf(document.activeElement.closest(".bubble[data-line]"));
  const next = lines[Math.min(lines.length - 1, Math.max(0, at + step))];
  next.focus();
}

function flagFocusedLine() {
  const line = document.activeElement.closest(".bubble[data-line]")
    || document.querySelector("#transcript .bubble[data-line]");
  if (!line) return;
  line.querySelector(".flag-link").click();
}

document.addEventListener("htmx:afterSettle", (event) => {
  // A flag form just opened beside a line: start typing in it.
  const form = event.detail.elt.querySelector && event.detail.elt.querySelector(".flag-form");
  if (form) form.querySelector("select, textarea").focus();
});

// New content is wired up by htmx only once it settles: a key that clicked a link of it
// before then would load the whole page. Such a key waits for the settle; the last one wins.
let waitingKey = null;

function busy() {
  return document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling") !== null;
}

document.addEventListener("htmx:afterSettle", () => {
  if (waitingKey && !busy()) {
    const run = waitingKey;
    waitingKey = null;
    run();
  }
});

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  if (isTyping(event.target)) return;
  const dialog = document.getElementById("shortcuts");
  if (dialog && dialog.open) return;
  const click = (key) => {
    const control = document.querySelector(`[data-shortcut="${key}"]`);
    if (!control) return false;
    if (busy()) {
      waitingKey = () => click(key);
    } else {
      control.click();
    }
    return true;
  };
  let handled = true;
  switch (event.key) {
    case "j": case "k": case "u": case "a": case "n":
      handled = click(event.key);
      break;
    case "f":
      flagFocusedLine();
      break;
    case "ArrowDown":
    case "ArrowUp":
      handled = event.target.closest("#transcript") !== null;
      if (handled) moveLine(event.key === "ArrowDown" ? 1 : -1);
      break;
    case "/": {
      const search = document.querySelector("[data-shortcut-focus='/']")
        || document.querySelector("input[type=search]");
      handled = search !== null;
      if (handled) search.focus();
      break;
    }
    case "?":
      handled = dialog !== null;
      if (handled) dialog.showModal();
      break;
    default:
      handled = false;
  }
  if (handled) event.preventDefault();
});
