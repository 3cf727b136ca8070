// Polls a placement's progress and reloads the page when its job is over.
(function () {
  const card = document.getElementById("progress-card");
  if (!card) return;
  const bar = document.getElementById("progress-bar");
  const text = document.getElementById("progress-text");
  async function poll() {
    const response = await fetch(card.dataset.progressUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) return setTimeout(poll, 2000);
    const data = await response.json();
    if (data.status !== "validating" && data.status !== "importing") return window.location.reload();
    const job = data.job || {};
    if (job.total) {
      const percent = Math.max(2, Math.round((100 * job.done) / job.total));
      bar.style.width = percent + "%";
      const lang = document.documentElement.lang || undefined;
      text.textContent = job.done.toLocaleString(lang) + " / " + job.total.toLocaleString(lang);
    }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();
