// Public business profile: index, components chart, 12-month trend, consented cases.
import { api, h, clear, chart, errorText, score, num, COMPONENTS, STATUS, fmtDate } from './lib.js';
import { componentsChart, indexBox } from './index-view.js';

async function main() {
  const id = document.getElementById('main').dataset.businessId;
  let b;
  try { b = await api(`/businesses/${id}`); } catch (err) {
    clear(document.getElementById('biz-meta'), h('p', { class: 'error' }, errorText(err)));
    return;
  }
  document.title = `${b.name} · 智慧3·15`;
  document.getElementById('biz-name').textContent = b.name;
  document.getElementById('biz-meta').textContent = [b.industry_name, b.region_name, b.status === 'verified' ? '已认证入驻' : '待审核', `统一社会信用代码 ${b.credit_code}`].filter(Boolean).join(' · ');
  indexBox(document.getElementById('biz-index'), b.index);
  const counts = b.counts || {};
  clear(document.getElementById('biz-counts'), h('p', {}, `累计投诉 ${num(counts.total ?? 0)} 件，其中${STATUS.resolved} ${num((counts.resolved || 0))} 件，${STATUS.closed} ${num(counts.closed || 0)} 件。`));
  componentsChart(document.getElementById('chart-components'), b.index);
  const trend = b.trend || [];
  if (trend.length) {
    chart(document.getElementById('chart-trend'), {
      tooltip: { trigger: 'axis', renderMode: 'richText' }, grid: { left: 40, right: 16, top: 20, bottom: 30 },
      xAxis: { type: 'category', data: trend.map((t) => t.period) }, yAxis: { type: 'value', min: 0, max: 100 },
      series: [{ type: 'line', name: '指数', data: trend.map((t) => t.score), itemStyle: { color: '#c8161d' } }],
    });
  } else {
    clear(document.getElementById('chart-trend'), h('p', { class: 'muted' }, '暂无月度指数记录。'));
  }
  const link = document.getElementById('file-against');
  link.href = `/complaints/new?business_id=${b.id}`;
  try {
    const cases = await api(`/public/complaints?business_id=${b.id}&per_page=10`);
    const items = cases.items || [];
    clear(document.getElementById('biz-cases'), items.length ? items.map((c) => h('div', { class: 'item' },
      h('div', { class: 'title' }, c.title, c.status ? h('span', { class: `badge s-${c.status}` }, STATUS[c.status] || c.status) : null),
      h('div', { class: 'meta' }, fmtDate(c.created_at)), h('p', {}, c.description || ''))) : h('p', { class: 'muted' }, '暂无公开案例。'));
  } catch (err) { clear(document.getElementById('biz-cases'), h('p', { class: 'muted' }, errorText(err))); }
  void COMPONENTS; void score;
}

main();
