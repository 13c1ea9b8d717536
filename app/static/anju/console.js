/* Anju Console frame and lists: the collapsible menu, Chinese date pickers with day ranges,
   page sizes, row selection for bulk actions, and confirmation before irreversible steps.
   Every text shown comes from the page (translated on the server). The one request it makes
   is for a list's own advanced filters, when they are first opened. 返回 goes back to the list
   as this tab last showed it. */
(function ($) {
  'use strict';
  var lang = (document.querySelector('meta[name="anju-lang"]') || {}).content || 'zh';
  var store = window.localStorage;

  /* --- the left menu --- */
  function setCollapsed(on) {
    document.body.classList.toggle('anju-collapsed', on);
    try { store.setItem('anju.sidebar.collapsed', on ? '1' : '0'); } catch (e) { /* private mode */ }
  }
  try { if (store.getItem('anju.sidebar.collapsed') === '1') { document.body.classList.add('anju-collapsed'); } } catch (e) { }
  document.addEventListener('click', function (e) {
    var toggle = e.target.closest && e.target.closest('#anju-sidebar-toggle');
    if (toggle) { setCollapsed(!document.body.classList.contains('anju-collapsed')); return; }
    var group = e.target.closest && e.target.closest('.anju-menu-group-toggle');
    if (group) {
      e.preventDefault();
      var li = group.parentNode;
      var open = !li.classList.contains('open');
      li.classList.toggle('open', open);
      group.setAttribute('aria-expanded', open ? 'true' : 'false');
    }
  });

  /* --- date pickers: Chinese, yyyy-mm-dd, 今天 button --- */
  if ($ && $.fn && $.fn.datepicker) {
    $.extend($.fn.datepicker.defaults, {
      format: 'yyyy-mm-dd', autoclose: true, todayHighlight: true, todayBtn: 'linked', clearBtn: true,
      language: lang === 'en' ? 'en' : 'zh-CN', weekStart: lang === 'en' ? 0 : 1
    });
    // FAB's filter script asks for a "datetimepicker" that it never loads.
    if (!$.fn.datetimepicker) {
      $.fn.datetimepicker = function () { return this.datepicker({ format: 'yyyy-mm-dd' }); };
    }
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function day(d) { return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()); }
  function range(kind) {
    var now = new Date();
    var start = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    var end = new Date(start);
    if (kind === 'week') {
      var shift = (start.getDay() + 6) % 7; // weeks start on Monday
      start.setDate(start.getDate() - shift);
      end = new Date(start); end.setDate(start.getDate() + 6);
    } else if (kind === 'month') {
      start = new Date(now.getFullYear(), now.getMonth(), 1);
      end = new Date(now.getFullYear(), now.getMonth() + 1, 0);
    }
    return [day(start), day(end)];
  }
  document.addEventListener('click', function (e) {
    var btn = e.target.closest && e.target.closest('[data-anju-range]');
    if (!btn) { return; }
    e.preventDefault();
    var box = btn.closest('.anju-daterange');
    var values = range(btn.getAttribute('data-anju-range'));
    var inputs = box.querySelectorAll('input.anju-date');
    inputs[0].value = values[0];
    inputs[1].value = values[1];
    if ($ && $.fn.datepicker) { $(inputs[0]).datepicker('update'); $(inputs[1]).datepicker('update'); }
  });

  /* --- lists --- */
  document.addEventListener('change', function (e) {
    var t = e.target;
    if (t.matches && t.matches('select.anju-psize')) { window.location.href = t.value; return; }
    if (t.matches && t.matches('input.anju-check-all')) {
      var table = t.closest('table');
      table.querySelectorAll('input.action_check').forEach(function (c) { c.checked = t.checked; });
    }
  });

  // A search sends only the boxes that hold something.
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.matches || !form.matches('form#anju-search, form#filter_form')) { return; }
    form.querySelectorAll('input[name^="_flt_"], select[name^="_flt_"]').forEach(function (el) {
      if (!String(el.value || '').trim()) { el.disabled = true; }
    });
  });

  /* The advanced filters (FAB's filter form) come from the list's advanced_filters page with
     the page's query, the first time 高级筛选 is opened; jQuery runs the form's own script. */
  function loadAdvanced(box) {
    var url = box.getAttribute('data-anju-load');
    if (!url || box.getAttribute('data-anju-loaded')) { return; }
    box.setAttribute('data-anju-loaded', '1');
    $.ajax({ url: url, dataType: 'html' }).done(function (html) {
      $(box).html(html);
    }).fail(function () {
      box.removeAttribute('data-anju-loaded');
      var p = document.createElement('p');
      p.className = 'text-danger anju-advanced-failed';
      p.textContent = box.getAttribute('data-anju-failed');
      $(box).empty().append(p);
    });
  }
  document.addEventListener('click', function (e) {
    var toggle = e.target.closest && e.target.closest('#anju-advanced-toggle');
    if (toggle) {
      var box = document.getElementById('anju-advanced');
      if (box) { loadAdvanced(box); }
    }
  });

  /* Confirmation before a step that notifies people or cannot be undone: one mechanism,
     app/static/anju/dialogs.js (data-confirm on buttons, links and forms). */
  function confirmStep(text, proceed) {
    if (window.AnjuDialogs) { window.AnjuDialogs.ask(text, proceed); } else if (window.confirm(text)) { proceed(); }
  }

  // Bulk actions: the selected rows go to the list's action form.
  document.addEventListener('click', function (e) {
    var btn = e.target.closest && e.target.closest('[data-anju-action]');
    if (!btn) { return; }
    e.preventDefault();
    var list = btn.closest('.anju-list');
    var checked = list.querySelectorAll('input.action_check:checked');
    var note = list.querySelector('.anju-action-note');
    if (!checked.length) {
      if (note) { note.textContent = btn.getAttribute('data-empty'); note.hidden = false; }
      return;
    }
    if (note) { note.hidden = true; }
    var form = list.querySelector('form.anju-action-form');
    form.querySelector('input[name="action"]').value = btn.getAttribute('data-anju-action');
    form.querySelectorAll('input[name="rowid"]').forEach(function (i) { i.remove(); });
    checked.forEach(function (c) {
      var i = document.createElement('input');
      i.type = 'hidden'; i.name = 'rowid'; i.value = c.value; form.appendChild(i);
    });
    var text = btn.getAttribute('data-bulk-confirm');
    if (text) {
      confirmStep(text.replace('{n}', checked.length), function () { form.submit(); });
    } else {
      form.submit();
    }
  });

  /* --- 返回 on a record's page or form: back to this tab's list of it, as the tab last showed
     it (filters, sort, page). Kept per tab; the server's /back (app/core/returns.py) takes
     the list without them when the tab has none. --- */
  (function () {
    var tab;
    try { tab = window.sessionStorage; tab.getItem('anju'); } catch (e) { return; }
    var path = window.location.pathname;
    var list = /^(.*)\/list\/$/.exec(path);
    if (list) {
      try { tab.setItem('anju-list:' + list[1], path + window.location.search); } catch (e) { /* full */ }
      return;
    }
    var record = /^(.*)\/(show|edit|add)(\/[^\/]*)?\/?$/.exec(path);
    var kept = record && tab.getItem('anju-list:' + record[1]);
    if (!kept) { return; }
    var links = document.querySelectorAll('a[href$="/back"]');
    for (var i = 0; i < links.length; i++) { links[i].setAttribute('href', kept); }
  }());

  $(function () {
    if ($ && $.fn.datepicker) {
      $('input.anju-date').datepicker();
    }
  });
}(window.jQuery));
