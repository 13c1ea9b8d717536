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
  // Early hints before an SMS code is asked for (the server checks again): a resident ID
  // number's check digit and a mainland mobile number's form.
  function idCheckChar(first17) {
    var weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    var sum = 0;
    for (var i = 0; i < 17; i++) { sum += parseInt(first17.charAt(i), 10) * weights[i]; }
    return '10X98765432'.charAt(sum % 11);
  }
  function halfWidth(value) {
    return (value || '').replace(/[\uFF01-\uFF5E]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); });
  }
  function idLooksWrong(value) {
    var v = halfWidth(value).replace(/[\s-]/g, '').toUpperCase();
    if (!/^\d{17}[\dX]$/.test(v)) { return true; }
    return idCheckChar(v.slice(0, 17)) !== v.charAt(17);
  }
  function mobileLooksWrong(value) {
    var v = halfWidth(value).replace(/[\s()\-]/g, '').replace(/^(\+86|0086)/, '');
    if (v.length === 13 && v.indexOf('86') === 0) { v = v.slice(2); }
    return !/^1[3-9]\d{9}$/.test(v);
  }
  function formatHint(btn, form, mobileField) {
    var checks = (btn.getAttribute('data-check') || '').split(' ');
    var idField = checks.indexOf('id_number') >= 0 ? form.elements.id_number : null;
    var idType = form.elements.id_type;
    if (idField && (!idType || idType.value === 'resident_id') && idLooksWrong(idField.value)) {
      return btn.getAttribute('data-msg-id') || '';
    }
    if (mobileField) {
      var v = mobileField.value || '';
      var loginById = btn.getAttribute('data-purpose') === 'login' && v.replace(/\s/g, '').length >= 15;
      if (loginById ? idLooksWrong(v) : mobileLooksWrong(v)) {
        return btn.getAttribute(loginById ? 'data-msg-id' : 'data-msg-mobile') || '';
      }
    }
    return '';
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
    // The form's fields the server checks before a code is spent (data-check="name id_number ...").
    (btn.getAttribute('data-check') || '').split(' ').forEach(function (name) {
      var el = name && form.elements[name];
      if (el) { data.append('check.' + name, el.value); }
    });
    var hint = formatHint(btn, form, mobileField);
    if (hint) {
      msg.textContent = hint;
      msg.className = 'help-block anju-sms-msg text-danger';
      return;
    }
    btn.disabled = true;
    fetch(btn.getAttribute('data-url'), { method: 'POST', body: data, credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        msg.textContent = j.message;
        msg.className = 'help-block anju-sms-msg ' + (j.ok ? 'text-success' : 'text-danger');
        var pic = form.querySelector('img.anju-captcha');
        if (pic && !j.captcha_kept) { refresh(pic); form.elements.captcha.value = ''; }
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
  // A select with data-replaces="a b": once a value is chosen, the fields a and b come from
  // the chosen record (the server takes them from it), so they are greyed out and not sent.
  function applyReplaces(sel) {
    var names = (sel.getAttribute('data-replaces') || '').split(' ');
    names.forEach(function (name) {
      var el = name && sel.form && sel.form.elements[name];
      if (!el) { return; }
      el.disabled = !!sel.value;
      var group = el.closest('.form-group');
      if (group) { group.classList.toggle('anju-replaced', !!sel.value); }
    });
  }
  document.addEventListener('change', function (e) {
    if (e.target.tagName === 'SELECT') {
      filterChildren(e.target);
      if (e.target.hasAttribute('data-replaces')) { applyReplaces(e.target); }
    }
  });
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('select').forEach(function (s) { filterChildren(s); });
    document.querySelectorAll('select[data-replaces]').forEach(applyReplaces);
  });
})();
