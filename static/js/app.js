// Small progressive enhancements; every page works without this file.
"use strict";

// htmx fires htmx:afterSettle once for each element a swap settled (its target, then each
// out-of-band element). One listener runs what each feature does then, in this order:
// - "current-row" and "copy-links" only mark and unhide: they can run anywhere.
// - "flag-form" focuses a flag form just opened; its slot is not a region, so "region-focus"
//   leaves it be.
// - "waiting-key" before "region-focus": the key pressed during the swap is pressed now, and
//   the request it starts notes the focus as the reader left it, before the heading takes it.
// - "region-focus" moves the keyboard to the new region's heading; "more-results" (which
//   focuses the first new conversation) and "narrow-layout" (which scrolls a newly opened
//   transcript to the top) come after it, so theirs is the last word.
// - "local-times" and "transcript" rewrite text of the new content; they move no focus.
// - "row-patch" copies the transcript's facts into its row.
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
  "row-patch",
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

// "Copy link" next to each line's permalink, where the browser lets a page use the clipboard
// (secure contexts only); the permalink itself always works.
function enableCopyLinks(root) {
  if (!navigator.clipboard) return;
  for (const button of root.querySelectorAll(".copy-link[hidden]")) {
    button.hidden = false;
  }
}

document.addEventListener("DOMContentLoaded", () => enableCopyLinks(document));
onSettle("copy-links", (event) => enableCopyLinks(event.detail.elt));
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

onSettle("flag-form", (event) => {
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

// --- The reading room ----------------------------------------------------------------------

document.documentElement.classList.add("js");

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
// earlier click is dropped, neither swapped in nor pushed into history. (Aborting it instead,
// as hx-sync does, makes htmx log an error for every quick double click.)
const READING = new Set(["transcript", "session-browser"]);
let newestReading = null;
function superseded(event) {
  const region = event.detail.target;
  return Boolean(region && READING.has(region.id) && event.detail.xhr !== newestReading);
}
let focusAtRequest = null;
document.addEventListener("htmx:beforeRequest", (event) => {
  const region = event.detail.target;
  if (region && READING.has(region.id)) newestReading = event.detail.xhr;
  focusAtRequest = document.activeElement;
});
document.addEventListener("htmx:beforeSwap", (event) => {
  if (superseded(event)) event.detail.shouldSwap = false;
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

function announce(text) {
  const announcer = document.getElementById("announcer");
  if (!announcer) return;
  announcer.textContent = "";
  // A change of text is what makes a screen reader speak again.
  setTimeout(() => { announcer.textContent = text; }, 50);
}

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

// Times as the reader chose: UTC as stored, or the browser's own time zone.
const pad = (n) => String(n).padStart(2, "0");
function localTime(element) {
  const at = new Date(element.getAttribute("datetime"));
  if (Number.isNaN(at.getTime())) return;
  const date = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  const show = element.dataset.show;
  if (!element.title) element.title = element.textContent.trim();
  if (show === "time") element.textContent = `${time}:${pad(at.getSeconds())}`;
  else if (show === "datetime") element.textContent = `${date} ${time}`;
}
function showLocalTimes(root) {
  if (document.documentElement.dataset.times !== "local") return;
  for (const element of root.querySelectorAll("time.t[data-show]")) localTime(element);
}
document.addEventListener("DOMContentLoaded", () => showLocalTimes(document));
onSettle("local-times", (event) => showLocalTimes(event.detail.elt));

// A select that changes a setting submits its form at once (a button does without script).
document.addEventListener("change", (event) => {
  if (event.target.matches("select.autosubmit")) event.target.form.requestSubmit();
});

// "Interaction n of m" follows the reading, and "match n of m" steps through a search's marks.
function followReading(root) {
  const pane = root.querySelector ? root.querySelector("#transcript") || (root.id === "transcript" ? root : null) : null;
  if (!pane) return;
  const position = pane.querySelector(".position[data-total]");
  const interactions = pane.querySelectorAll(".interaction[data-n]");
  if (position && interactions.length && "IntersectionObserver" in window) {
    const total = position.dataset.total;
    const seen = new IntersectionObserver((entries) => {
      const visible = entries.filter((entry) => entry.isIntersecting);
      if (visible.length) position.textContent = `Interaction ${visible[0].target.dataset.n} of ${total}`;
    }, { root: pane, threshold: 0.5 });
    interactions.forEach((interaction) => seen.observe(interaction));
  }
  const marks = [...pane.querySelectorAll(".transcript mark")];
  const nav = pane.querySelector(".match-nav");
  if (!nav || !marks.length) return;
  nav.hidden = false;
  nav.querySelector(".match-count").textContent = marks.length;
  // The match a search hit opened on (the line in the URL's fragment), or the first.
  const hit = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  let at = Math.max(0, hit ? marks.findIndex((mark) => hit.contains(mark)) : 0);
  const show = (step) => {
    at = (at + step + marks.length) % marks.length;
    marks.forEach((mark) => mark.classList.remove("current"));
    marks[at].classList.add("current");
    nav.querySelector(".match-now").textContent = at + 1;
  };
  show(0);
  const step = (by) => { show(by); marks[at].scrollIntoView({ block: "center" }); };
  nav.querySelector(".match-next").addEventListener("click", () => step(1));
  nav.querySelector(".match-prev").addEventListener("click", () => step(-1));
}
document.addEventListener("DOMContentLoaded", () => followReading(document));
onSettle("transcript", (event) => followReading(event.detail.elt));

// "More results" appends: the keyboard goes on from the first new conversation.
onSettle("more-results", (event) => {
  if (!event.detail.target || event.detail.target.id !== "hit-groups") return;
  const firsts = event.detail.target.querySelectorAll("[data-first-new]");
  const first = firsts[firsts.length - 1];
  if (!first) return;
  first.removeAttribute("data-first-new");
  first.focus();
  announce("More results added.");
});

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

document.addEventListener("click", (event) => {
  const close = event.target.closest(".close-dialog");
  if (close) close.closest("dialog").close();
});

// The list is not re-rendered when a transcript swaps in: its row learns what the transcript
// knows (its length once stored, and that it has been read), if the row is on the page.
onSettle("row-patch", () => {
  const pane = document.querySelector("#transcript[data-row]");
  if (!pane) return;
  const count = document.getElementById(`count-${pane.dataset.row}`);
  if (count && pane.dataset.rowCount) count.textContent = pane.dataset.rowCount;
  const unread = document.getElementById(`unread-${pane.dataset.row}`);
  if (unread) unread.hidden = true;
});
