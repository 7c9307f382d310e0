// Mediator console: review queue (accept / reject with reason), mediation cases (outcome and amount),
// overdue complaints, verification of new businesses, CSV export of the current view.
import { api, h, clear, say, errorText, fmtTime, refNames, $, $$ } from './lib.js';
import { renderComplaint, complaintItem } from './complaint-view.js';

let status = 'submitted', selected = null;

async function loadQueue() {
  const out = $('#queue');
  const params = new URLSearchParams({ per_page: 50 });
  if (status) params.set('status', status);
  const q = $('#q-text').value.trim();
  if (q) params.set('q', q);
  $('#export').href = `/console/mediator/export.csv${status ? '?status=' + status : ''}`;
  try {
    const data = await api(`/complaints?${params}`);
    clear(out, data.items.length ? data.items.map((c) => {
      const el = complaintItem(c, { onclick: () => select(c.id, el) });
      if (String(c.id) === String(selected)) el.classList.add('selected');
      return el;
    }) : h('p', { class: 'muted' }, '没有需要处理的投诉。'), h('p', { class: 'muted' }, `共 ${data.total} 件`));
  } catch (err) { clear(out, h('p', { class: 'error' }, errorText(err))); }
}

async function select(id, el) {
  selected = id;
  $$('#queue .item').forEach((x) => x.classList.toggle('selected', x === el));
  await renderComplaint($('#detail'), id, { onChange: loadQueue });
}

async function loadPending() {
  const tbody = $('#pending tbody');
  const industries = await refNames('industries');
  try {
    const data = await api('/businesses?status=pending&per_page=100');
    clear(tbody, data.items.length ? data.items.map((b) => h('tr', {},
      h('td', {}, b.name), h('td', {}, h('code', {}, b.credit_code)), h('td', {}, industries[b.industry_code] || b.industry_code),
      h('td', {}, b.region_name), h('td', {}, fmtTime(b.created_at)),
      h('td', {}, h('button', { type: 'button', class: 'button small primary', dataset: { verify: String(b.id) }, onclick: async () => {
        try { await api(`/businesses/${b.id}/verify`, { method: 'POST' }); say($('#verify-msg'), `已通过：${b.name}`, true); loadPending(); } catch (err) { say($('#verify-msg'), errorText(err)); }
      } }, '审核通过'))))
      : h('tr', {}, h('td', { colspan: '6', class: 'muted' }, '没有待审核的商家。')));
  } catch (err) { clear(tbody, h('tr', {}, h('td', { colspan: '6', class: 'error' }, errorText(err)))); }
}

for (const b of $$('.tab')) {
  b.addEventListener('click', () => {
    $$('.tab').forEach((x) => x.classList.toggle('active', x === b));
    $$('[data-panel]').forEach((p) => p.classList.toggle('hidden', p.dataset.panel !== b.dataset.tab));
    if (b.dataset.tab === 'queue') {
      status = b.dataset.status;
      selected = null;
      clear($('#detail'), h('p', { class: 'muted' }, '选择左侧的投诉查看完整档案。'));
      loadQueue();
    } else loadPending();
  });
}
$('#queue-filters').addEventListener('submit', (e) => { e.preventDefault(); loadQueue(); });
loadQueue();
