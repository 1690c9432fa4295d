// Keyboard shortcuts (the list the reader sees is review/_shortcuts.html).
"use strict";

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
  // A reader whose role may not flag has no "Flag" link (accounts.roles).
  const link = line && line.querySelector(".flag-link");
  if (!link) return false;
  link.click();
  return true;
}

// New content is wired up by htmx only once it settles: a key that clicked a link of it
// before then would load the whole page. Such a key waits for the settle; the last one wins.
let waitingKey = null;

function busy() {
  return document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling") !== null;
}

onSettle("waiting-key", () => {
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
    case "j": case "k": case "u": case "a": case "n": case "s":
      handled = click(event.key);
      break;
    case "f":
      handled = flagFocusedLine();
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
