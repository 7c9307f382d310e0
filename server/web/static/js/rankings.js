// Rankings by industry, region and period, paginated.
import { api, h, clear, ref, fillSelect, pager, errorText, score, num } from './lib.js';

let page = 1;

async function load() {
  const f = document.getElementById('filters');
  const params = new URLSearchParams();
  for (const [k, v] of new FormData(f)) if (v) params.set(k, v);
  params.set('page', page);
  params.set('per_page', 20);
  history.replaceState(null, '', '?' + params.toString());
  const tbody = document.querySelector('#rankings tbody');
  try {
    const data = await api('/public/rankings?' + params.toString());
    const items = data.items || [];
    clear(tbody, items.length ? items.map((r, i) => {
      const b = r.business || r;
      const idx = r.index || r;
      return h('tr', {},
        h('td', {}, r.rank ?? (data.page - 1) * data.per_page + i + 1),
        h('td', {}, h('a', { href: `/businesses/${b.business_id ?? b.id}` }, b.name || b.business_name)),
        h('td', {}, b.industry_name || b.industry_code || ''), h('td', {}, b.region_name || b.region_code || ''),
        h('td', {}, score(idx.score)), h('td', {}, idx.grade || '—'), h('td', {}, num(idx.n_complaints)));
    }) : h('tr', {}, h('td', { colspan: '7', class: 'muted' }, '暂无上榜商家')));
    pager(document.getElementById('pager'), data.page || page, data.per_page || 20, data.total ?? items.length, (p) => { page = p; load(); });
  } catch (err) { clear(tbody, h('tr', {}, h('td', { colspan: '7', class: 'error' }, errorText(err)))); }
}

async function main() {
  const q = new URLSearchParams(location.search);
  fillSelect(document.getElementById('f-industry'), await ref('industries'));
  fillSelect(document.getElementById('f-region'), await ref('regions'));
  for (const k of ['industry', 'region', 'period']) if (q.get(k)) document.querySelector(`[name=${k}]`).value = q.get(k);
  page = Number(q.get('page')) || 1;
  document.getElementById('filters').addEventListener('submit', (e) => { e.preventDefault(); page = 1; load(); });
  load();
}

main();
