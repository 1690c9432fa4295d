// The reading room: busy regions, the transcript of the last click, and where the keyboard
// goes after a swap.
"use strict";

// A region htmx is about to replace says so: dimmed, aria-busy, and in words (data-loading on
// whatever asked, or "Loading…"). A transcript fetched from Convai says that it is.
document.addEventListener("htmx:beforeRequest", (event) => {
  const region = event.detail.target;
  if (!region || region.id === "sync-status") return; // its poll is not a wait
  region.setAttribute("aria-busy", "true");
  const asker = event.detail.elt.closest("[data-loading]");
  region.dataset.loadingLabel = asker ? asker.dataset.loading : "Loading…";
});
document.addEventListener("htmx:afterRequest", (event) => {
  const region = event.detail.target;
  if (region && !superseded(event)) region.removeAttribute("aria-busy");
});

// The transcript shows the session clicked last, however the answers arrive: an answer to an
// earlier click is dropped, neither swapped in nor pushed into history. hx-sync cannot do this
// (test_two_rows_clicked_100_ms_apart_show_the_second): "replace" aborts the earlier request,
// and htmx logs two errors for every quick double click; "queue last" swaps in and pushes the
// earlier answer first.
const READING = new Set(["transcript", "session-browser"]);
let newestReading = null;
function superseded(event) {
  const region = event.detail.target;
  return Boolean(region && READING.has(region.id) && event.detail.xhr !== newestReading);
}
function dropSuperseded(event) {
  if (superseded(event)) event.detail.shouldSwap = false;
}
let focusAtRequest = null;
document.addEventListener("htmx:beforeRequest", (event) => {
  const region = event.detail.target;
  if (region && READING.has(region.id)) {
    newestReading = event.detail.xhr;
    // Listened for on the region itself: htmx fires htmx:beforeSwap on the region the request
    // named, which a newer answer may have replaced by then, and an event on an element no
    // longer in the page never reaches the document. (Added once per region.)
    region.addEventListener("htmx:beforeSwap", dropSuperseded);
  }
  focusAtRequest = document.activeElement;
});

// After a region is replaced, the keyboard goes on from its heading (unless htmx kept focus on
// the control that asked, such as a filter), and one status line says what changed.
const REGION_NAMES = {
  "transcript": "Transcript",
  "session-list": "Sessions",
  "session-browser": "Sessions and transcript",
  "results": "Results",
  "sync-status": "Sync",
};

onSettle("region-focus", (event) => {
  const replaced = event.detail.target;
  if (!replaced || !replaced.id || !(replaced.id in REGION_NAMES)) return;
  // An outerHTML swap leaves the event's target detached: the region now is its successor.
  const region = document.getElementById(replaced.id) || replaced;
  if (event.detail.requestConfig && event.detail.requestConfig.verb === "get"
      && region.id === "sync-status") return; // the poll: said only when it ends, below
  const heading = region.querySelector("h2[tabindex], h1[tabindex]");
  // Focus moves on unless the reader has moved it meanwhile (a key such as "/"), or htmx kept
  // it on the control that asked (a filter), which the swap replaced with its twin.
  const now = document.activeElement;
  const lost = !now || now === document.body || !now.isConnected;
  if (heading && (lost || now === focusAtRequest)) {
    heading.focus({ preventScroll: region.id === "session-list" });
  }
  announce(`${heading ? heading.textContent.trim() : REGION_NAMES[region.id]} updated.`);
});
document.addEventListener("sync-finished", () => announce("The sync has finished."));
