// The inbox of unconfirmed documents: Ctrl+Enter (⌘+Enter on a Mac) confirms and opens the next one.
// The page works without it (the button submits the same form; accesskey S as well).
(function () {
  "use strict";

  var sent = false;  // one key press, one confirmation (a held key repeats)

  window.addEventListener("pageshow", function () { sent = false; });  // back to a page kept in the cache

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) {
      return;
    }
    var form = document.querySelector("form[data-inbox-form]");
    if (!form) {
      return;
    }
    event.preventDefault();
    if (sent) {
      return;
    }
    sent = true;
    // requestSubmit runs the form's checks and submit handlers like a click would.
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  });
})();
