// Quick exit, and a back history that holds at most one page of this service.
// Without JavaScript every page still works: the exit link is a plain link (GET /exit
// redirects away) and forms post as usual, but then the browser keeps one history entry per
// page. With JavaScript:
//  - a click on the exit link, or three presses of Shift, blanks the page at once and
//    replaces the current history entry with the neutral site;
//  - links within the service replace the current entry instead of adding one, and forms are
//    sent with fetch and their answer shown in place (the address is updated with
//    history.replaceState), so the service never occupies more than the one entry that the
//    quick exit replaces. Pressing Back after the exit leads to the page before the service.
(function () {
  "use strict";
  var link, target;

  function leave(event) {
    if (event) event.preventDefault();
    document.title = "";
    document.documentElement.style.display = "none";
    try {
      fetch("/exit", { method: "GET", credentials: "same-origin", keepalive: true });
    } catch (e) { /* leaving matters more than clearing */ }
    window.location.replace(target);
  }

  var presses = [];
  function onKey(event) {
    if (event.key !== "Shift" || event.repeat) return;
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 1500; });
    presses.push(now);
    if (presses.length >= 3) leave();
  }

  function onClick(event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey) return;
    var a = event.target.closest ? event.target.closest("a[href]") : null;
    if (!a || a.target || a.hasAttribute("download")) return;
    var url = new URL(a.href, location.href);
    if (url.origin !== location.origin) return;  // other sites: a normal link
    if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
    event.preventDefault();
    location.replace(url.href);
  }

  function show(url, html) {
    if (new URL(url, location.href).origin === location.origin) history.replaceState(null, "", url);
    document.open();
    document.write(html);
    document.close();
    // The written page's own copy of this script may or may not run (browsers differ for
    // scripts written by document.write); set up again here, which is idempotent.
    setUp();
  }

  function onSubmit(event) {
    var form = event.target;
    if (event.defaultPrevented || !window.fetch || !window.URLSearchParams ||
        (form.getAttribute("method") || "").toLowerCase() !== "post") return;
    event.preventDefault();
    if (form.getAttribute("data-sending")) return;  // a double click sends once
    form.setAttribute("data-sending", "1");
    var action = new URL(form.getAttribute("action") || location.href, location.href).href;
    fetch(action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
      redirect: "follow",
      cache: "no-store"
    }).then(function (res) {
      return res.text().then(function (html) { show(res.url || action, html); });
    }).catch(function () {
      // The network failed before an answer came: let the browser post the form itself.
      form.removeAttribute("data-sending");
      HTMLFormElement.prototype.submit.call(form);
    });
  }

  function setUp() {
    link = document.getElementById("quick-exit");
    if (!link) return;  // staff pages have no quick exit and keep normal history
    target = link.getAttribute("data-exit-url") || "https://www.google.com/";
    link.removeEventListener("click", leave);
    link.addEventListener("click", leave);
    // document.open() keeps this window, so a page shown in place must not add the
    // listeners twice: remove the previous page's first (harmless if already gone).
    if (window.vdListeners) {
      document.removeEventListener("keydown", window.vdListeners.key);
      document.removeEventListener("click", window.vdListeners.click);
      document.removeEventListener("submit", window.vdListeners.submit);
    }
    window.vdListeners = { key: onKey, click: onClick, submit: onSubmit };
    document.addEventListener("keydown", onKey);
    document.addEventListener("click", onClick);
    document.addEventListener("submit", onSubmit);
  }
  setUp();
})();
