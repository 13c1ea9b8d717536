/* Dashboard and home charts: each card fetches its chart's JSON (/dashboard/data/<key>) and draws
   it with ECharts served by the console; 数据表 shows the same figures as a table; the toolbox
   saves the chart as an image. A new district reloads the page with its streets. */
(function () {
  'use strict';

  var texts = {};
  var drawn = [];

  function text(name) { return texts[name] || ''; }

  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (content !== undefined && content !== null) { node.textContent = String(content); }
    return node;
  }

  function option(data) {
    var kind = data.kind;
    var base = {
      tooltip: { trigger: kind === 'pie' ? 'item' : 'axis' },
      toolbox: { right: 10, feature: { saveAsImage: { name: data.title } } },
      animation: false
    };
    if (data.empty) {
      base.title = { text: text('empty'), left: 'center', top: 'middle',
                     textStyle: { color: '#999', fontSize: 14, fontWeight: 'normal' } };
    }
    if (kind === 'pie') {
      var s = (data.series[0] || { data: [] });
      base.legend = { bottom: 0, type: 'scroll' };
      base.series = [{ type: 'pie', radius: ['35%', '65%'], center: ['50%', '45%'],
                       data: data.empty ? [] : data.categories.map(function (c, i) {
                         return { name: c, value: s.data[i] };
                       }),
                       label: { formatter: '{b}: {c} ({d}%)' } }];
      return base;
    }
    var percent = data.percent || [];
    var rotate = data.categories.length > 8;
    base.legend = { top: 0, type: 'scroll' };
    base.grid = { left: 50, right: percent.length ? 50 : 20, top: 40, bottom: rotate ? 90 : 40 };
    base.xAxis = { type: 'category', data: data.categories, axisLabel: rotate ? { rotate: 35, interval: 0 } : {} };
    base.yAxis = [{ type: 'value', minInterval: 1 }];
    if (percent.length) {
      base.yAxis.push({ type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } });
    }
    base.series = data.series.map(function (s, i) {
      var isPercent = percent.indexOf(i) >= 0;
      var type = isPercent ? 'line' : (kind === 'line' ? 'line' : 'bar');
      var out = { name: s.name, type: type, data: s.data, yAxisIndex: isPercent ? 1 : 0 };
      if (kind === 'stack' && !isPercent) { out.stack = 'total'; }
      if (percent.length && !isPercent && kind === 'line') { out.type = 'bar'; }
      return out;
    });
    return base;
  }

  function renderTable(box, data) {
    box.innerHTML = '';
    var table = el('table', 'table table-condensed table-bordered table-striped');
    var head = el('tr');
    head.appendChild(el('th', null, data.category_label));
    data.series.forEach(function (s) { head.appendChild(el('th', null, s.name)); });
    var thead = el('thead');
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el('tbody');
    data.categories.forEach(function (c, i) {
      var tr = el('tr');
      tr.appendChild(el('td', null, c));
      data.series.forEach(function (s) {
        var v = s.data[i];
        tr.appendChild(el('td', 'text-right', v === null || v === undefined ? '-' : v));
      });
      body.appendChild(tr);
    });
    if (!data.categories.length) {
      var tr = el('tr');
      var td = el('td', 'text-muted text-center', text('empty'));
      td.colSpan = data.series.length + 1;
      tr.appendChild(td);
      body.appendChild(tr);
    }
    table.appendChild(body);
    box.appendChild(table);
  }

  function load(card, locale) {
    var area = card.querySelector('.anju-dash-chart');
    var tableBox = card.querySelector('.anju-dash-table');
    var note = card.querySelector('.anju-dash-note');
    var fresh = card.querySelector('.anju-dash-fresh');
    var toggle = card.querySelector('.anju-dash-table-toggle');
    area.textContent = text('loading');
    fetch(card.getAttribute('data-url'), { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (resp) {
        if (!resp.ok) { throw new Error(String(resp.status)); }
        return resp.json();
      })
      .then(function (data) {
        area.textContent = '';
        if (data.error) {
          area.appendChild(el('p', 'text-danger', data.message || text('failed')));
          return;
        }
        var chart = window.echarts.init(area, null, { renderer: 'canvas', locale: locale });
        chart.setOption(option(data));
        drawn.push(chart);
        renderTable(tableBox, data);
        note.textContent = data.note || '';
        fresh.textContent = data.updated_at ? (text('updated') + ' ' + data.updated_at) : text('live');
        card.setAttribute('data-loaded', '1');
        toggle.addEventListener('click', function () {
          var shown = toggle.getAttribute('data-shown') === '1';
          tableBox.style.display = shown ? 'none' : 'block';
          area.style.display = shown ? 'block' : 'none';
          toggle.setAttribute('data-shown', shown ? '0' : '1');
          toggle.lastChild.textContent = ' ' + (shown ? text('show-table') : text('hide-table'));
          if (shown) { chart.resize(); }
        });
      })
      .catch(function () {
        area.textContent = '';
        area.appendChild(el('p', 'text-danger', text('failed')));
        card.setAttribute('data-loaded', 'failed');
      });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var box = document.getElementById('dash-texts');
    if (box) {
      ['loading', 'empty', 'failed', 'updated', 'live', 'show-table', 'hide-table', 'unit'].forEach(function (k) {
        texts[k] = box.getAttribute('data-' + k) || '';
      });
    }
    var lang = (document.documentElement.lang || 'zh').toLowerCase();
    var locale = lang.indexOf('en') === 0 ? 'EN' : 'ZH';
    if (window.echarts) {
      document.querySelectorAll('.anju-dash-card[data-url]').forEach(function (card) { load(card, locale); });
    }
    window.addEventListener('resize', function () { drawn.forEach(function (c) { c.resize(); }); });
    var district = document.getElementById('dash-district');
    var street = document.getElementById('dash-street');
    if (district && street) {
      district.addEventListener('change', function () {
        street.value = '';
        district.form.submit();
      });
    }
  });
})();
