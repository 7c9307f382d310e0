// The index box and components chart, shared by the public profile and the business console.
import { h, clear, chart, score, num, COMPONENTS } from './lib.js';

export function indexBox(el, idx) {
  if (!idx) { clear(el, h('p', { class: 'muted' }, '尚未计算指数（还没有转交给该商家的投诉）。')); return; }
  clear(el,
    h('div', {}, h('span', { class: 'score', id: 'index-score' }, score(idx.score)),
      h('span', { class: 'grade', id: 'index-grade' }, idx.insufficient ? '数据不足' : idx.grade ? `等级 ${idx.grade}` : '')),
    h('p', { class: 'muted', id: 'index-basis' }, `统计期内 ${num(idx.n_complaints)} 件投诉${idx.insufficient ? '，少于 5 件，暂不参与排名' : ''}。公式版本 ${idx.formula_version || ''}`));
}

export function componentsChart(el, idx) {
  const comps = (idx && idx.components) || {};
  const keys = Object.keys(COMPONENTS).filter((k) => comps[k] !== undefined && comps[k] !== null);
  if (!keys.length) { clear(el, h('p', { class: 'muted' }, '暂无分项数据。')); return; }
  const val = (k) => (typeof comps[k] === 'object' ? comps[k].value ?? comps[k].score : comps[k]);
  chart(el, {
    tooltip: { trigger: 'axis', renderMode: 'richText' }, grid: { left: 100, right: 30, top: 10, bottom: 20 },
    xAxis: { type: 'value', min: 0, max: 100 }, yAxis: { type: 'category', data: keys.map((k) => COMPONENTS[k]) },
    series: [{ type: 'bar', data: keys.map((k) => Number(val(k)).toFixed(1)), itemStyle: { color: '#c8161d' }, label: { show: true, position: 'right' } }],
  });
}
