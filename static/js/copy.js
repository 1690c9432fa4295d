// Copying from a transcript: a line's link and its bug report.
"use strict";

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
