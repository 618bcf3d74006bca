/* Site-wide behaviour without inline scripts or handlers (the Content-Security-Policy refuses
   both): elements opt in with data attributes, and content htmx swaps in is wired too.
     data-autosubmit         a select or input that submits its form when it changes
     data-select-on-click    a read-only field whose text is selected when clicked (links to copy)
     data-confirm="text"     a form or button that asks before it submits */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof Element && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });

  document.addEventListener("click", function (event) {
    var el = event.target;
    if (!(el instanceof Element)) return;
    if (el.hasAttribute("data-select-on-click") && typeof el.select === "function") {
      el.select();
    }
    var confirmer = el.closest("button[data-confirm], input[data-confirm]");
    if (confirmer && !window.confirm(confirmer.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm") &&
        !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();
