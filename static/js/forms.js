// Forms and dialogs that need no round trip to close or to submit.
"use strict";

// A flag form opened beside a line closes without a round trip.
document.addEventListener("click", (event) => {
  const close = event.target.closest(".close-form");
  if (close) close.closest("form").remove();
});

onSettle("flag-form", (event) => {
  // A flag form just opened beside a line: start typing in it.
  const form = event.detail.elt.querySelector && event.detail.elt.querySelector(".flag-form");
  if (form) form.querySelector("select, textarea").focus();
});

// A select that changes a setting submits its form at once (a button does without script).
document.addEventListener("change", (event) => {
  if (event.target.matches("select.autosubmit")) event.target.form.requestSubmit();
});

document.addEventListener("click", (event) => {
  const close = event.target.closest(".close-dialog");
  if (close) close.closest("dialog").close();
});
