// One of the consumer's complaints: track, confirm, dispute, rate, withdraw, messages; and, when the
// consumer agreed to publication, the preview of exactly what the public will see once a mediator approves.
import { api, h, errorText, fmtTime, PUBLICATION_STATES } from './lib.js';
import { renderComplaint } from './complaint-view.js';

const el = document.getElementById('complaint');
const id = document.getElementById('main').dataset.complaintId;
if (new URLSearchParams(location.search).get('new')) {
  el.before(h('p', { class: 'notice', id: 'filed' }, '投诉已提交。调解员受理后会转交商家处理，进展会通过消息通知您。'));
}

async function previewSection(c) {
  const old = document.getElementById('publication'); if (old) old.remove();
  if (!c || !c.public_consent) return;
  const section = h('section', { class: 'card', id: 'publication' }, h('h3', {}, '公开预览'));
  el.after(section);
  try {
    const p = await api(`/complaints/${id}/public-preview`);
    const state = p.publication || { state: 'pending' };
    section.append(
      h('p', { class: 'muted' }, `公开状态：${PUBLICATION_STATES[state.state] || state.state}${state.decided_at ? ' · ' + fmtTime(state.decided_at) : ''}。`
        + '您同意了公开；调解员审核同意后，公众只会看到下面去除个人信息后的内容。'),
      h('div', { class: 'preview', id: 'publication-preview' }, h('strong', {}, p.title), h('p', {}, p.description)));
  } catch (err) { section.append(h('p', { class: 'error' }, errorText(err))); }
}

// 投诉受理回执 (PDF with a QR code to /verify/<public_no>): the consumer's proof that the complaint was filed.
function receiptLink(c) {
  const old = document.getElementById('receipt'); if (old) old.remove();
  if (!c || !c.public_no) return;
  el.before(h('p', { id: 'receipt' }, h('a', { class: 'button', id: 'receipt-link', href: `/api/v1/complaints/${id}/receipt.pdf`, download: '' }, '下载投诉受理回执（PDF）'),
    ' ', h('span', { class: 'muted' }, `回执上的二维码可在 /verify/${c.public_no} 核验真伪`)));
}

const shown = (c) => { receiptLink(c); return previewSection(c); };
renderComplaint(el, id, { onChange: () => api(`/complaints/${id}`).then(shown).catch(() => {}) }).then(shown);
