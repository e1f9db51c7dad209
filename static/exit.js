// Quick exit. Without JavaScript the link works on its own (GET /exit redirects away).
// With it, a click or three presses of Shift blank the page at once and replace the
// current history entry with the neutral site, so the back button does not return here.
(function () {
  "use strict";
  var link = document.getElementById("quick-exit");
  if (!link) return;
  var target = link.getAttribute("data-exit-url") || "https://www.google.com/";
  function leave(event) {
    if (event) event.preventDefault();
    document.title = "";
    document.documentElement.style.display = "none";
    try {
      fetch("/exit", { method: "GET", credentials: "same-origin", keepalive: true });
    } catch (e) { /* leaving matters more than clearing */ }
    window.location.replace(target);
  }
  link.addEventListener("click", leave);
  var presses = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift" || event.repeat) return;
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 1500; });
    presses.push(now);
    if (presses.length >= 3) leave();
  });
})();
