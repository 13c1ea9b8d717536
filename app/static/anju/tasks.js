/* The progress of a background export or import (app/system/task_views.py): polls the task's
   figures every second while it runs, then shows the download, the result or the cancel. */
(function () {
  var box = document.getElementById("anju-task");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("anju-task-bar");
  function text(id, value) {
    var el = document.getElementById(id);
    if (el) { el.textContent = value == null ? "" : value; }
  }
  function show(id, visible) {
    var el = document.getElementById(id);
    if (el) { el.classList.toggle("hidden", !visible); }
  }
  function paint(s) {
    bar.style.width = s.percent + "%";
    bar.textContent = s.percent + "%";
    bar.setAttribute("aria-valuenow", s.percent);
    text("anju-task-state", s.state_label);
    text("anju-task-phase", s.phase_label);
    text("anju-task-left", s.time_left || "");
    if (s.total) { text("anju-task-count", s.done + " / " + s.total); }
    text("anju-task-message", s.message || "");
    show("anju-task-download", s.downloadable);
    show("anju-task-cancel-form", s.cancellable);
    box.setAttribute("data-state", s.state);
    var running = s.state === "queued" || s.state === "running";
    bar.classList.toggle("progress-bar-striped", running);
    bar.classList.toggle("active", running);
    bar.classList.toggle("progress-bar-success", s.state === "done");
    bar.classList.toggle("progress-bar-danger", s.state === "failed");
    return running;
  }
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { return; }
        if (paint(s)) { setTimeout(poll, 1000); }
        else if (s.state !== box.getAttribute("data-loaded-state")) {
          /* Ended: reload once so the page shows the outcome's links (error workbook, back). */
          if (box.getAttribute("data-loaded-state") === "queued" || box.getAttribute("data-loaded-state") === "running") {
            window.location.reload();
          }
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  box.setAttribute("data-loaded-state", box.getAttribute("data-state"));
  var state = box.getAttribute("data-state");
  if (state === "queued" || state === "running") { setTimeout(poll, 500); }
})();
