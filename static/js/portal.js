// The little JavaScript the portal needs beyond htmx. Pages work without it.
(function () {
  "use strict";
  // Flash messages fade after a while so they do not cover a projector screen for the whole meeting.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".flash-success, .flash-info").forEach(function (el) {
      setTimeout(function () { el.classList.add("flash-fading"); }, 8000);
    });
  });
})();
