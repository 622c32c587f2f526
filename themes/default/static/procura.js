/* Procura default theme behaviour: navigation toggle, flash-message toasts, the CSRF token on htmx requests.
   Loaded as a file from the app's origin (the Content-Security-Policy allows no inline script without a nonce). */
(function () {
  "use strict";
  var body = document.body;
  var toggle = document.getElementById("nav-toggle");
  var backdrop = document.getElementById("sidebar-backdrop");
  var phoneQuery = window.matchMedia("(max-width: 767.98px)");
  var phone = function () { return phoneQuery.matches; };
  var store = function (value) {
    try { window.localStorage.setItem("procura.nav", value); } catch (e) { /* private mode: not remembered */ }
  };
  var stored = function () {
    try { return window.localStorage.getItem("procura.nav"); } catch (e) { return null; }
  };

  if (stored() === "collapsed") { body.classList.add("nav-collapsed"); }

  var sync = function () {
    var open = phone() && body.classList.contains("nav-open");
    if (backdrop) { backdrop.hidden = !open; }
    if (toggle) {
      var expanded = phone() ? open : !body.classList.contains("nav-collapsed");
      toggle.setAttribute("aria-expanded", expanded ? "true" : "false");
    }
  };
  var closePhoneNav = function (focusToggle) {
    if (!body.classList.contains("nav-open")) { return; }
    body.classList.remove("nav-open");
    sync();
    if (focusToggle && toggle) { toggle.focus(); }
  };

  if (toggle) {
    toggle.addEventListener("click", function () {
      if (phone()) {
        body.classList.toggle("nav-open");
        if (body.classList.contains("nav-open")) {
          var first = document.querySelector("#sidebar .nav-link.active, #sidebar .nav-link");
          if (first) { window.setTimeout(function () { first.focus({preventScroll: true}); }, 50); }
        }
      } else {
        body.classList.toggle("nav-collapsed");
        store(body.classList.contains("nav-collapsed") ? "collapsed" : "open");
      }
      sync();
    });
  }
  if (backdrop) { backdrop.addEventListener("click", function () { closePhoneNav(false); }); }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && phone()) { closePhoneNav(true); }
  });
  var onMedia = function () { if (!phone()) { body.classList.remove("nav-open"); } sync(); };
  if (phoneQuery.addEventListener) { phoneQuery.addEventListener("change", onMedia); }
  sync();

  /* Flash messages arrive rendered as visible toasts (readable without JavaScript); results fade out,
     warnings and errors stay until closed. */
  if (window.bootstrap && window.bootstrap.Toast) {
    document.querySelectorAll("#toasts .toast").forEach(function (el) {
      var queue = el.getAttribute("data-queue");
      var sticky = queue === "warning" || queue === "danger";
      window.bootstrap.Toast.getOrCreateInstance(el, {autohide: !sticky, delay: 6000}).show();
    });
  }

  document.body.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content"); }
  });
})();
