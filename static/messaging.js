// The case's messages panel: the preview follows the template chosen.
(function () {
  "use strict";
  document.querySelectorAll(".messaging-form").forEach(function (form) {
    var select = form.querySelector("select[name$='template']");
    if (!select) return;
    select.addEventListener("change", function () {
      form.querySelectorAll(".message-preview").forEach(function (preview) {
        preview.hidden = preview.dataset.template !== select.value;
      });
    });
  });
})();
