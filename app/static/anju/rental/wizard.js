/* 合同网签 wizard: add and delete rows of owners and tenants in the browser (without
   JavaScript the same buttons post the form and the server adds or deletes the row).
   Every text shown comes from the page. No network. */
(function () {
  'use strict';

  function rowsOf(table) { return table.querySelectorAll('tbody tr.anju-row'); }

  function renumber(table) {
    rowsOf(table).forEach(function (tr, i) {
      var n = tr.querySelector('.anju-row-n');
      if (n && n.firstChild && n.firstChild.nodeType === 3) { n.firstChild.nodeValue = String(i + 1); }
      var del = tr.querySelector('[data-row-del]');
      if (del) { del.value = 'del:' + i; }
    });
  }

  document.addEventListener('click', function (e) {
    var add = e.target.closest && e.target.closest('[data-row-add]');
    if (add) {
      var table = document.getElementById(add.getAttribute('data-row-add'));
      var rows = table && rowsOf(table);
      if (!rows || !rows.length) { return; }
      var max = parseInt(table.getAttribute('data-max') || '0', 10);
      e.preventDefault();
      if (max && rows.length >= max) { return; }
      var copy = rows[rows.length - 1].cloneNode(true);
      copy.querySelectorAll('input').forEach(function (input) { input.value = ''; });
      copy.querySelectorAll('select').forEach(function (select) { select.selectedIndex = 0; });
      table.querySelector('tbody').appendChild(copy);
      renumber(table);
      var first = copy.querySelector('input[type="text"]');
      if (first) { first.focus(); }
      return;
    }
    var del = e.target.closest && e.target.closest('[data-row-del]');
    if (del) {
      var tr = del.closest('tr');
      var tbl = del.closest('table');
      e.preventDefault();
      if (rowsOf(tbl).length > 1) {
        tr.parentNode.removeChild(tr);
      } else {
        tr.querySelectorAll('input').forEach(function (input) { input.value = ''; });
      }
      renumber(tbl);
    }
  });
}());
