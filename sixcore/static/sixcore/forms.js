// Progressive enhancement of forms; every form works without it. No inline handlers: the
// Content-Security-Policy allows scripts from 'self' only.
(function () {
  "use strict";
  // Selects marked data-autosubmit submit their form when changed.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Buttons marked data-confirm ask first (送出審查, 核定, bulk approve).
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // Forms marked data-warn-unsaved warn before the page is left with unsaved changes, and other
  // forms on the page (a workflow step, an upload) refuse to go while edits are unsaved.
  var dirty = false;
  var guarded = document.querySelectorAll("form[data-warn-unsaved]");
  guarded.forEach(function (form) {
    var state = form.querySelector(".save-state");
    function mark() {
      dirty = true;
      if (state) { state.textContent = state.getAttribute("data-unsaved") || "●"; }
    }
    form.addEventListener("input", mark);
    form.addEventListener("change", mark);
    form.addEventListener("submit", function () { dirty = false; });
    // After a conflict: choosing "take theirs" puts the colleague's value in the field.
    form.querySelectorAll(".conflict-choice").forEach(function (box) {
      var field = document.getElementById(box.id.replace(/-conflict$/, ""));
      if (!field) { return; }
      var mine = field.value;
      box.addEventListener("change", function (event) {
        if (event.target.value === "theirs") { mine = field.value; field.value = box.getAttribute("data-theirs"); }
        else if (event.target.value === "mine") { field.value = mine; }
      });
    });
  });
  if (guarded.length) {
    window.addEventListener("beforeunload", function (event) {
      if (dirty) { event.preventDefault(); event.returnValue = ""; }
    });
    document.querySelectorAll("form:not([data-warn-unsaved])").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (dirty && !window.confirm(document.body.getAttribute("data-unsaved-message") || guarded[0].getAttribute("data-unsaved-message"))) {
          event.preventDefault();
        }
      });
    });
  }
  // A page shown again with errors: take the user to the list of what to correct.
  var errors = document.getElementById("errors");
  if (errors) { errors.focus(); }
}());

// A "select all" box (shown only with JS) ticks every checkbox of its table with the given name.
(function () {
  "use strict";
  document.querySelectorAll("input[data-select-all]").forEach(function (box) {
    var label = box.closest("label");
    if (label) { label.hidden = false; }
    var name = box.getAttribute("data-select-all");
    var table = box.closest("table");
    box.addEventListener("change", function () {
      table.querySelectorAll("input[type=checkbox][name='" + name + "']").forEach(function (item) {
        item.checked = box.checked;
      });
    });
  });
}());

// A wide table scrolls inside its .table-scroll box (a phone): such a box must be reachable and
// scrollable with the keyboard, and named for a screen reader (WCAG 2.1.1; axe scrollable-region-
// focusable). Only boxes that do scroll become tab stops, so a desktop Tab order gains nothing.
(function () {
  "use strict";
  function label(box) {
    var caption = box.querySelector("caption");
    if (caption) { return caption.textContent.trim(); }
    var section = box.closest("section[aria-labelledby]");
    var heading = section ? document.getElementById(section.getAttribute("aria-labelledby")) : null;
    return heading ? heading.textContent.trim() : "";
  }
  function mark() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        var name = label(box);
        if (name) { box.setAttribute("aria-label", name); }
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  mark();
  window.addEventListener("resize", mark);
}());
