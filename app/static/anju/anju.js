/* Anju Console: picture codes, SMS code buttons with countdown, dependent selects. No network beyond the console. */
(function () {
  function refresh(img) { if (img) { img.src = img.getAttribute('data-src') + '?t=' + Date.now(); } }
  function countdown(btn, seconds) {
    var label = btn.getAttribute('data-label') || btn.textContent;
    btn.setAttribute('data-label', label);
    btn.disabled = true;
    var left = seconds;
    var timer = setInterval(function () {
      left -= 1;
      btn.textContent = left + 's';
      if (left <= 0) { clearInterval(timer); btn.disabled = false; btn.textContent = label; }
    }, 1000);
    btn.textContent = left + 's';
  }
  document.addEventListener('click', function (e) {
    var img = e.target.closest && e.target.closest('img.anju-captcha');
    if (img) { refresh(img); return; }
    var btn = e.target.closest && e.target.closest('button.anju-sms');
    if (!btn) { return; }
    var form = btn.form;
    var msg = form.querySelector('.anju-sms-msg');
    var data = new FormData();
    data.append('purpose', btn.getAttribute('data-purpose'));
    var mobileField = form.elements[btn.getAttribute('data-mobile')];
    data.append('mobile', mobileField ? mobileField.value : '');
    data.append('captcha', form.elements.captcha ? form.elements.captcha.value : '');
    data.append('csrf_token', form.elements.csrf_token.value);
    btn.disabled = true;
    fetch(btn.getAttribute('data-url'), { method: 'POST', body: data, credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        msg.textContent = j.message;
        msg.className = 'help-block anju-sms-msg ' + (j.ok ? 'text-success' : 'text-danger');
        var pic = form.querySelector('img.anju-captcha');
        if (pic) { refresh(pic); form.elements.captcha.value = ''; }
        if (j.ok) { countdown(btn, j.wait || 60); } else { btn.disabled = false; }
      })
      .catch(function () { btn.disabled = false; msg.textContent = btn.getAttribute('data-error') || ''; });
  });
  // A select with data-parent shows only the options of the chosen parent value.
  function filterChildren(parent) {
    document.querySelectorAll('select[data-parent="' + parent.name + '"]').forEach(function (child) {
      Array.prototype.forEach.call(child.options, function (opt) {
        var p = opt.getAttribute('data-parent-value');
        opt.hidden = !!p && p !== parent.value;
      });
      var sel = child.options[child.selectedIndex];
      if (sel && sel.hidden) { child.value = ''; }
    });
  }
  document.addEventListener('change', function (e) {
    if (e.target.tagName === 'SELECT') { filterChildren(e.target); }
  });
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('select').forEach(function (s) { filterChildren(s); });
  });
})();
