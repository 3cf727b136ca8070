// Keeps the collector's lease on the case open while they work on its page: a ping a minute, sent
// only when they used the page since the last one (a tab left open does not hold a case forever).
(function () {
  "use strict";
  var holder = document.querySelector("[data-lease-renew]");
  if (!holder) return;
  var text = document.querySelector("[data-lease-text]");
  var active = false;
  var timer = null;

  function mark() { active = true; }
  ["click", "keydown", "mousemove", "scroll", "touchstart"].forEach(function (name) {
    document.addEventListener(name, mark, { passive: true });
  });

  function ping() {
    if (!active || document.visibilityState !== "visible") return;
    active = false;
    fetch(holder.dataset.leaseRenew, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": holder.dataset.csrf, "Accept": "application/json" },
    })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (text) text.textContent = body.text;
        if (!body.held) {
          clearInterval(timer);
          if (text) text.classList.add("text-danger");
        }
      })
      .catch(function () { /* the next ping tries again */ });
  }

  timer = setInterval(ping, 60 * 1000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { mark(); ping(); }
  });
})();
