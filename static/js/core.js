// What the feature files share; loaded before them. Every page works without any of them:
// each only enhances what the server already rendered.
"use strict";

document.documentElement.classList.add("js");

// htmx fires htmx:afterSettle once for each element a swap settled (its target, then each
// out-of-band element). One listener runs what each feature does then, in this order:
// - "current-row" (session-browser.js) and "copy-links" (copy.js) only mark and unhide: they
//   can run anywhere.
// - "flag-form" (forms.js) focuses a flag form just opened; its slot is not a region, so
//   "region-focus" leaves it be.
// - "waiting-key" (shortcuts.js) before "region-focus": the key pressed during the swap is
//   pressed now, and the request it starts notes the focus as the reader left it, before the
//   heading takes it.
// - "region-focus" (reading-room.js) moves the keyboard to the new region's heading;
//   "more-results" (search.js), which focuses the first new conversation, and "narrow-layout"
//   (session-browser.js), which scrolls a newly opened transcript to the top, come after it,
//   so theirs is the last word.
// - "local-times" (local-times.js) and "transcript" (transcript.js) rewrite text of the new
//   content; they move no focus.
const SETTLE_ORDER = [
  "current-row",
  "copy-links",
  "flag-form",
  "waiting-key",
  "region-focus",
  "local-times",
  "transcript",
  "more-results",
  "narrow-layout",
];
const settlers = new Map();

function onSettle(name, run) {
  if (!SETTLE_ORDER.includes(name)) throw new Error(`onSettle: no place for "${name}"`);
  settlers.set(name, run);
}

document.addEventListener("htmx:afterSettle", (event) => {
  for (const name of SETTLE_ORDER) {
    const run = settlers.get(name);
    if (!run) continue;
    // As with listeners of their own, one feature that fails leaves the others running.
    try {
      run(event);
    } catch (error) {
      reportError(error);
    }
  }
});

// One short status line says what a partial update did (#announcer, in _base.html).
function announce(text) {
  const announcer = document.getElementById("announcer");
  if (!announcer) return;
  announcer.textContent = "";
  // A change of text is what makes a screen reader speak again.
  setTimeout(() => { announcer.textContent = text; }, 50);
}
