// Anonymised public complaints, paginated; an open case can be joined (集体投诉: 我也遇到了).
import { api, h, clear, pager, errorText, fmtDate, newKey, say, STATUS } from './lib.js';

let page = 1;
const kind = document.body.dataset.kind;
const canFile = kind === 'consumer' || kind === 'business_staff';

// The join form under a case: the joiner's own amount and situation (both optional), sent once per key.
function joinForm(c, box) {
  const amount = h('input', { type: 'text', inputmode: 'decimal', class: 'join-amount', placeholder: '如 199.00', 'aria-label': '您的涉及金额（元，选填）' });
  const text = h('textarea', { class: 'join-description', rows: '3', maxlength: '5000', placeholder: '说明您遇到的情况（选填）', 'aria-label': '您的情况（选填）' });
  const msg = h('p', { class: 'form-msg', role: 'status' });
  const key = newKey();
  const send = h('button', { type: 'submit', class: 'button join-submit' }, '加入集体投诉');
  const form = h('form', { class: 'join-form' },
    h('label', {}, '您的涉及金额（元，选填）', amount), h('label', {}, '您的情况（选填）', text), send,
    h('button', { type: 'button', class: 'button secondary', onclick: () => clear(box) }, '取消'), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {};
    if (amount.value.trim()) body.amount_claimed = amount.value.trim();
    if (text.value.trim()) body.description = text.value.trim();
    send.disabled = true;
    say(msg, '正在提交…', true);
    try {
      const mine = await api(`/complaints/${c.id}/join`, { method: 'POST', body, idempotencyKey: key });
      location.href = `/my/complaints/${mine.id}?new=1`;
    } catch (err) { say(msg, errorText(err)); send.disabled = false; }
  });
  clear(box, form);
  amount.focus();
}

function joinPart(c) {
  if (!c.id || !c.joinable) return null;
  const box = h('div', { class: 'join-box' });
  const button = canFile
    ? h('button', { type: 'button', class: 'button join', onclick: () => joinForm(c, box) }, '我也遇到了，加入')
    : kind ? null : h('a', { class: 'button join', href: `/login?next=${encodeURIComponent('/cases')}` }, '我也遇到了，登录后加入');
  return button ? h('div', { class: 'join' }, button, box) : null;
}

async function load() {
  const out = document.getElementById('cases');
  try {
    // Signed in, the reader may just have joined a case: revalidate (a 304 when nothing changed) rather than
    // show the browser's copy of up to max-age seconds ago.
    const data = await api(`/public/complaints?page=${page}&per_page=20`, { cache: document.body.dataset.userId ? 'no-cache' : undefined });
    const items = data.items || [];
    clear(out, items.length ? items.map((c) => h('article', { class: 'item', 'data-id': c.id || '' },
      h('h2', { class: 'title' }, c.public_no ? h('a', { href: `/cases/${encodeURIComponent(c.public_no)}` }, c.title) : c.title, c.status ? h('span', { class: `badge s-${c.status}` }, STATUS[c.status] || c.status) : null,
        c.members ? h('span', { class: 'badge collective' }, `集体投诉（${c.members}人）`) : null),
      h('div', { class: 'meta' }, [c.business_name, c.industry_name, c.region_name, fmtDate(c.created_at)].filter(Boolean).join(' · ')),
      h('p', {}, c.description || ''),
      c.members ? h('p', { class: 'members' }, `已有${c.members}人加入`) : null,
      c.amount_recovered ? h('p', { class: 'outcome' }, `挽回金额 ¥${c.amount_recovered}`) : null,
      c.business_reply ? h('div', { class: 'business-reply' },
        h('strong', {}, '商家回复'), h('span', { class: 'muted' }, ` ${fmtDate(c.business_reply.replied_at)}`),
        h('p', {}, c.business_reply.text)) : null,
      joinPart(c),
      h('p', {}, c.public_no ? h('a', { href: `/cases/${encodeURIComponent(c.public_no)}` }, '查看案例详情') : null,
        c.business_id ? [' · ', h('a', { href: `/businesses/${c.business_id}` }, `查看商家 ${c.business_name || ''}`)] : null))) : h('p', { class: 'muted' }, '暂无公开案例。'));
    pager(document.getElementById('pager'), data.page || page, data.per_page || 20, data.total ?? items.length, (p) => { page = p; load(); });
  } catch (err) { clear(out, h('p', { class: 'error' }, errorText(err))); }
}

load();
