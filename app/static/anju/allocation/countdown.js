/* 登记倒计时 and 已登记人数 on the 保障房配租 public pages.
 *
 * Each .alloc-countdown carries the server's state (before / open / after), the seconds left
 * and its plan's stats.json address. The page may come from a cache, so the figures are
 * fetched at once, then every 30 s; in between the countdown ticks every second. When it
 * reaches zero the state moves on (before -> open for the window's length, data-length; open ->
 * after) and the figures are fetched again.
 * 立即登记 buttons of the plan ([data-register-plan]) are enabled only while registration is open.
 * No framework; the words come from the element's data-label-* attributes (translated). */
(function () {
  'use strict';
  var REFRESH_MS = 30000;
  var boxes = Array.prototype.slice.call(document.querySelectorAll('.alloc-countdown[data-stats]'));
  if (!boxes.length) { return; }

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  function text(box, seconds) {
    var d = Math.floor(seconds / 86400), rest = seconds % 86400;
    var t = pad(Math.floor(rest / 3600)) + ':' + pad(Math.floor((rest % 3600) / 60)) + ':' + pad(rest % 60);
    return d > 0 ? (box.getAttribute('data-days') || '{d} {t}').replace('{d}', d).replace('{t}', t) : t;
  }

  function render(box) {
    var state = box.getAttribute('data-state');
    var label = box.querySelector('.alloc-countdown-label');
    var time = box.querySelector('.alloc-countdown-time');
    box.className = box.className.replace(/\balloc-state-\w+/, 'alloc-state-' + state);
    if (label) { label.textContent = box.getAttribute('data-label-' + state) || ''; }
    if (time) {
      if (state === 'after') { time.setAttribute('hidden', ''); } else {
        time.removeAttribute('hidden');
        time.textContent = text(box, box.seconds);
      }
    }
    var plan = box.getAttribute('data-plan');
    var buttons = document.querySelectorAll('[data-register-plan="' + plan + '"]');
    for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = state !== 'open'; }
  }

  function apply(url, data) {
    boxes.forEach(function (box) {
      if (box.getAttribute('data-stats') !== url) { return; }
      box.setAttribute('data-state', data.state);
      box.seconds = Math.max(0, parseInt(data.seconds, 10) || 0);
      render(box);
    });
    var plan = boxes.filter(function (b) { return b.getAttribute('data-stats') === url; })[0];
    if (!plan) { return; }
    var id = plan.getAttribute('data-plan');
    var totals = document.querySelectorAll('[data-registered-plan="' + id + '"]');
    for (var i = 0; i < totals.length; i++) { totals[i].textContent = data.registered; }
    var parts = document.querySelectorAll('[data-registered-project][data-plan="' + id + '"]');
    for (var j = 0; j < parts.length; j++) {
      var n = (data.projects || {})[parts[j].getAttribute('data-registered-project')];
      if (n !== undefined) { parts[j].textContent = n; }
    }
  }

  function refresh(url) {
    if (!window.fetch) { return; }
    window.fetch(url, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { apply(url, data); } })
      .catch(function () { /* keep counting from what we have */ });
  }

  function urls() {
    var seen = {};
    boxes.forEach(function (b) { seen[b.getAttribute('data-stats')] = true; });
    return Object.keys(seen);
  }

  boxes.forEach(function (box) {
    box.seconds = Math.max(0, parseInt(box.getAttribute('data-seconds'), 10) || 0);
    render(box);
  });

  window.setInterval(function () {
    boxes.forEach(function (box) {
      var state = box.getAttribute('data-state');
      if (state === 'after') { return; }
      if (box.seconds > 0) { box.seconds -= 1; }
      if (box.seconds <= 0) {
        // The window opens for its whole length (data-length), then ends; the server confirms.
        box.setAttribute('data-state', state === 'before' ? 'open' : 'after');
        box.seconds = state === 'before' ? Math.max(0, parseInt(box.getAttribute('data-length'), 10) || 0) : 0;
        refresh(box.getAttribute('data-stats'));
      }
      render(box);
    });
  }, 1000);

  urls().forEach(refresh);
  window.setInterval(function () { urls().forEach(refresh); }, REFRESH_MS);
}());
