// The call form's few behaviours: show what the outcome needs, add instalment lines, note when a number
// is dialled, the keyboard shortcuts. Served as a file: the pages' Content-Security-Policy runs no inline script.
(function () {
  function parseAmount(text) {
    var raw = (text || "").replace(/[\s\u00a0\u202f€]/g, "");
    if (raw.indexOf(",") >= 0) raw = raw.replace(/\./g, "").replace(",", ".");
    var value = Number(raw);
    return raw && isFinite(value) ? value : null;
  }
  function showTotal(box) {
    var out = box.querySelector("[data-instalments-total]");
    if (!out) return;
    var total = 0, count = 0;
    box.querySelectorAll(".instalment input[name$='-amount']").forEach(function (input) {
      var value = parseAmount(input.value);
      if (value !== null) { total += value; count += 1; }
    });
    out.textContent = count > 1 ? out.dataset.label + " : " + total.toLocaleString(document.documentElement.lang || "fr", {style: "currency", currency: box.dataset.currency || "EUR"}) : "";
  }
  document.querySelectorAll(".instalments").forEach(function (box) {
    box.addEventListener("input", function () { showTotal(box); });
    showTotal(box);
    var add = box.querySelector("[data-add-instalment]");
    add.addEventListener("click", function () {
      var rows = box.querySelectorAll(".instalment");
      if (rows.length >= Number(box.dataset.max)) return;
      var copy = rows[rows.length - 1].cloneNode(true);
      copy.querySelectorAll("input").forEach(function (input) {
        ["name", "id"].forEach(function (attr) {
          input.setAttribute(attr, input.getAttribute(attr).replace(/-\d+-/, "-" + rows.length + "-"));
        });
        input.value = "";
        input.classList.remove("is-invalid");
        var label = input.getAttribute("aria-label");
        if (label) input.setAttribute("aria-label", label.replace(/\d+$/, String(rows.length + 1)));
      });
      copy.querySelectorAll(".invalid-feedback").forEach(function (e) { e.remove(); });
      rows[rows.length - 1].after(copy);
      copy.querySelector("input").focus();
      if (rows.length + 1 >= Number(box.dataset.max)) add.disabled = true;
    });
  });
  document.querySelectorAll("form.call-form").forEach(function (form) {
    var outcome = form.querySelector("select[name='outcome']");
    function toggle() {
      form.querySelectorAll("[data-when]").forEach(function (section) {
        section.hidden = section.dataset.when !== outcome.value;
      });
    }
    outcome.addEventListener("change", toggle);
    toggle();
  });
  // Keyboard shortcuts (the legend under the call form): Alt with a letter, read from the key's place
  // (`code`) so that the layout and macOS's Option characters do not matter; Ctrl+Enter records the call.
  // Plain letters stay free for typing in the fields.
  document.addEventListener("keydown", function (event) {
    var form = document.querySelector("form.call-form");
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.altKey && form) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var target = document.querySelector("[data-shortcut='" + event.code + "']");
    if (!target) return;
    event.preventDefault();
    if (target.dataset.choose && form) {
      var outcome = form.querySelector("select[name='outcome']");
      outcome.value = target.dataset.choose;
      outcome.dispatchEvent(new Event("change"));
      var first = form.querySelector("[data-when='" + target.dataset.choose + "'] input, [data-when='" + target.dataset.choose + "'] textarea");
      (first || outcome).focus();
    } else if (target.matches("select, input, textarea")) {
      target.focus();
    } else {
      target.click();
    }
  });
  document.querySelectorAll("a[data-dial]").forEach(function (link) {
    link.addEventListener("click", function () {
      document.querySelectorAll("form.call-form").forEach(function (form) {
        form.querySelector("input[name='dialled_at']").value = new Date().toISOString();
        var number = form.querySelector("select[name='contact_point_id']");
        if (number) number.value = link.dataset.dial;
      });
    });
  });
})();
