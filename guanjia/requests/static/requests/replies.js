/* The answer form's reply templates: choosing one fills the answer at once (its text, filled
   in for this request, is on the option). Without JavaScript the "use this template" button
   asks the server for the same text. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!(select instanceof HTMLSelectElement) || !select.hasAttribute("data-fills")) return;
    var option = select.options[select.selectedIndex];
    var target = document.getElementById(select.getAttribute("data-fills"));
    if (!option || !option.hasAttribute("data-text") || !target) return;
    target.value = option.getAttribute("data-text");
    target.focus();
  });
})();
