// Reading a transcript: where the reader is, and a search's matches.
"use strict";

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
