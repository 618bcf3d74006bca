// Review screen: hovering or focusing a proposal lights up its sentences and figures in the text.
(function () {
  "use strict";
  function light(id, on) {
    document.querySelectorAll("mark[data-owners]").forEach(function (mark) {
      var owners = (mark.getAttribute("data-owners") || "").split(" ");
      if (owners.indexOf(id) >= 0) mark.classList.toggle("active", on);
    });
  }
  document.querySelectorAll("[data-proposal]").forEach(function (card) {
    var id = card.getAttribute("data-proposal");
    card.addEventListener("mouseenter", function () { light(id, true); });
    card.addEventListener("mouseleave", function () { light(id, false); });
    card.addEventListener("focusin", function () { light(id, true); });
    card.addEventListener("focusout", function () { light(id, false); });
  });
  document.querySelectorAll("mark[data-owners]").forEach(function (mark) {
    mark.addEventListener("click", function () {
      var first = (mark.getAttribute("data-owners") || "").split(" ")[0];
      var card = document.querySelector('[data-proposal="' + first + '"]');
      if (card) {
        card.scrollIntoView({ behavior: "smooth", block: "center" });
        card.classList.add("active");
        window.setTimeout(function () { card.classList.remove("active"); }, 1500);
      }
    });
  });
})();
