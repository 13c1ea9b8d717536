/* Complaint statistics: draws each card's chart (ECharts, served by the console) from the
   JSON in its data-chart attribute; a new district reloads the page with its streets. */
(function () {
  'use strict';

  function option(spec, emptyText) {
    var base = {
      tooltip: { trigger: spec.type === 'pie' ? 'item' : 'axis' },
      toolbox: { right: 10, feature: { saveAsImage: {} } },
      animation: false
    };
    if (spec.empty) {
      base.title = { text: emptyText, left: 'center', top: 'middle',
                     textStyle: { color: '#999', fontSize: 14, fontWeight: 'normal' } };
    }
    if (spec.type === 'pie') {
      base.legend = { bottom: 0, type: 'scroll' };
      base.series = [{ type: 'pie', radius: ['35%', '65%'], center: ['50%', '45%'],
                       data: spec.empty ? [] : spec.data,
                       label: { formatter: '{b}: {c} ({d}%)' } }];
      return base;
    }
    base.legend = { top: 0 };
    base.grid = { left: 50, right: 20, top: 40, bottom: spec.rotate ? 90 : 40, containLabel: false };
    base.xAxis = { type: 'category', data: spec.categories,
                   axisLabel: spec.rotate ? { rotate: 35, interval: 0 } : {} };
    base.yAxis = { type: 'value', minInterval: spec.integer ? 1 : 0 };
    base.series = (spec.series || []).map(function (s) {
      return { name: s.name, type: spec.type, data: s.data, smooth: false,
               label: { show: spec.type === 'bar', position: 'top' } };
    });
    return base;
  }

  function draw() {
    if (!window.echarts) { return; }
    var charts = [];
    var lang = (document.documentElement.lang || 'zh').toLowerCase();
    var locale = lang.indexOf('en') === 0 ? 'EN' : 'ZH';
    document.querySelectorAll('.anju-chart[data-chart]').forEach(function (el) {
      var spec;
      try { spec = JSON.parse(el.getAttribute('data-chart')); } catch (e) { return; }
      var chart = window.echarts.init(el, null, { renderer: 'canvas', locale: locale });
      chart.setOption(option(spec, el.getAttribute('data-empty') || ''));
      charts.push(chart);
    });
    window.addEventListener('resize', function () {
      charts.forEach(function (c) { c.resize(); });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    draw();
    var district = document.getElementById('stats-district');
    var street = document.getElementById('stats-street');
    if (district && street) {
      district.addEventListener('change', function () {
        street.value = '';
        district.form.submit();
      });
    }
  });
})();
