/* Procura default theme behaviour: navigation toggle and the CSRF token on htmx requests. */
(function () {
  "use strict";
  var body = document.body;
  var toggle = document.getElementById("nav-toggle");
  var phone = function () { return window.matchMedia("(max-width: 767.98px)").matches; };
  if (!phone() && window.localStorage && localStorage.getItem("procura.nav") === "collapsed") {
    body.classList.add("nav-collapsed");
  }
  var sync = function () {
    if (!toggle) { return; }
    var open = phone() ? body.classList.contains("nav-open") : !body.classList.contains("nav-collapsed");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  };
  if (toggle) {
    toggle.addEventListener("click", function () {
      if (phone()) {
        body.classList.toggle("nav-open");
      } else {
        body.classList.toggle("nav-collapsed");
        if (window.localStorage) {
          localStorage.setItem("procura.nav", body.classList.contains("nav-collapsed") ? "collapsed" : "open");
        }
      }
      sync();
    });
  }
  sync();
  document.body.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content"); }
  });
})();
