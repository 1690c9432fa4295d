// Times in the reader's own time zone, where the preferences ask for them (html[data-times]).
"use strict";

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
