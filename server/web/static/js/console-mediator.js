// Mediator console: review queue (accept / reject with reason), mediation cases (outcome and amount),
// overdue complaints, appeals, the publication review (待审核公开), verification of new businesses, reports (举报),
// CSV export.
import { api, ask, h, clear, say, errorText, fmtTime, refNames, pager, tabs, APPEAL_REASONS, APPEAL_STATES, PUBLICATION_STATES, $, $$ } from './lib.js';
import { renderComplaint, complaintItem } from './complaint-view.js';
import { contactSection, linkBusinessSection } from './contact-view.js';
import { caseSummarySection } from './assist-help.js';

let status = 'submitted', appeal = '', publication = '', flag = '', moderation = '', selected = null;

// Abuse signals (API.md "Abuse controls"): shown to mediators for their judgement, never acted on automatically.
const FLAG_TITLES = { claimant: '同一账号在短期内对多家商家提交了几乎相同的投诉，请人工判断是否为职业索赔；不会自动驳回' };
function flagBadges(c) {
  return (c.flags || []).map((f) => h('span', { class: `badge flag-${f.kind}`, title: FLAG_TITLES[f.kind] || '', dataset: { flag: f.kind } }, f.label || f.kind));
}

async function loadQueue() {
  const out = $('#queue');
  const params = new URLSearchParams({ per_page: 50 });
  if (status) params.set('status', status);
  if (appeal) params.set('appeal', appeal);
  if (publication) params.set('publication', publication);
  if (flag) params.set('flag', flag);
  if (moderation) params.set('moderation', moderation);
  const q = $('#q-text').value.trim();
  if (q) params.set('q', q);
  $('#export').href = `/console/mediator/export.csv${status ? '?status=' + status : ''}`;
  try {
    const data = await api(`/complaints?${params}`);
    clear(out, data.items.length ? data.items.map((c) => {
      const el = complaintItem(c, { onclick: () => select(c.id, el) });
      const badges = flagBadges(c);
      if (badges.length) el.querySelector('.title').append(...badges);
      if (String(c.id) === String(selected)) el.classList.add('selected');
      return el;
    }) : h('p', { class: 'muted' }, '没有需要处理的投诉。'), h('p', { class: 'muted' }, `共 ${data.total} 件`));
  } catch (err) { clear(out, h('p', { class: 'error' }, errorText(err))); }
}

async function select(id, el) {
  selected = id;
  $$('#queue .item').forEach((x) => x.classList.toggle('selected', x === el));
  const c = await renderComplaint($('#detail'), id, { onChange: () => { loadQueue(); appealSection(id); publicationSection(id); } });
  if (c) {
    linkBusinessSection($('#detail'), id, c, () => { loadQueue(); select(id, el); });
    contactSection($('#detail'), id, c);
    appealSection(id, c); publicationSection(id, c); flagSection(c); moderationSection(id, c); caseSummarySection(id);
    if (c.public_no) $('#complaint-title').after(h('p', { id: 'receipt' }, h('a', { class: 'button small', id: 'receipt-link', href: `/api/v1/complaints/${id}/receipt.pdf`, download: '' }, '下载投诉受理回执（PDF）')));
  }
}

// Publication needs a person: the mediator reads the redacted text the public would see, then approves or refuses.
async function publicationSection(id, c, notice) {
  if (!c) { try { c = await api(`/complaints/${id}`); } catch { return; } }
  const old = $('#publication'); if (old) old.remove();
  if (!c.public_consent) return;
  const section = h('section', { class: 'card', id: 'publication' }, h('h3', {}, '公开审核'));
  $('#detail').append(section);
  const msg = h('p', { class: 'msg', id: 'publication-msg', role: 'alert' });
  let preview;
  try { preview = await api(`/complaints/${id}/public-preview`); } catch (err) { section.append(h('p', { class: 'error' }, errorText(err))); return; }
  const decide = async (approve) => {
    try {
      await api(`/complaints/${id}/publication`, { method: 'POST', body: { approve, note: ($('#publication-note') || {}).value || null } });
      loadQueue();
      publicationSection(id, null, approve ? '已同意公开：公众将看到上面的脱敏内容。' : '已决定不公开。');
    } catch (err) { say(msg, errorText(err)); }
  };
  const p = c.publication || { state: 'pending' };
  section.append(
    h('p', { class: 'muted' }, `状态：${PUBLICATION_STATES[p.state] || p.state}${p.decided_at ? ' · ' + fmtTime(p.decided_at) : ''}`),
    h('p', { class: 'muted' }, '公众将看到（已去除姓名、电话、证件号、车牌、账号、订单号、地址等）：'),
    h('div', { class: 'preview', id: 'publication-preview' }, h('strong', {}, preview.title), h('p', {}, preview.description)),
    h('div', { class: 'form' },
      h('label', {}, '说明 ', h('textarea', { id: 'publication-note', maxlength: '500', rows: '2' })),
      h('button', { type: 'button', class: 'button primary', id: 'publication-approve', onclick: () => decide(true) }, '同意公开'), ' ',
      h('button', { type: 'button', class: 'button', id: 'publication-refuse', onclick: () => decide(false) }, '不公开')),
    msg);
  if (notice) say(msg, notice, true);
}

// Content held for review (API.md "Moderation"): hidden from the business and the public until cleared here.
function moderationSection(id, c) {
  const old = $('#moderation'); if (old) old.remove();
  if (c.moderation !== 'review') return;
  const msg = h('p', { class: 'msg', id: 'moderation-msg', role: 'alert' });
  const decide = async (clear) => {
    try {
      await api(`/complaints/${id}/moderation`, { method: 'POST', body: { clear, note: ($('#moderation-note') || {}).value || null } });
      loadQueue();
      await select(id, null);
      $('#detail').prepend(h('p', { class: 'msg ok', id: 'moderation-done', role: 'status' },
        clear ? '已放行：商家和公众现在可以看到这件投诉。' : '审核不通过：这件投诉不再向商家和公众展示。'));
    } catch (err) { say(msg, errorText(err)); }
  };
  $('#detail').prepend(h('section', { class: 'card', id: 'moderation' }, h('h3', {}, '内容待审核'),
    h('p', { class: 'muted' }, '内容安全检查认为这件投诉的文字或图片需要人工审核：放行前商家和公众都看不到它。'),
    h('div', { class: 'form' },
      h('label', {}, '审核意见 ', h('textarea', { id: 'moderation-note', maxlength: '500', rows: '2' })),
      h('button', { type: 'button', class: 'button primary', id: 'moderation-clear', onclick: () => decide(true) }, '审核通过，放行'), ' ',
      h('button', { type: 'button', class: 'button', id: 'moderation-refuse', onclick: () => decide(false) }, '不通过')),
    msg));
}

function flagSection(c) {
  const old = $('#flags'); if (old) old.remove();
  const flags = c.flags || [];
  if (!flags.length) return;
  $('#detail').prepend(h('section', { class: 'card', id: 'flags' }, h('h3', {}, '风险提示 ', flagBadges(c)),
    flags.map((f) => h('p', { class: 'muted' }, f.kind === 'claimant'
      ? `该账号 ${f.detail.window_days || ''} 天内对 ${f.detail.businesses || ''} 家商家提交了 ${f.detail.similar_complaints || ''} 件内容几乎相同的投诉。请核实后再处理，平台不会因此自动驳回。`
      : (FLAG_TITLES[f.kind] || '')))));
}

// Appeals of the business: the mediator upholds (the complaint leaves the index at once) or rejects.
async function appealSection(id, c) {
  if (!c) { try { c = await api(`/complaints/${id}`); } catch { return; } }
  const old = $('#appeals'); if (old) old.remove();
  const appeals = c.appeals || [];
  if (!appeals.length) return;
  const msg = h('p', { class: 'msg', id: 'appeal-msg', role: 'alert' });
  const items = appeals.map((a) => {
    const decide = async (upheld) => {
      try {
        await api(`/complaints/${id}/appeals/${a.id}/decision`, { method: 'POST', body: { upheld, note: ($('#decision-note') || {}).value || null } });
        say(msg, upheld ? '申诉成立：这件投诉已不计入商家的指数。' : '已驳回申诉。', true);
        loadQueue(); appealSection(id);
      } catch (err) { say(msg, errorText(err)); }
    };
    return h('li', { dataset: { appeal: String(a.id) } },
      h('strong', {}, APPEAL_STATES[a.state] || a.state), ` · ${APPEAL_REASONS[a.reason] || a.reason || ''} · ${fmtTime(a.created_at)}`,
      a.note ? h('div', { class: 'note' }, a.note) : null,
      (a.attachments || []).map((f) => h('a', { href: f.url, target: '_blank', rel: 'noopener' }, ` 证据（${f.mime}）`)),
      a.decision_note ? h('div', { class: 'note muted' }, `处理意见：${a.decision_note}`) : null,
      a.state === 'pending' ? h('div', { class: 'form' },
        h('label', {}, '处理意见 ', h('textarea', { id: 'decision-note', maxlength: '2000', rows: '2' })),
        h('button', { type: 'button', class: 'button primary', id: 'appeal-uphold', onclick: () => decide(true) }, '申诉成立（不计入指数）'), ' ',
        h('button', { type: 'button', class: 'button', id: 'appeal-reject', onclick: () => decide(false) }, '申诉不成立')) : null);
  });
  $('#detail').append(h('section', { class: 'card', id: 'appeals' }, h('h3', {}, '商家申诉'), h('ol', { id: 'appeal-list' }, items), msg));
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
      } }, '审核通过'), ' ',
      h('button', { type: 'button', class: 'button small', dataset: { reject: String(b.id) }, onclick: async () => {
        const note = await ask(`驳回「${b.name}」的入驻申请`, '驳回理由（将通知申请人）', { confirmText: '确认驳回', maxlength: 500 });
        if (note === null) return;
        try { await api(`/businesses/${b.id}/reject`, { method: 'POST', body: { note } }); say($('#verify-msg'), `已驳回：${b.name}`, true); loadPending(); } catch (err) { say($('#verify-msg'), errorText(err)); }
      } }, '驳回'))))
      : h('tr', {}, h('td', { colspan: '6', class: 'muted' }, '没有待审核的商家。')));
  } catch (err) { clear(tbody, h('tr', {}, h('td', { colspan: '6', class: 'error' }, errorText(err)))); }
}

// Reports (举报) of the region: tips about violations, never complaints and never in an index.
let reportsPage = 1;
async function loadReports() {
  const tbody = $('#reports tbody');
  try {
    const data = await api(`/reports?page=${reportsPage}&per_page=20`);
    clear(tbody, data.items.length ? data.items.map((r) => h('tr', { dataset: { report: String(r.id) } },
      h('td', {}, r.business_id ? h('a', { href: `/businesses/${r.business_id}` }, r.business_name) : r.business_name),
      h('td', {}, r.region_name), h('td', {}, r.description),
      h('td', {}, r.attachments.map((a, i) => h('a', { href: a.url, target: '_blank', rel: 'noopener' }, `附件${i + 1} `))),
      h('td', {}, fmtTime(r.created_at))))
      : h('tr', {}, h('td', { colspan: '5', class: 'muted' }, '辖区内暂无举报。')));
    pager($('#reports-pager'), data.page, data.per_page, data.total, (p) => { reportsPage = p; loadReports(); });
  } catch (err) { clear(tbody, h('tr', {}, h('td', { colspan: '5', class: 'error' }, errorText(err)))); }
}

// WAI-ARIA tabs (lib.js): the queue's filters are tabs of one panel, verification and reports their own.
tabs(document, (tab, b) => {
    if (tab === 'queue') {
      status = b.dataset.status;
      appeal = b.dataset.appeal || '';
      publication = b.dataset.publication || '';
      flag = b.dataset.flag || '';
      moderation = b.dataset.moderation || '';
      selected = null;
      clear($('#detail'), h('p', { class: 'muted' }, '选择左侧的投诉查看完整档案。'));
      loadQueue();
    } else if (tab === 'reports') loadReports();
    else loadPending();
});
$('#queue-filters').addEventListener('submit', (e) => { e.preventDefault(); loadQueue(); });
loadQueue();
