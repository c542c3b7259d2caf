// Scoring pages: move between the sheet's cells with the keyboard, show refused saves (409 stale,
// 422 bad points) in the cell, and never let a typed value vanish silently.
(function () {
  "use strict";

  function cellOf(el) { return el && el.closest ? el.closest("td") : null; }

  // The input in the same column of the next (or previous) row that has one; group rows are skipped.
  function vertical(input, step) {
    var td = cellOf(input);
    if (!td) { return null; }
    var index = td.cellIndex;
    var row = td.parentElement;
    while (row) {
      row = step > 0 ? row.nextElementSibling : row.previousElementSibling;
      if (!row) { return null; }
      var cell = row.cells[index];
      var next = cell && cell.colSpan === 1 && cell.querySelector(".cell-input");
      if (next) { return next; }
    }
    return null;
  }

  // The next (or previous) input in the same row, skipping read-only cells.
  function horizontal(input, step) {
    var td = cellOf(input);
    while (td) {
      td = step > 0 ? td.nextElementSibling : td.previousElementSibling;
      var next = td && td.querySelector(".cell-input");
      if (next) { return next; }
    }
    return null;
  }

  function go(target) {
    if (!target) { return false; }
    target.focus();
    target.select();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("cell-input") || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var key = event.key;
    var atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    var atEnd = input.selectionStart === input.value.length && input.selectionEnd === input.value.length;
    var moved = null;
    if (key === "Enter") {
      // Enter must not submit the whole sheet: it saves this cell (change fires on blur) and goes down.
      event.preventDefault();
      moved = go(vertical(input, event.shiftKey ? -1 : 1));
      if (!moved) { input.blur(); input.focus(); }
      return;
    }
    if (key === "ArrowDown") { moved = go(vertical(input, 1)); }
    else if (key === "ArrowUp") { moved = go(vertical(input, -1)); }
    else if (key === "ArrowRight" && atEnd) { moved = go(horizontal(input, 1)); }
    else if (key === "ArrowLeft" && atStart) { moved = go(horizontal(input, -1)); }
    else if (key === "Escape") {
      input.value = input.dataset.saved !== undefined ? input.dataset.saved : input.defaultValue;
      input.select();
      moved = true;
    }
    if (moved) { event.preventDefault(); }
  });

  // Select a cell's content when it gets the focus, so typing replaces it (synchronously: a deferred
  // select would swallow the first keys typed right after a click).
  document.addEventListener("focusin", function (event) {
    var input = event.target;
    if (input.classList && input.classList.contains("cell-input")) { input.select(); }
  });

  // A click in a cell that already has the focus selects its content too, as a spreadsheet does: typing
  // "3" over "4,5" gives "3", not "34,5". A double click still places the caret to edit inside.
  document.addEventListener("mousedown", function (event) {
    var input = event.target;
    if (input.classList && input.classList.contains("cell-input") && input === document.activeElement &&
        event.detail < 2 && event.button === 0) {
      event.preventDefault();  // no caret placed where the mouse is (the browser would undo a select() in click)
      input.select();
    }
  });

  // Submitting a self-score while a cell on screen is refused or not saved would send the stored values
  // instead: stop it here (the server refuses it too). Window capture runs before the confirm question.
  window.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || !button.dataset.unsaved) { return; }
    var pending = Array.prototype.some.call(event.target.querySelectorAll(".cell-input"), function (input) {
      var saved = input.dataset.saved !== undefined ? input.dataset.saved : input.defaultValue;
      var td = cellOf(input);
      return input.getAttribute("aria-invalid") === "true" || (td && td.classList.contains("cell-unsaved")) ||
        !samePoints(input.value, saved);
    });
    if (pending) {
      event.preventDefault();
      event.stopImmediatePropagation();
      window.alert(button.dataset.unsaved);
    }
  }, true);

  // "8,50" and "8,5" are the same points: only then may the stored display replace what is in the input.
  function samePoints(typed, stored) {
    typed = String(typed).trim();
    if (typed === "" || stored === "") { return typed === stored; }
    var a = Number(typed.replace(",", ".")), b = Number(String(stored).replace(",", "."));
    return !isNaN(a) && a === b;
  }

  // On the sheet a refusal is told in the bar above the grid (a pop-up would cover the next cell, where
  // the user already is); the cell stays marked and its message comes back when it gets the focus.
  function showInBar(slot) {
    var bar = document.getElementById("sheet-alert");
    if (!bar || !slot.classList.contains("cell-slot")) { return; }
    var pop = slot.querySelector(".cell-pop");
    if (!pop) {
      if (bar.dataset.slot === slot.id) { bar.hidden = true; bar.textContent = ""; delete bar.dataset.slot; }
      return;
    }
    var input = document.getElementById("i" + slot.id.slice(1));
    var where = document.createElement("strong");
    where.textContent = input ? input.getAttribute("aria-label") : "";
    bar.textContent = "";
    bar.appendChild(where);
    bar.appendChild(pop.cloneNode(true));
    bar.dataset.slot = slot.id;
    bar.hidden = false;
    if (window.htmx) { window.htmx.process(bar); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var bar = document.getElementById("sheet-alert");
    if (bar) { bar.closest(".sheet-form").classList.add("with-bar"); }
  });
  document.addEventListener("focusin", function (event) {
    var input = event.target;
    if (input.classList && input.classList.contains("cell-input")) {
      var slot = document.getElementById("m" + input.id.slice(1));
      if (slot && slot.querySelector(".cell-pop")) { showInBar(slot); }
    }
  });

  // A save never replaces the input (the user may already be typing in it again): its answer swaps the
  // cell's message slot out of band, and the slot says what is stored now.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    // A refused save (stale version, bad points) answers 409/422 with the cell's message: show it.
    if ((status === 409 || status === 422) && event.detail.target.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var slot = event.target;
    if (!slot.classList || !(slot.classList.contains("cell-slot") || slot.classList.contains("row-slot"))) { return; }
    var key = slot.id.slice(1);
    var input = document.getElementById("i" + key);
    var note = document.getElementById("n" + key);
    var refused = slot.querySelector("[role=alert]") !== null;
    var force = slot.dataset.force === "1";
    if (input) {
      if (slot.dataset.value !== undefined) {
        input.dataset.saved = slot.dataset.value;
        // Never overwrite what the user typed after this save was sent (a later save may be queued).
        if (force || samePoints(input.value, slot.dataset.value)) { input.value = slot.dataset.value; }
      }
      if (refused) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
      var td = cellOf(input);
      if (td) { td.classList.remove("cell-unsaved", "cell-remote"); }
      input.removeAttribute("title");
    }
    if (note && slot.dataset.note !== undefined && force) { note.value = slot.dataset.note; }
    showInBar(slot);
    if (force && input) { input.focus(); }
  });

  // The live meeting view: every open sheet asks the score feed what changed since its token and writes
  // other people's saves into the cells — never into the one being typed in, nor one holding an unsaved
  // value (its own save will then meet the other value as a conflict, as it must). Then the footer.
  function vi(points) { return points === null || points === undefined ? "" : String(points).replace(".", ","); }

  function flashCell(td) {
    if (!td) { return; }
    td.classList.remove("cell-live");
    void td.offsetWidth;  // restart the animation
    td.classList.add("cell-live");
  }

  function applyScore(sheet, key, score) {
    var shown = vi(score.points);
    var input = document.getElementById("i" + key);
    if (input) {
      var version = document.getElementById("v" + key);
      if (version && Number(version.value) >= score.version) { return false; }
      var saved = input.dataset.saved !== undefined ? input.dataset.saved : input.defaultValue;
      if (input === document.activeElement || !samePoints(input.value, saved) || input.getAttribute("aria-invalid") === "true") {
        cellOf(input).classList.add("cell-remote");
        input.title = (sheet.dataset.msgRemote || "").replace("%s", shown || "—");
        return false;
      }
      input.value = shown;
      input.dataset.saved = shown;
      if (version) { version.value = score.version; }
      flashCell(cellOf(input));
      return true;
    }
    var span = document.getElementById("s" + key);
    if (span && span.textContent !== shown) {
      span.textContent = shown;
      flashCell(cellOf(span));
      return true;
    }
    return false;
  }

  function startFeed(sheet) {
    var token = sheet.dataset.token;
    var stage = sheet.dataset.stage;
    var interval = Number(sheet.dataset.interval) || 1500;
    var timer = null;
    var busy = false;

    function schedule(delay) {
      clearTimeout(timer);
      timer = setTimeout(poll, delay === undefined ? (document.hidden ? interval * 8 : interval) : delay);
    }

    function apply(data) {
      if (data.status !== sheet.dataset.status || String(data.criteria_version) !== sheet.dataset.criteriaVersion || data.reset) {
        var stale = document.getElementById("sheet-stale");
        if (stale) { stale.hidden = false; }
      }
      var changed = false;
      (data.scorecards || []).forEach(function (card) {
        (card.scores || []).forEach(function (score) {
          if (score.stage === stage && applyScore(sheet, card.id + "-" + score.criterion, score)) { changed = true; }
        });
      });
      token = data.token;
      if (changed) { refreshTotals(); }
    }

    // The footer (totals and ranks, by the same rule as the results page) comes from the server.
    function refreshTotals() {
      fetch(sheet.dataset.totals, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          var outer = document.createElement("template");
          outer.innerHTML = html;
          var inner = outer.content.querySelector("template");
          var rows = inner ? inner.content : outer.content;
          ["sheet-totals", "sheet-ranks"].forEach(function (id) {
            var fresh = rows.querySelector("#" + id);
            var old = document.getElementById(id);
            if (fresh && old) { fresh.removeAttribute("hx-swap-oob"); old.replaceWith(fresh); }
          });
        })
        .catch(function () { /* the next change brings them */ });
    }

    function poll() {
      if (busy) { return; }
      busy = true;
      fetch(sheet.dataset.feed + "?since=" + encodeURIComponent(token), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) { apply(data); } })
        .catch(function () { /* offline for a moment: the next poll catches up from the same token */ })
        .then(function () { busy = false; schedule(); });
    }

    document.addEventListener("visibilitychange", function () { if (!document.hidden) { schedule(0); } });
    schedule();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var sheet = document.getElementById("sheet");
    if (sheet && sheet.dataset.feed && window.fetch) { startFeed(sheet); }
  });

  // A save that did not reach the server (network down, server error) stays visible in the cell; the
  // messages come from the page (data-msg-*) so they are translated with it.
  function markUnsaved(event) {
    var elt = event.detail.elt;
    var td = cellOf(elt);
    var box = elt.closest && elt.closest("[data-swap-errors]");
    if (!td || !box || !(elt.classList.contains("cell-input") || elt.tagName === "TEXTAREA")) { return; }
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 409 || status === 422) { return; }
    td.classList.add("cell-unsaved");
    elt.title = status ? (box.dataset.msgFailed || "").replace("%s", status) : (box.dataset.msgOffline || "");
  }
  document.addEventListener("htmx:sendError", markUnsaved);
  document.addEventListener("htmx:responseError", markUnsaved);
})();
