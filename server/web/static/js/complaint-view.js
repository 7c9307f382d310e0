// A complaint's full file with its timeline, evidence, the caller's allowed actions and the
// message thread. Used by the consumer detail page and both consoles.
import { api, h, clear, say, errorText, newKey, fmtTime, fmtDate, yuan, countdown, statusBadge, refNames, fillSelect, STATUS, ACTIONS, ROLES, DEMANDS, PAUSE_REASONS } from './lib.js';

const FIELDS = {
  accept: [],
  reject: [['note', '不予受理的理由', true]],
  respond: [['note', '处理方案（将发送给消费者）', true]],
  propose: [['note', '调解方案', true]],
  confirm: [['amount_recovered', '实际挽回金额（元，可不填）', false]],
  dispute: [['note', '不满意的原因', false]],
  mediate_success: [['amount_recovered', '挽回金额（元）', false], ['note', '调解结果说明', false]],
  mediate_fail: [['note', '调解未成功的原因', true]],
  withdraw: [['note', '撤回原因（可不填）', false]],
  rate: [['rating', '评价', true], ['note', '评价内容（可不填）', false]],
  transfer: [['region_code', '转往的地区（区县）', true], ['note', '转办理由', true]],
  pause: [['reason', '暂停原因', true], ['note', '说明（将告知双方）', false]],
  resume: [],
  reopen: [['note', '重新打开的原因（例如商家未履行和解）', true]],
  request_materials: [['note', '需要补正的材料（将告知消费者）', true]],
  supplement: [['note', '补正材料说明', true], ['files', '补正的证据（图片或 PDF，可多选）', false]],
};

// Province, city, county: only the county select is submitted (region_code).
function regionPicker(name, required) {
  const load = async (parent) => (await api(`/regions${parent ? '?parent=' + parent : ''}`)).items || [];
  const prov = h('select', { 'aria-label': '省' }, h('option', { value: '' }, '省份'));
  const city = h('select', { 'aria-label': '市' }, h('option', { value: '' }, '城市'));
  const dist = h('select', { name, required, 'aria-label': '区县' }, h('option', { value: '' }, '区县'));
  load().then((items) => fillSelect(prov, items)).catch(() => {});
  prov.addEventListener('change', async () => { fillSelect(city, prov.value ? await load(prov.value) : []); fillSelect(dist, []); });
  city.addEventListener('change', async () => { fillSelect(dist, city.value ? await load(city.value) : []); });
  return h('span', { class: 'region-picker' }, prov, city, dist);
}

function actionForm(c, action, onDone) {
  const msg = h('p', { class: 'msg', role: 'alert' });
  const inputs = (FIELDS[action] || []).map(([name, label, required]) => {
    let input;
    if (name === 'rating') {
      input = h('select', { name, required }, [5, 4, 3, 2, 1].map((n) => h('option', { value: String(n) }, `${'★'.repeat(n)}（${n} 分）`)));
    } else if (name === 'region_code') {
      input = regionPicker(name, required);
    } else if (name === 'reason') {
      input = h('select', { name, required }, Object.entries(PAUSE_REASONS).map(([code, text]) => h('option', { value: code }, text)));
    } else if (name === 'files') {
      input = h('input', { type: 'file', name: 'files', multiple: true, accept: 'image/*,application/pdf' });
    } else if (name === 'amount_recovered') {
      input = h('input', { name, inputmode: 'decimal', placeholder: '例如 199.00' });
    } else {
      input = h('textarea', { name, rows: '3', maxlength: '2000', required });
    }
    return h('label', {}, label, input);
  });
  const form = h('form', { class: 'form', id: `action-${action}`, dataset: { action } }, inputs,
    h('button', { type: 'submit', class: `button ${['withdraw', 'reject', 'dispute', 'mediate_fail', 'transfer', 'pause', 'reopen'].includes(action) ? '' : 'primary'}` }, ACTIONS[action] || action), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const body = { action };
    for (const [k, v] of fd) if (k !== 'files' && String(v).trim()) body[k] = k === 'rating' ? Number(v) : String(v).trim();
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const files = Array.from(form.querySelector('input[type=file]')?.files || []);
      if (files.length) {
        body.attachment_ids = [];
        for (const file of files) {
          const up = new FormData();
          up.append('file', file);
          body.attachment_ids.push((await api('/uploads', { method: 'POST', form: up })).id);
        }
      }
      const updated = await api(`/complaints/${c.id}/transitions`, { method: 'POST', body });
      onDone(updated);
    } catch (err) { say(msg, errorText(err)); btn.disabled = false; }
  });
  return form;
}

async function messagesSection(c) {
  const list = h('ul', { class: 'messages', id: 'messages' });
  const box = h('section', {}, h('h3', {}, '留言'), list);
  async function load() {
    try {
      const data = await api(`/complaints/${c.id}/messages?per_page=100`);
      clear(list, data.items.length ? data.items.map((m) => h('li', { class: m.mine ? 'mine' : '' },
        h('div', { class: 'meta muted' }, `${m.mine ? '我' : ROLES[m.author_role] || m.author_role} · ${fmtTime(m.created_at)}`), m.body))
        : h('li', { class: 'muted' }, '还没有留言。'));
    } catch (err) { clear(list, h('li', { class: 'error' }, errorText(err))); }
  }
  await load();
  if (!['closed'].includes(c.status)) {
    const msg = h('p', { class: 'msg', role: 'alert' });
    const ta = h('textarea', { name: 'body', rows: '2', maxlength: '2000', required: true, placeholder: '给对方留言' });
    let key = newKey();
    const form = h('form', { class: 'form', id: 'message-form' }, ta, h('button', { class: 'button', type: 'submit' }, '发送'), msg);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!ta.value.trim()) return;
      try {
        await api(`/complaints/${c.id}/messages`, { method: 'POST', body: { body: ta.value.trim() }, idempotencyKey: key });
        key = newKey();
        ta.value = '';
        say(msg, '');
        await load();
      } catch (err) { say(msg, errorText(err)); }
    });
    box.append(form);
  }
  return box;
}

// The fulfilment check (the scheduler asked the consumer FULFILMENT_CHECK_DAYS after a settlement): kept, or
// not kept with a required note (the complaint goes back to mediation). Shown only while it may be answered.
function fulfilmentSection(c, onDone) {
  const allowed = c.allowed_actions || [];
  if (!allowed.includes('fulfilled') && !allowed.includes('not_fulfilled')) return null;
  const msg = h('p', { class: 'msg', role: 'alert' });
  const note = h('textarea', { name: 'note', rows: '3', maxlength: '2000', required: true, id: 'not-fulfilled-note' });
  const form = h('form', { class: 'form', id: 'action-not_fulfilled', hidden: true },
    h('label', {}, '商家未履行的情况（必填，将告知商家和调解员）', note),
    h('button', { type: 'submit', class: 'button' }, '提交：商家未履行'));
  const send = async (body, btn) => {
    btn.disabled = true;
    try { onDone(await api(`/complaints/${c.id}/transitions`, { method: 'POST', body })); } catch (err) { say(msg, errorText(err)); btn.disabled = false; }
  };
  const yes = h('button', { type: 'button', class: 'button primary', id: 'fulfil-yes',
    onclick: () => send({ action: 'fulfilled' }, yes) }, '已履行');
  const no = h('button', { type: 'button', class: 'button', id: 'fulfil-no',
    onclick: () => { form.hidden = false; note.focus(); } }, '未履行（需填写说明）');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!note.value.trim()) { say(msg, '请说明商家未履行的情况'); return; }
    send({ action: 'not_fulfilled', note: note.value.trim() }, form.querySelector('button[type=submit]'));
  });
  return h('section', { class: 'card fulfilment', id: 'fulfilment' },
    h('h3', {}, '商家是否已履行和解承诺？'),
    h('p', { class: 'muted' }, '请告诉我们商家是否兑现了承诺（如退款是否到账）。未履行的，投诉将重新进入调解，并计入商家的投诉处理指数。'),
    h('div', { class: 'row' }, allowed.includes('fulfilled') ? yes : null, allowed.includes('not_fulfilled') ? no : null),
    form, msg);
}

export async function renderComplaint(el, id, { onChange = () => {} } = {}) {
  let c;
  try { c = await api(`/complaints/${id}`); } catch (err) { clear(el, h('p', { class: 'error' }, errorText(err))); return null; }
  const [industries, categories] = await Promise.all([refNames('industries'), refNames('categories')]);
  const cd = countdown(c.deadline_at);
  const rows = [
    ['投诉编号', c.public_no], ['状态', STATUS[c.status] || c.status], ['被投诉商家', c.business_name],
    ['行业', industries[c.industry_code] || c.industry_code], ['类别', categories[c.category] || c.category],
    ['地区', c.region_name], ['购买日期', c.purchase_date || '—'], ['订单号', c.order_no || '—'],
    ['涉及金额', yuan(c.amount_claimed)], ['诉求', (c.demands || []).map((d) => DEMANDS[d] || d).join('、') || '—'],
    ['挽回金额', yuan(c.amount_recovered)],
    c.fulfilment ? ['和解履行', c.fulfilment === 'fulfilled' ? '消费者确认商家已履行' : '消费者反映商家未履行'] : null, ['评价', c.rating ? `${'★'.repeat(c.rating)}（${c.rating} 分）` : '—'],
    ['同意公开', c.public_consent ? '是（去除个人信息后）' : '否'], ['提交时间', fmtTime(c.created_at)],
    ['当前期限', c.paused
      ? `已暂停计时（${PAUSE_REASONS[c.paused_reason] || c.paused_reason}，${fmtTime(c.paused_at)} 起；恢复后期限顺延）`
      : c.deadline_at ? `${fmtTime(c.deadline_at)}（${cd.text}）` : '—'],
    c.materials_due_at ? ['补正材料截止', `${fmtTime(c.materials_due_at)}（逾期未补正将不予受理）`] : null,
  ].filter(Boolean);
  const refresh = async (updated) => { await renderComplaint(el, id, { onChange }); onChange(updated); };
  const attachments = (c.attachments || []).map((a) => a.mime && a.mime.startsWith('image/')
    ? h('a', { href: a.url, target: '_blank', rel: 'noopener' }, h('img', { src: a.url, alt: '证据图片', class: 'evidence' }))
    : h('a', { href: a.url, target: '_blank', rel: 'noopener' }, `证据文件（${a.mime}）`));
  const actions = (c.allowed_actions || []).filter((a) => FIELDS[a]);
  clear(el,
    h('h2', { id: 'complaint-title' }, c.title, ' ', h('span', { id: 'complaint-status' }, statusBadge(c.status))),
    h('dl', { class: 'file' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')])),
    h('h3', {}, '投诉内容'), h('p', { class: 'description' }, c.description),
    attachments.length ? [h('h3', {}, '证据'), h('div', { class: 'attachments', id: 'attachments' }, attachments)] : null,
    fulfilmentSection(c, refresh),
    actions.length ? h('section', { class: 'actions', id: 'actions' }, h('h3', {}, '可执行的操作'), actions.map((a) => actionForm(c, a, refresh))) : null,
    h('h3', {}, '处理进度'),
    h('ol', { class: 'timeline', id: 'timeline' }, (c.timeline || []).map((ev) => h('li', {},
      h('div', {}, h('strong', {}, ACTIONS[ev.action] || ev.action), ev.to_status ? [' → ', STATUS[ev.to_status] || ev.to_status] : null),
      h('div', { class: 'meta muted' }, `${ROLES[ev.actor_role] || ev.actor_role || ''} · ${fmtTime(ev.created_at)}`),
      ev.note ? h('div', { class: 'note' }, ev.note) : null))),
    await messagesSection(c));
  el.dataset.status = c.status;
  void fmtDate;
  return c;
}

export function complaintItem(c, { onclick, href } = {}) {
  const cd = c.paused ? { text: `已暂停计时（${PAUSE_REASONS[c.paused_reason] || ''}）`, cls: '' }
    : ['forwarded', 'submitted', 'mediating', 'responded', 'accepted'].includes(c.status) ? countdown(c.deadline_at) : { text: '' };
  return h(href ? 'a' : 'div', { class: 'item', href, onclick, dataset: { id: String(c.id) }, role: onclick ? 'button' : null, tabindex: onclick ? '0' : null },
    h('div', { class: 'title' }, c.title, statusBadge(c.status)),
    h('div', { class: 'meta' }, [c.public_no, c.business_name, c.region_name, fmtTime(c.created_at)].filter(Boolean).join(' · ')),
    cd.text ? h('div', { class: `countdown ${cd.cls}` }, cd.text) : null);
}
