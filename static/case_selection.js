// The case list's action bar: ticking all the cases of the page, counting the ticked ones, and showing only
// the choices of the action chosen. Without this script every choice shows and the form works the same.
(function () {
  "use strict";
  var form = document.getElementById("batch-form");
  if (!form) return;
  var ticks = Array.prototype.slice.call(form.querySelectorAll("[data-tick]"));
  var page = document.getElementById("tick-page");
  var count = form.querySelector("[data-ticked-count]");
  var ticked = form.querySelector("[data-scope='ticked']");
  var matching = form.querySelector("[data-scope='filter']");
  var action = document.getElementById("batch-action");

  function refresh() {
    var n = ticks.filter(function (box) { return box.checked; }).length;
    if (count) count.textContent = n;
    if (page) {
      page.checked = n > 0 && n === ticks.length;
      page.indeterminate = n > 0 && n < ticks.length;
    }
  }
  ticks.forEach(function (box) {
    box.addEventListener("change", function () {
      if (box.checked && ticked) ticked.checked = true;
      refresh();
    });
  });
  if (page) {
    page.addEventListener("change", function () {
      ticks.forEach(function (box) { box.checked = page.checked; });
      if (page.checked && ticked) ticked.checked = true;
      refresh();
    });
  }
  if (matching) {
    // Choosing "all matching" clears the ticks, so the page never shows a selection the batch will not take.
    matching.addEventListener("change", function () {
      if (!matching.checked) return;
      ticks.forEach(function (box) { box.checked = false; });
      refresh();
    });
  }
  function show() {
    form.querySelectorAll("[data-batch-for]").forEach(function (part) {
      part.classList.toggle("d-none", part.dataset.batchFor !== action.value);
    });
  }
  if (action) {
    action.addEventListener("change", show);
    show();
  }
  refresh();
})();
