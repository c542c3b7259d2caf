// The archive list's bulk bar: it shows once a document is ticked, counts the ticked ones, and
// "select all" ticks every document of the page the user may change. The list is swapped by htmx
// when a filter changes, so everything is looked up again on each change (no element is kept).
(function () {
  "use strict";

  function picks() {
    return Array.prototype.slice.call(document.querySelectorAll("#document-results input.bulk-pick"));
  }

  function refresh() {
    var bar = document.getElementById("bulk-bar");
    if (!bar) {
      return;
    }
    var all = picks();
    var ticked = all.filter(function (box) { return box.checked; }).length;
    bar.hidden = ticked === 0;
    var count = document.getElementById("bulk-count");
    if (count && count.dataset.template) {
      count.textContent = count.dataset.template.replace("__N__", String(ticked));
    }
    var head = document.getElementById("bulk-all");
    if (head) {
      head.hidden = all.length === 0;  // shown only when the script runs: without it, it could do nothing
      head.checked = all.length > 0 && ticked === all.length;
      head.indeterminate = ticked > 0 && ticked < all.length;
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "bulk-all") {
      picks().forEach(function (box) { box.checked = target.checked; });
      refresh();
    } else if (target.classList && target.classList.contains("bulk-pick")) {
      refresh();
    }
  });

  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:afterSettle", refresh);
  window.addEventListener("pageshow", refresh);  // back to a page kept in the cache, with its boxes as they were
})();
