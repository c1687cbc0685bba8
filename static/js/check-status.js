// Reloads a question page once its duplicate check has moved on (pending to
// ready, failed to ready), so the teacher never has to press reload. Without
// JavaScript a <noscript> meta refresh does the same, less smoothly.
(() => {
  "use strict";

  const box = document.getElementById("check-status");
  if (!box || !box.dataset.statusUrl || !window.fetch) {
    return;
  }

  const url = box.dataset.statusUrl;
  const shown = box.dataset.status;
  const interval = Number(box.dataset.pollMs) || 1500;
  // A check still unfinished after a few minutes most likely waits for a
  // worker to come back; asking every few seconds would only add load.
  const patience = 3 * 60 * 1000;
  const slowInterval = 15000;
  const started = Date.now();

  const schedule = () => {
    const wait = Date.now() - started > patience ? slowInterval : interval;
    window.setTimeout(poll, wait);
  };

  const poll = async () => {
    if (document.hidden) {
      schedule();
      return;
    }
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.ok) {
        const data = await response.json();
        if (data.embedding_status !== shown) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // A dropped connection or a redirect to the sign-in page: try again later.
    }
    schedule();
  };

  schedule();
})();
