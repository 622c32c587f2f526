/* Generic type pages: confirmation dialogs, bulk selection, filter auto-submit and the kanban board.
   Served from the app's origin (/static/core/types.js): the Content-Security-Policy allows no inline script.
   Every page works without this file; it only adds comfort (and drag and drop on the board). */
(function () {
  "use strict";

  var csrfToken = function () {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  };

  /* ------------------------------------------------------------ toasts */
  var toast = function (message, queue) {
    var container = document.getElementById("toasts");
    if (!container) {
      container = document.createElement("div");
      container.id = "toasts";
      container.className = "toast-container position-fixed end-0 p-3";
      document.body.appendChild(container);
    }
    var icons = {success: "bi-check-circle-fill", info: "bi-info-circle-fill",
                 warning: "bi-exclamation-triangle-fill", danger: "bi-x-octagon-fill"};
    var el = document.createElement("div");
    var urgent = queue === "danger" || queue === "warning";
    el.className = "toast procura-toast procura-toast-" + queue;
    el.setAttribute("role", urgent ? "alert" : "status");
    el.setAttribute("aria-live", urgent ? "assertive" : "polite");
    el.setAttribute("aria-atomic", "true");
    el.setAttribute("data-queue", queue);
    var row = document.createElement("div");
    row.className = "d-flex align-items-start";
    var body = document.createElement("div");
    body.className = "toast-body d-flex align-items-start gap-2";
    var icon = document.createElement("i");
    icon.className = "bi " + (icons[queue] || icons.info) + " toast-icon";
    icon.setAttribute("aria-hidden", "true");
    var text = document.createElement("span");
    text.className = "toast-text";
    text.textContent = message; /* text, never HTML */
    body.appendChild(icon);
    body.appendChild(text);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close me-2 mt-2";
    close.setAttribute("data-bs-dismiss", "toast");
    var board = document.getElementById("kanban");
    close.setAttribute("aria-label", (board && board.getAttribute("data-close-label")) || "Close");
    row.appendChild(body);
    row.appendChild(close);
    el.appendChild(row);
    container.appendChild(el);
    if (window.bootstrap && window.bootstrap.Toast) {
      window.bootstrap.Toast.getOrCreateInstance(el, {autohide: !urgent, delay: 6000}).show();
      el.addEventListener("hidden.bs.toast", function () { el.remove(); });
    } else {
      el.classList.add("show");
    }
    return el;
  };
  window.procuraToast = toast;

  /* ------------------------------------------------------------ confirmation */
  var modalEl = document.getElementById("confirm-modal");
  var confirmThen = function (message, proceed) {
    if (!modalEl || !window.bootstrap || !window.bootstrap.Modal) {
      if (window.confirm(message)) { proceed(); }
      return;
    }
    document.getElementById("confirm-modal-text").textContent = message;
    var modal = window.bootstrap.Modal.getOrCreateInstance(modalEl);
    var ok = document.getElementById("confirm-modal-ok");
    var fresh = ok.cloneNode(true); /* drop the listener of an earlier question */
    ok.parentNode.replaceChild(fresh, ok);
    fresh.addEventListener("click", function () { modal.hide(); proceed(); });
    modalEl.addEventListener("shown.bs.modal", function once() {
      modalEl.removeEventListener("shown.bs.modal", once);
      fresh.focus();
    });
    modal.show();
  };

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.dataset.confirmed === "1") { return; }
    var message = form.getAttribute("data-confirm");
    if (form.hasAttribute("data-bulk-form")) {
      var select = form.querySelector("select[name=action]");
      var option = select && select.options[select.selectedIndex];
      message = option ? option.getAttribute("data-confirm") : null;
    }
    if (!message) { return; }
    event.preventDefault();
    confirmThen(message, function () {
      form.dataset.confirmed = "1";
      if (event.submitter && event.submitter.name) {
        var carry = document.createElement("input");
        carry.type = "hidden";
        carry.name = event.submitter.name;
        carry.value = event.submitter.value;
        form.appendChild(carry);
      }
      form.submit();
    });
  }, true);

  /* ------------------------------------------------------------ bulk selection */
  document.querySelectorAll("[data-bulk-form]").forEach(function (form) {
    document.body.classList.add("js-bulk");
    var bar = form.querySelector("[data-bulk-bar]");
    var count = form.querySelector("[data-bulk-count]");
    var all = form.querySelector("[data-check-all]");
    var select = form.querySelector("select[name=action]");
    var comment = form.querySelector("input[name=comment]");
    var boxes = function () { return Array.prototype.slice.call(form.querySelectorAll(".row-check")); };
    var sync = function () {
      var checked = boxes().filter(function (b) { return b.checked; }).length;
      if (count) { count.textContent = String(checked); }
      if (bar) { bar.classList.toggle("is-empty", checked === 0); }
      if (all) {
        all.checked = checked > 0 && checked === boxes().length;
        all.indeterminate = checked > 0 && checked < boxes().length;
      }
      if (comment && select) {
        var option = select.options[select.selectedIndex];
        var needed = option && option.getAttribute("data-comment-required") === "1";
        comment.classList.toggle("is-hidden", !needed);
        comment.required = !!needed;
      }
    };
    form.addEventListener("change", sync);
    if (all) {
      all.addEventListener("change", function () {
        boxes().forEach(function (b) { b.checked = all.checked; });
        sync();
      });
    }
    sync();
  });

  /* ------------------------------------------------------------ filter bar */
  document.querySelectorAll("[data-submit-on-change]").forEach(function (el) {
    el.addEventListener("change", function () { if (el.form) { el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit(); } });
  });
  /* empty filter inputs stay out of the address */
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input, select").forEach(function (el) {
        if (!el.value && el.name) { el.removeAttribute("name"); }
      });
    });
  });

  /* Deform widgets that declare scripts register callbacks; run them (no inline "deform.load()" under the CSP). */
  if (window.deform && window.jQuery) { window.jQuery(function () { window.deform.load(); }); }

  /* ------------------------------------------------------------ kanban */
  var board = document.getElementById("kanban");
  if (!board || !window.Sortable) { return; }
  var commentModalEl = document.getElementById("kanban-comment-modal");
  var moveError = board.getAttribute("data-move-error") || "Error";

  var columnOf = function (el) { return el.closest(".kanban-column"); };
  var updateColumn = function (column) {
    var list = column.querySelector(".kanban-list");
    var badge = column.querySelector("[data-count]");
    var cards = list.querySelectorAll(".kanban-card").length;
    column.classList.toggle("is-empty", cards === 0);
    if (badge) { badge.textContent = String(Math.max(0, parseInt(badge.textContent, 10) || 0)); }
  };
  var shiftCount = function (column, delta) {
    var badge = column.querySelector("[data-count]");
    if (badge) { badge.textContent = String(Math.max(0, (parseInt(badge.textContent, 10) || 0) + delta)); }
    updateColumn(column);
  };
  var putBack = function (evt) {
    var item = evt.item;
    var ref = evt.from.children[evt.oldIndex] || null;
    evt.from.insertBefore(item, ref);
    updateColumn(columnOf(evt.from));
    updateColumn(columnOf(evt.to));
  };

  var askComment = function (reason, done) {
    if (!commentModalEl || !window.bootstrap) { done(window.prompt(reason) || null); return; }
    var form = document.getElementById("kanban-comment-form");
    var area = document.getElementById("kanban-comment");
    document.getElementById("kanban-comment-reason").textContent = reason;
    area.value = "";
    var modal = window.bootstrap.Modal.getOrCreateInstance(commentModalEl);
    var answered = false;
    var onSubmit = function (e) {
      e.preventDefault();
      if (!area.value.trim()) { area.focus(); return; }
      answered = true;
      modal.hide();
    };
    var onHidden = function () {
      form.removeEventListener("submit", onSubmit);
      commentModalEl.removeEventListener("hidden.bs.modal", onHidden);
      done(answered ? area.value.trim() : null);
    };
    form.addEventListener("submit", onSubmit);
    commentModalEl.addEventListener("hidden.bs.modal", onHidden);
    commentModalEl.addEventListener("shown.bs.modal", function once() {
      commentModalEl.removeEventListener("shown.bs.modal", once);
      area.focus();
    });
    modal.show();
  };

  var move = function (evt, comment) {
    var card = evt.item;
    var target = evt.to.getAttribute("data-status");
    var body = new URLSearchParams();
    body.set("status", target);
    if (comment) { body.set("comment", comment); }
    card.classList.add("is-saving");
    fetch(card.getAttribute("data-move-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {"X-CSRF-Token": csrfToken(), "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
      body: body.toString()
    }).then(function (response) {
      return response.json().catch(function () { return {ok: false, reason: moveError}; })
        .then(function (data) { return {status: response.status, data: data}; });
    }).then(function (result) {
      card.classList.remove("is-saving");
      var data = result.data || {};
      if (result.status === 200 && data.ok) {
        card.setAttribute("data-version", data.version);
        card.setAttribute("data-targets", (data.targets || []).join(" "));
        shiftCount(columnOf(evt.from), -1);
        shiftCount(columnOf(evt.to), +1);
        if (data.message) { toast(data.message, "success"); }
        return;
      }
      if (data.needs_comment) {
        askComment(data.reason || "", function (text) {
          if (text) { move(evt, text); } else { putBack(evt); }
        });
        return;
      }
      putBack(evt);
      toast(data.reason || moveError, "danger");
    }).catch(function () {
      card.classList.remove("is-saving");
      putBack(evt);
      toast(moveError, "danger");
    });
  };

  var columns = Array.prototype.slice.call(board.querySelectorAll(".kanban-column"));
  board.querySelectorAll(".kanban-list").forEach(function (list) {
    window.Sortable.create(list, {
      group: "kanban",
      animation: 150,
      forceFallback: true,
      fallbackOnBody: true,
      fallbackTolerance: 3,
      ghostClass: "kanban-ghost",
      chosenClass: "kanban-chosen",
      fallbackClass: "kanban-fallback",
      filter: "button, input, textarea, select",
      preventOnFilter: false,
      delay: 200,
      delayOnTouchOnly: true,
      onStart: function (evt) {
        var targets = (evt.item.getAttribute("data-targets") || "").split(" ");
        var from = columnOf(evt.from);
        board.classList.add("kanban-dragging");
        columns.forEach(function (col) {
          var allowed = col === from || targets.indexOf(col.getAttribute("data-status")) !== -1;
          col.classList.toggle("is-allowed", allowed && col !== from);
          col.classList.toggle("is-blocked", !allowed);
        });
      },
      onEnd: function (evt) {
        board.classList.remove("kanban-dragging");
        columns.forEach(function (col) { col.classList.remove("is-allowed", "is-blocked"); });
        if (evt.from === evt.to) { return; }
        updateColumn(columnOf(evt.from));
        updateColumn(columnOf(evt.to));
        move(evt, null);
      }
    });
  });
})();

/* ------------------------------------------------------------ activity feed
   The composer and the edit forms send with Ctrl+Enter (or Cmd+Enter); an open reaction picker closes
   on Escape or a click elsewhere. Posting and reacting work as plain forms; htmx swaps the panel. */
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var area = event.target;
    if (event.key === "Escape") {
      document.querySelectorAll(".reaction-picker[open]").forEach(function (d) { d.removeAttribute("open"); });
      return;
    }
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) { return; }
    if (!(area instanceof HTMLTextAreaElement) || !area.closest("#feed-composer-form, .feed-edit-form")) { return; }
    event.preventDefault();
    var form = area.form;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll(".reaction-picker[open]").forEach(function (d) {
      if (!d.contains(event.target)) { d.removeAttribute("open"); }
    });
  });
})();
