/* Anju Console: confirmation dialogs in the viewer's language.
 *
 * Every text comes from the server (data attributes of this script's own tag, filled with
 * _() in anju/base.html, and each button's own data-confirm), so nothing here is English:
 *
 *  - an element with data-confirm="确定要对「…」执行接收处理吗？" (a button or link, or a form
 *    without its own confirming button) asks first in a Bootstrap modal; 确定 carries on with
 *    the very same click or submit, 取消 does nothing. Without JavaScript the action simply runs.
 *  - FAB's delete buttons in lists ask with the row's record named (its key column);
 *  - FAB's "No row selected" alert of bulk actions speaks the viewer's language.
 */
(function () {
  var script = document.currentScript;
  var T = (script && script.dataset) || {};

  function hasModal() {
    return !!(window.jQuery && window.jQuery.fn && window.jQuery.fn.modal);
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }
    return node;
  }

  function modal() {
    var m = document.getElementById('anju-confirm');
    if (m) { return m; }
    m = el('div', 'modal fade');
    m.id = 'anju-confirm';
    m.setAttribute('tabindex', '-1');
    m.setAttribute('role', 'dialog');
    var dialog = el('div', 'modal-dialog');
    var content = el('div', 'modal-content');
    var header = el('div', 'modal-header');
    var title = el('h4', 'modal-title', T.title || '');
    title.id = 'anju-confirm-title';
    m.setAttribute('aria-labelledby', title.id);
    header.appendChild(title);
    var body = el('div', 'modal-body');
    var text = el('p', 'anju-confirm-text');
    text.id = 'anju-confirm-text';
    body.appendChild(text);
    var footer = el('div', 'modal-footer');
    var cancel = el('button', 'btn btn-default', T.cancel || '');
    cancel.type = 'button';
    cancel.id = 'anju-confirm-cancel';
    cancel.setAttribute('data-dismiss', 'modal');
    var ok = el('button', 'btn btn-primary', T.ok || '');
    ok.type = 'button';
    ok.id = 'anju-confirm-ok';
    footer.appendChild(cancel);
    footer.appendChild(ok);
    content.appendChild(header);
    content.appendChild(body);
    content.appendChild(footer);
    dialog.appendChild(content);
    m.appendChild(dialog);
    document.body.appendChild(m);
    return m;
  }

  /* Ask ``text``; run ``proceed`` on 确定. */
  function ask(text, proceed) {
    if (!hasModal()) {
      // No Bootstrap on this page: the browser's own dialog rather than no question at all.
      if (window.confirm(text)) { proceed(); }
      return;
    }
    var m = modal();
    m.querySelector('#anju-confirm-text').textContent = text;
    var $m = window.jQuery(m);
    var ok = m.querySelector('#anju-confirm-ok');
    var fresh = ok.cloneNode(true);  // drop the handler of an earlier question
    ok.parentNode.replaceChild(fresh, ok);
    fresh.addEventListener('click', function () {
      fresh.disabled = true;
      $m.one('hidden.bs.modal', function () { fresh.disabled = false; });
      $m.modal('hide');
      proceed();
    });
    $m.modal('show');
  }

  /* Buttons and links that carry data-confirm: the click waits for 确定, then happens again. */
  document.addEventListener('click', function (e) {
    var target = e.target.closest && e.target.closest('[data-confirm]');
    if (!target || target.tagName === 'FORM' || target.disabled) { return; }
    if (target.getAttribute('data-confirmed') === '1') {
      target.removeAttribute('data-confirmed');
      return;
    }
    e.preventDefault();
    e.stopImmediatePropagation();
    ask(target.getAttribute('data-confirm'), function () {
      target.setAttribute('data-confirmed', '1');
      target.click();
    });
  }, true);

  /* Forms that carry data-confirm themselves. */
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.matches || !form.matches('form[data-confirm]')) { return; }
    if (form.getAttribute('data-confirmed') === '1') {
      form.removeAttribute('data-confirmed');
      return;
    }
    e.preventDefault();
    var submitter = e.submitter;
    ask(form.getAttribute('data-confirm'), function () {
      form.setAttribute('data-confirmed', '1');
      if (form.requestSubmit) {
        if (submitter) { form.requestSubmit(submitter); } else { form.requestSubmit(); }
      } else {
        form.submit();
      }
    });
  }, true);

  /* The record a list row shows: the cell the list marks as its key, else the row's link to
     its detail page outside the row's buttons, else its first cell of text that is not a
     number (序号). The text is what the server rendered, masked for the viewer. */
  function rowName(button) {
    var row = button.closest('tr');
    if (!row) { return ''; }
    if (row.getAttribute('data-record-name')) { return row.getAttribute('data-record-name'); }
    var own = button.closest('td');
    var cells = Array.prototype.filter.call(row.children, function (td) {
      return td !== own && !td.querySelector('input[type=checkbox]') && !td.querySelector('.btn');
    });
    var key = row.querySelector('td.anju-key, td[data-key]');
    if (key && key.textContent.trim()) { return key.textContent.trim(); }
    for (var i = 0; i < cells.length; i++) {
      var link = cells[i].querySelector('a[href*="/show/"]');
      if (link && link.textContent.trim()) { return link.textContent.trim(); }
    }
    for (var j = 0; j < cells.length; j++) {
      var text = cells[j].textContent.trim();
      if (text && !/^\d+$/.test(text)) { return text.length > 40 ? text.slice(0, 40) + '…' : text; }
    }
    return '';
  }

  /* FAB's delete buttons in lists (lib.lnk_delete): ask here, naming the record. */
  document.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('a[id^="btn-delete-"]');
    if (!a) { return; }
    e.preventDefault();
    e.stopImmediatePropagation();
    var url = a.id.slice('btn-delete-'.length);
    var name = rowName(a);
    var text = name && T.deleteNamed ? T.deleteNamed.replace('{name}', name) : (T.deleteThis || '');
    ask(text, function () {
      var form = document.getElementById('action_form') || document.getElementById('delete_form');
      if (!form) { return; }
      form.setAttribute('action', url);
      form.submit();
    });
  }, true);

  // Other scripts (the list's bulk actions) ask through the same dialog.
  window.AnjuDialogs = { ask: ask };

  /* FAB's bulk actions alert "No row selected" in English (static/appbuilder/js/ab_actions.js). */
  var fabAlert = window.ab_alert;
  if (typeof fabAlert === 'function') {
    var known = { 'No row selected': T.noRow };
    window.ab_alert = function (text) {
      return fabAlert(known[text] || text);
    };
  }
})();
