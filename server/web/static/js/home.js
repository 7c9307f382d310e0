// Home: headline figures, monthly and industry charts, business search.
import { api, h, clear, figures, monthlyChart, industriesChart, errorText, score } from './lib.js';

export function businessItem(b) {
  const idx = b.index;
  const tag = !idx ? '暂无指数' : idx.insufficient ? '数据不足' : `指数 ${score(idx.score)}${idx.grade ? ' · ' + idx.grade : ''}`;
  return h('a', { class: 'item', href: `/businesses/${b.id}` },
    h('div', { class: 'title' }, b.name, b.status === 'verified' ? h('span', { class: 'badge s-resolved' }, '已认证') : null),
    h('div', { class: 'meta' }, [b.industry_name, b.region_name, tag].filter(Boolean).join(' · ')));
}

async function search(q, out) {
  if (!q.trim()) { clear(out); return; }
  clear(out, h('p', { class: 'muted' }, '正在查询…'));
  try {
    const page = await api(`/businesses?q=${encodeURIComponent(q.trim())}&per_page=10`);
    clear(out, page.items.length ? page.items.map(businessItem) : h('p', { class: 'muted' }, '没有找到该商家。可以直接投诉未入驻的商家。'));
  } catch (err) { clear(out, h('p', { class: 'error' }, errorText(err))); }
}

async function main() {
  const form = document.getElementById('search-form');
  if (form) form.addEventListener('submit', (e) => { e.preventDefault(); search(document.getElementById('search-q').value, document.getElementById('search-results')); });
  try {
    const stats = await api('/public/stats');
    figures(document.getElementById('figures'), stats);
    monthlyChart(document.getElementById('chart-monthly'), stats.by_month);
  } catch (err) { clear(document.getElementById('figures'), h('p', { class: 'error' }, errorText(err))); }
  try {
    const ind = await api('/public/industries');
    industriesChart(document.getElementById('chart-industries'), ind.items || ind);
  } catch (err) { clear(document.getElementById('chart-industries'), h('p', { class: 'error' }, errorText(err))); }
}

if (document.getElementById('search-form')) main();
