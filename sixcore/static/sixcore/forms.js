// Selects marked data-autosubmit submit their form when changed (no inline handlers: the
// Content-Security-Policy allows scripts from 'self' only).
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
}());
