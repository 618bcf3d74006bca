// Progressive enhancement of the grouped "send to" selects (select.picker): a search box
// above each that hides the options (and emptied groups) not matching what is typed. Without
// JavaScript the select works as it is.
(function () {
  "use strict";
  function enhance(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "picker-search";
    box.setAttribute("aria-label", select.dataset.searchLabel || "");
    box.placeholder = select.dataset.searchLabel || "";
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var needle = box.value.trim().toLowerCase();
      var first = null;
      select.querySelectorAll("optgroup").forEach(function (group) {
        var shown = 0;
        group.querySelectorAll("option").forEach(function (option) {
          var hit = !needle || option.textContent.toLowerCase().indexOf(needle) >= 0 ||
            group.label.toLowerCase().indexOf(needle) >= 0;
          option.hidden = !hit;
          option.disabled = !hit;
          if (hit) { shown += 1; if (!first) { first = option; } }
        });
        group.hidden = shown === 0;
      });
      if (first && needle) { select.value = first.value; }
    });
  }
  document.querySelectorAll("select.picker").forEach(enhance);
})();
