// Statistics: headline figures, monthly chart, per-industry chart and table.
import { api, h, clear, figures, monthlyChart, industriesChart, errorText, num, pct, score } from './lib.js';

async function main() {
  try {
    const stats = await api('/public/stats');
    figures(document.getElementById('figures'), stats);
    monthlyChart(document.getElementById('chart-monthly'), stats.by_month);
  } catch (err) { clear(document.getElementById('figures'), h('p', { class: 'error' }, errorText(err))); }
  const tbody = document.querySelector('#industries-table tbody');
  try {
    const data = await api('/public/industries');
    const items = data.items || data;
    industriesChart(document.getElementById('chart-industries'), items);
    clear(tbody, items.map((r) => h('tr', {},
      h('td', {}, r.name || r.industry_name || r.code || r.industry_code),
      h('td', {}, num(r.complaints ?? r.total)), h('td', {}, pct(r.resolution_rate)),
      h('td', {}, r.median_response_hours === null || r.median_response_hours === undefined ? '—' : `${Number(r.median_response_hours).toFixed(1)} 小时`),
      h('td', {}, score(r.mean_index ?? r.index_mean)))));
  } catch (err) { clear(tbody, h('tr', {}, h('td', { colspan: '5', class: 'error' }, errorText(err)))); }
}

main();
