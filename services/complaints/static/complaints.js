/* The complaints pages' script: live countdowns in service time, the steps' dialogs, filters that
   apply themselves, and no board refresh while the keyboard is inside it. No build step. */
(function () {
  "use strict";

  /* A countdown says how many seconds of service time were left when the page was made
     (data-remaining, negative once overdue) and for how many seconds the clock runs from then
     before service hours end (data-running; 0: paused). The board's refresh brings fresh ones. */
  var started = new WeakMap();

  function clock(seconds) {
    var negative = seconds < 0;
    var s = Math.abs(Math.round(seconds));
    var text = Math.floor(s / 3600) + ":" + String(Math.floor(s % 3600 / 60)).padStart(2, "0") + ":" +
      String(s % 60).padStart(2, "0");
    return (negative ? "\u2212" : "") + text;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      if (!started.has(el)) started.set(el, now);
      var elapsed = Math.min((now - started.get(el)) / 1000, Number(el.dataset.running) || 0);
      var left = Number(el.dataset.remaining) - elapsed;
      var state = left <= 0 ? "breached" : (left <= Number(el.dataset.warn || 3600) ? "warning" : "ok");
      var shown = el.querySelector(".c-clock");
      if (shown) shown.textContent = clock(left);
      if (el.dataset.state !== state) {
        el.dataset.state = state;
        var word = el.querySelector(".c-count-state");
        if (word) word.textContent = el.dataset["text" + state.charAt(0).toUpperCase() + state.slice(1)];
        var card = el.closest(".c-card, .c-handover");
        if (card) {
          card.classList.remove("is-ok", "is-warning", "is-breached");
          card.classList.add("is-" + state);
        }
      }
    });
  }

  /* The board refreshes itself unless the keyboard is inside it (focus would be lost). */
  window.huifangBoardIdle = function () {
    var board = document.getElementById("board");
    return !board || !board.contains(document.activeElement);
  };

  function openDialog(id) {
    var dialog = document.getElementById(id);
    if (!dialog || dialog.open) return;
    dialog.showModal();
    var first = dialog.querySelector("textarea, input:not([type=hidden]), select");
    if (first) first.focus();
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog]");
    if (opener) { openDialog(opener.dataset.dialog); return; }
    var closer = event.target.closest("[data-close]");
    if (closer) { var dialog = closer.closest("dialog"); if (dialog) dialog.close(); }
  });

  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-autosubmit]");
    if (form && event.target.tagName === "SELECT") form.requestSubmit();
  });

  document.addEventListener("DOMContentLoaded", function () {
    /* A form sent back with errors opens again. */
    document.querySelectorAll("dialog[data-open]").forEach(function (dialog) { openDialog(dialog.id); });
    /* The hand-over note only for the sources it is about. */
    var note = document.getElementById("handover-note");
    if (note) {
      var sources = (note.dataset.sources || "").split(" ");
      var update = function () {
        var chosen = document.querySelector("input[name=source]:checked");
        note.hidden = !chosen || sources.indexOf(chosen.value) < 0;
      };
      document.querySelectorAll("input[name=source]").forEach(function (r) { r.addEventListener("change", update); });
      update();
    }
    tick();
  });
  setInterval(tick, 1000);
}());
