// The search page's results (history/search.html).
"use strict";

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
