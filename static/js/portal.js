// The little JavaScript the portal needs beyond htmx. Every page works without it.
(function () {
  "use strict";

  // Ask before a destructive plain-form submit (buttons carry data-confirm; no inline script allowed).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Upload progress: htmx reports XHR progress; show it in the form's <progress>.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = event.target.querySelector && event.target.querySelector("progress");
    if (bar && event.detail.lengthComputable) {
      bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
    }
  });

  // Flash messages fade after a while so they do not cover a projector screen for the whole meeting.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".flash-success, .flash-info").forEach(function (el) {
      setTimeout(function () { el.classList.add("flash-fading"); }, 8000);
    });
  });
})();
