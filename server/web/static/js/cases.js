// Anonymised public complaints, paginated.
import { api, h, clear, pager, errorText, fmtDate, STATUS } from './lib.js';

let page = 1;

async function load() {
  const out = document.getElementById('cases');
  try {
    const data = await api(`/public/complaints?page=${page}&per_page=20`);
    const items = data.items || [];
    clear(out, items.length ? items.map((c) => h('article', { class: 'item' },
      h('h2', { class: 'title' }, c.public_no ? h('a', { href: `/cases/${encodeURIComponent(c.public_no)}` }, c.title) : c.title, c.status ? h('span', { class: `badge s-${c.status}` }, STATUS[c.status] || c.status) : null),
      h('div', { class: 'meta' }, [c.business_name, c.industry_name, c.region_name, fmtDate(c.created_at)].filter(Boolean).join(' · ')),
      h('p', {}, c.description || ''),
      c.amount_recovered ? h('p', { class: 'outcome' }, `挽回金额 ¥${c.amount_recovered}`) : null,
      c.business_reply ? h('div', { class: 'business-reply' },
        h('strong', {}, '商家回复'), h('span', { class: 'muted' }, ` ${fmtDate(c.business_reply.replied_at)}`),
        h('p', {}, c.business_reply.text)) : null,
      h('p', {}, c.public_no ? h('a', { href: `/cases/${encodeURIComponent(c.public_no)}` }, '查看案例详情') : null,
        c.business_id ? [' · ', h('a', { href: `/businesses/${c.business_id}` }, `查看商家 ${c.business_name || ''}`)] : null))) : h('p', { class: 'muted' }, '暂无公开案例。'));
    pager(document.getElementById('pager'), data.page || page, data.per_page || 20, data.total ?? items.length, (p) => { page = p; load(); });
  } catch (err) { clear(out, h('p', { class: 'error' }, errorText(err))); }
}

load();
