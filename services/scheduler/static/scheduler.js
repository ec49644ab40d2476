/* The scheduler's pages: a little behaviour, no build step. Everything works without it
   (plain forms and links); this adds the call timer, the reason field that appears with a
   dissatisfied answer, filters that apply on change, and arrow keys in the lists. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // Filters apply as soon as a choice changes (the Filter button stays for typed text).
  function autosubmit() {
    document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
      form.addEventListener("change", function (event) {
        if (event.target.matches("select, input[type=checkbox]")) form.requestSubmit();
      });
    });
  }

  // A row of a list opens with a click anywhere on it; arrow keys move between its links.
  function rows() {
    document.querySelectorAll("tr.o-row-link").forEach(function (row) {
      row.addEventListener("click", function (event) {
        if (event.target.closest("a, button, input, select, label")) return;
        var link = row.querySelector("a[href]");
        if (link) link.click();
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      var link = event.target.closest && event.target.closest("tr.o-row-link a[href]");
      if (!link) return;
      var row = link.closest("tr");
      var next = event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
      var target = next && next.querySelector("a[href]");
      if (target) { target.focus(); event.preventDefault(); }
    });
  }

  // The call timer (RULES 1.2: a call should take at most the policy's guide, unless the
  // customer complains). Its seconds go with the outcome as duration_s.
  function timer() {
    var box = document.getElementById("timer");
    if (!box) return;
    var button = document.getElementById("timer-toggle");
    var output = document.getElementById("call-time");
    var field = document.getElementById("duration_s");
    var over = document.getElementById("timer-over");
    var guide = parseInt(box.dataset.guide || "0", 10);
    var started = null, elapsed = parseInt(field.value || "0", 10) || 0, tick = null;

    function seconds() {
      return elapsed + (started ? Math.floor((Date.now() - started) / 1000) : 0);
    }
    function show() {
      var s = seconds();
      output.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
      field.value = s > 0 ? String(s) : "";
      var late = guide > 0 && s > guide;
      box.classList.toggle("is-over", late);
      if (over) over.hidden = !late;
    }
    button.addEventListener("click", function () {
      if (started) {
        elapsed = seconds(); started = null; clearInterval(tick);
        button.textContent = button.dataset.start;
        box.classList.remove("is-running");
      } else {
        started = Date.now(); tick = setInterval(show, 1000);
        button.textContent = button.dataset.stop;
        box.classList.add("is-running");
      }
      show();
    });
    var form = document.getElementById("outcome");
    if (form) form.addEventListener("submit", show);
    show();
  }

  // A dissatisfied answer needs its reason: the field appears (and is required) with one.
  function reason() {
    var form = document.getElementById("outcome");
    var box = document.getElementById("reason");
    if (!form || !box) return;
    var text = document.getElementById("dissatisfied_reason");
    function update() {
      var needed = !!form.querySelector("input[data-dissatisfied]:checked");
      if (needed || box.classList.contains("has-error") || text.value.trim()) box.hidden = false;
      else box.hidden = true;
      text.required = needed;
    }
    form.addEventListener("change", update);
    update();
  }

  // The preview shows the fields of the chosen kind of sample only.
  function samples() {
    var radios = document.querySelectorAll("input[data-shows]");
    if (!radios.length) return;
    function update() {
      var chosen = document.querySelector("input[data-shows]:checked");
      document.querySelectorAll("fieldset[data-sample]").forEach(function (set) {
        var on = chosen && set.dataset.sample === chosen.value;
        set.hidden = !on;
        set.disabled = !on;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }

  ready(function () {
    autosubmit();
    rows();
    timer();
    reason();
    samples();
  });
})();
