// Help for the other parties (issue 20.5): a reply draft for the business's staff beside the 答复 form,
// and a neutral case summary for the mediator. Both are labelled (AI or template), never sent by
// themselves: staff copy the draft into their own answer, fill its 【请填写…】 gaps and send it.
import { api, h, clear, say, errorText } from './lib.js';

function sourceLabel(d) {
  return h('p', { class: 'badge-line' },
    h('span', { class: d.ai_generated ? 'badge ai' : 'badge' }, d.ai_generated ? 'AI 生成' : '系统模板'),
    ' ', h('span', { class: 'muted' }, d.notice));
}

function citations(d) {
  if (!(d.citations || []).length) return null;
  return [h('h4', {}, '依据的法律条文'), h('ul', { class: 'citations' }, d.citations.map((x) => h('li', {}, `《${x.law}》${x.article}`)))];
}

// Beside the business's 答复 form: 起草答复 fills a draft the staff edit before sending.
export function replyDraftHelper(complaintId) {
  const form = document.querySelector('#action-respond');
  if (!form || form.querySelector('#draft-button')) return;
  const note = form.querySelector('textarea[name=note]');
  const out = h('div', { id: 'reply-draft', class: 'draft', 'aria-live': 'polite' });
  const msg = h('p', { class: 'msg', role: 'alert' });
  const button = h('button', { type: 'button', class: 'button', id: 'draft-button' }, '帮我起草答复');
  button.addEventListener('click', async () => {
    button.disabled = true;
    say(msg, '正在起草……', true);
    try {
      const d = await api(`/complaints/${complaintId}/assist/reply-draft`, { method: 'POST', body: { plan: note.value.trim() || null } });
      say(msg, '');
      const use = h('button', { type: 'button', class: 'button small', id: 'draft-use' }, '填入答复框');
      use.addEventListener('click', () => { note.value = d.text; note.focus(); say(msg, '已填入：请补全【请填写…】部分并核实后再提交。', true); });
      clear(out, h('h4', {}, '答复草稿'), sourceLabel(d), h('pre', { class: 'draft-text', id: 'draft-text' }, d.text),
        (d.points || []).length ? [h('h4', {}, '发送前请核实'), h('ul', {}, d.points.map((p) => h('li', {}, p)))] : null,
        citations(d), use);
    } catch (err) { say(msg, errorText(err)); }
    button.disabled = false;
  });
  note.after(h('p', { class: 'hint muted' }, '可先写下处理方向（例如“同意退货退款”），再点“帮我起草答复”。'), button, msg, out);
}

// For the mediator: a neutral summary of both sides, the disputed points and the articles.
export function caseSummarySection(complaintId) {
  const old = document.querySelector('#case-summary'); if (old) old.remove();
  const out = h('div', { 'aria-live': 'polite' });
  const msg = h('p', { class: 'msg', role: 'alert' });
  const button = h('button', { type: 'button', class: 'button', id: 'summary-button' }, '生成案情摘要');
  const section = h('section', { class: 'card', id: 'case-summary' }, h('h3', {}, '案情摘要'), button, msg, out);
  button.addEventListener('click', async () => {
    button.disabled = true;
    say(msg, '正在整理……', true);
    try {
      const d = await api(`/complaints/${complaintId}/assist/summary`, { method: 'POST' });
      say(msg, '');
      clear(out, sourceLabel(d), h('pre', { class: 'draft-text', id: 'summary-text' }, d.text),
        (d.points || []).length ? [h('h4', {}, '争议焦点'), h('ul', {}, d.points.map((p) => h('li', {}, p)))] : null,
        citations(d),
        d.compensation ? h('p', { id: 'summary-compensation' }, `可能适用的赔偿：《${d.compensation.law}》${d.compensation.article}，${d.compensation.computation}（${d.compensation.note}）`) : null);
    } catch (err) { say(msg, errorText(err)); }
    button.disabled = false;
  });
  document.querySelector('#detail').append(section);
}
