// A complaint's full file with its timeline, evidence, the caller's allowed actions and the
// message thread. Used by the consumer detail page and both consoles.
import { api, h, clear, say, errorText, newKey, fmtTime, fmtDate, yuan, countdown, statusBadge, refNames, fillSelect, STATUS, ACTIONS, ROLES, DEMANDS, PAUSE_REASONS, CONTACT_PREFERENCES } from './lib.js';

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

// What the lead of a collective complaint may apply to its open members at once (apply_to_members; the
// server's server/core/collective.py MEMBER_ACTIONS): steps of the handling, never an outcome.
const MEMBER_ACTIONS = ['accept', 'respond', 'propose', 'pause', 'resume', 'request_materials'];

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

// Evidence: image thumbnails that open the full picture in a dialog (the link still works without script),
// other files as links. Used for the filing's evidence, a supplement's and a message's.
const isImage = (a) => /^image\//.test(a.content_type || a.mime || '');
function showImage(a, alt) {
  const opener = document.activeElement;
  const close = h('button', { type: 'button', class: 'button', id: 'image-close' }, '关闭');
  const dlg = h('dialog', { class: 'dialog image-dialog', id: 'image-dialog', 'aria-label': alt },
    h('img', { src: a.url, alt, class: 'full' }), h('div', { class: 'dialog-buttons' }, close, ' ',
      h('a', { href: a.url, class: 'button', download: '' }, '下载原图')));
  close.addEventListener('click', () => dlg.close());
  dlg.addEventListener('close', () => { dlg.remove(); if (opener && opener.isConnected) opener.focus(); });
  document.body.append(dlg);
  dlg.showModal();
  close.focus();
}
export function evidenceList(list, { label = '证据图片', ...attrs } = {}) {
  let n = 0;
  return h('div', { class: 'attachments', ...attrs }, (list || []).map((a) => {
    if (!isImage(a)) return h('a', { href: a.url, target: '_blank', rel: 'noopener' }, `证据文件（${a.content_type || a.mime}）`);
    const alt = `${label}${++n}`;
    const link = h('a', { href: a.url, class: 'thumb', title: `查看大图：${alt}`, dataset: { id: a.id } }, h('img', { src: a.url, alt, class: 'evidence' }));
    link.addEventListener('click', (e) => { e.preventDefault(); showImage(a, alt); });
    return link;
  }));
}

// Photos picked with a labelled file input are uploaded (POST /uploads) one by one; their ids are sent.
async function uploadAll(files) {
  const ids = [];
  for (const file of files) {
    const up = new FormData();
    up.append('file', file);
    ids.push((await api('/uploads', { method: 'POST', form: up })).id);
  }
  return ids;
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
  const others = c.collective && MEMBER_ACTIONS.includes(action) ? c.collective.members - 1 : 0;
  if (others > 0) {
    inputs.push(h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'apply_to_members', value: '1', checked: true }),
      ` 一并处理本集体投诉的其他 ${others} 件投诉（每件单独处理、各自结果；不能处理的会列出）`));
  }
  const form = h('form', { class: 'form', id: `action-${action}`, dataset: { action } }, inputs,
    h('button', { type: 'submit', class: `button ${['withdraw', 'reject', 'dispute', 'mediate_fail', 'transfer', 'pause', 'reopen'].includes(action) ? '' : 'primary'}` }, ACTIONS[action] || action), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const body = { action };
    for (const [k, v] of fd) if (k !== 'files' && k !== 'apply_to_members' && String(v).trim()) body[k] = k === 'rating' ? Number(v) : String(v).trim();
    if (fd.get('apply_to_members')) body.apply_to_members = true;
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const files = Array.from(form.querySelector('input[type=file]')?.files || []);
      if (files.length) body.attachment_ids = await uploadAll(files);
      const updated = await api(`/complaints/${c.id}/transitions`, { method: 'POST', body });
      onDone(updated);
    } catch (err) { say(msg, errorText(err)); btn.disabled = false; }
  });
  return form;
}

const MAX_MESSAGE_FILES = 9;

async function messagesSection(c) {
  const list = h('ul', { class: 'messages', id: 'messages' });
  const box = h('section', {}, h('h3', {}, '留言'), list);
  async function load() {
    try {
      const data = await api(`/complaints/${c.id}/messages?per_page=100`);
      clear(list, data.items.length ? data.items.map((m) => h('li', { class: m.mine ? 'mine' : '', dataset: { id: String(m.id) } },
        h('div', { class: 'meta muted' }, `${m.mine ? '我' : ROLES[m.author_role] || m.author_role} · ${fmtTime(m.created_at)}`),
        m.body ? h('div', { class: 'body' }, m.body) : null,
        (m.attachments || []).length ? evidenceList(m.attachments, { label: '留言图片', 'aria-label': '留言附带的图片' }) : null))
        : h('li', { class: 'muted' }, '还没有留言。'));
    } catch (err) { clear(list, h('li', { class: 'error' }, errorText(err))); }
  }
  await load();
  if (!['closed'].includes(c.status)) {
    const msg = h('p', { class: 'msg', role: 'alert' });
    const ta = h('textarea', { name: 'body', rows: '2', maxlength: '2000', placeholder: '给对方留言', 'aria-label': '留言内容' });
    const files = h('input', { type: 'file', id: 'message-files', name: 'files', multiple: true, accept: 'image/jpeg,image/png,image/webp,application/pdf' });
    const picked = h('span', { class: 'muted', id: 'message-files-picked', 'aria-live': 'polite' });
    files.addEventListener('change', () => { picked.textContent = files.files.length ? `已选择 ${files.files.length} 个文件` : ''; });
    let key = newKey();
    const btn = h('button', { class: 'button', type: 'submit' }, '发送');
    const form = h('form', { class: 'form', id: 'message-form' }, ta,
      h('label', { for: 'message-files', class: 'file-label' }, `添加照片或文件（最多 ${MAX_MESSAGE_FILES} 个）`, files), picked, btn, msg);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const chosen = Array.from(files.files || []);
      if (!ta.value.trim() && !chosen.length) { say(msg, '请填写留言内容或添加照片'); ta.focus(); return; }
      if (chosen.length > MAX_MESSAGE_FILES) { say(msg, `一条留言最多附 ${MAX_MESSAGE_FILES} 个文件`); return; }
      btn.disabled = true;
      try {
        const body = { body: ta.value.trim() };
        if (chosen.length) body.attachment_ids = await uploadAll(chosen);
        await api(`/complaints/${c.id}/messages`, { method: 'POST', body, idempotencyKey: key });
        key = newKey();
        ta.value = '';
        files.value = '';
        picked.textContent = '';
        say(msg, '');
        await load();
      } catch (err) { say(msg, errorText(err)); } finally { btn.disabled = false; }
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

// The lead's members as the viewer may see them (the business: those that reached it; the mediators: all):
// each with its own state and amount, handled together from the lead (apply_to_members).
async function membersSection(c) {
  if (!c.collective) return null;
  let items = [];
  try { items = ((await api(`/complaints?collective=${c.id}&per_page=100`)).items || []).filter((m) => m.id !== c.id); } catch { return null; }
  if (!items.length) return null;
  return h('section', { id: 'members' }, h('h3', {}, `成员投诉（${items.length}件可见）`),
    h('ul', { class: 'members-list' }, items.map((m) => h('li', { dataset: { id: String(m.id) } },
      `${m.public_no} `, statusBadge(m.status), m.amount_claimed ? ` 涉及金额 ¥${m.amount_claimed}` : '',
      m.description ? h('div', { class: 'muted' }, m.description.slice(0, 80)) : null))));
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
    c.fulfilment ? ['和解履行', c.fulfilment === 'fulfilled' ? '消费者确认商家已履行' : '消费者反映商家未履行']
      : c.fulfilment_checked_at ? ['和解履行', `已于 ${fmtTime(c.fulfilment_checked_at)} 询问消费者是否履行，待回复`] : null, ['评价', c.rating ? `${'★'.repeat(c.rating)}（${c.rating} 分）` : '—'],
    ['同意公开', c.public_consent ? '是（去除个人信息后）' : '否'], ['提交时间', fmtTime(c.created_at)],
    ['当前期限', c.paused
      ? `已暂停计时（${PAUSE_REASONS[c.paused_reason] || c.paused_reason}，${fmtTime(c.paused_at)} 起；恢复后期限顺延）`
      : c.deadline_at ? `${fmtTime(c.deadline_at)}（${cd.text}）` : '—'],
    c.materials_due_at ? ['补正材料截止', `${fmtTime(c.materials_due_at)}（逾期未补正将不予受理）`] : null,
    // The business's details the consumer gave (a business not on the platform) and how it may reach them.
    c.business_address ? ['商家地址', c.business_address] : null,
    c.business_phone ? ['商家电话', c.business_phone] : null,
    c.business_credit_code ? ['统一社会信用代码', c.business_credit_code] : null,
    ['联系方式', CONTACT_PREFERENCES[c.contact_preference] || c.contact_preference || '—'],
    c.collective ? ['集体投诉', `${c.collective.members}人参与（含本投诉）${c.collective.amount_claimed_total ? `，涉及金额合计 ¥${c.collective.amount_claimed_total}` : ''}`] : null,
    c.collective_id ? ['集体投诉', '已加入一件集体投诉，商家和调解员将一并处理，结果各自确认'] : null,
  ].filter(Boolean);
  const refresh = async (updated) => {
    await renderComplaint(el, id, { onChange });
    if (updated && updated.members_applied) {
      const skipped = updated.members_skipped || [];
      el.prepend(h('p', { class: 'ok', id: 'members-result', role: 'status' }, `已一并处理 ${updated.members_applied.length} 件成员投诉`
        + (skipped.length ? `；${skipped.length} 件未能处理：${skipped.map((m) => `${m.public_no}（${m.detail}）`).join('；')}` : '。')));
    }
    onChange(updated);
  };
  const actions = (c.allowed_actions || []).filter((a) => FIELDS[a]);
  clear(el,
    h('h2', { id: 'complaint-title' }, c.title, ' ', h('span', { id: 'complaint-status' }, statusBadge(c.status))),
    h('dl', { class: 'file' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')])),
    h('h3', {}, '投诉内容'), h('p', { class: 'description' }, c.description),
    (c.attachments || []).length ? [h('h3', {}, '证据'), evidenceList(c.attachments, { id: 'attachments' })] : null,
    fulfilmentSection(c, refresh),
    await membersSection(c),
    actions.length ? h('section', { class: 'actions', id: 'actions' }, h('h3', {}, '可执行的操作'), actions.map((a) => actionForm(c, a, refresh))) : null,
    h('h3', {}, '处理进度'),
    h('ol', { class: 'timeline', id: 'timeline' }, (c.timeline || []).map((ev) => h('li', {},
      h('div', {}, h('strong', {}, ACTIONS[ev.action] || ev.action), ev.to_status ? [' → ', STATUS[ev.to_status] || ev.to_status] : null),
      h('div', { class: 'meta muted' }, `${ROLES[ev.actor_role] || ev.actor_role || ''} · ${fmtTime(ev.created_at)}`),
      ev.note ? h('div', { class: 'note' }, ev.note) : null,
      (ev.attachments || []).length ? evidenceList(ev.attachments, { label: '补正材料图片' }) : null))),
    await messagesSection(c));
  el.dataset.status = c.status;
  void fmtDate;
  return c;
}

export function complaintItem(c, { onclick, href } = {}) {
  const cd = c.paused ? { text: `已暂停计时（${PAUSE_REASONS[c.paused_reason] || ''}）`, cls: '' }
    : ['forwarded', 'submitted', 'mediating', 'responded', 'accepted'].includes(c.status) ? countdown(c.deadline_at) : { text: '' };
  return h(href ? 'a' : 'div', { class: 'item', href, onclick, dataset: { id: String(c.id) }, role: onclick ? 'button' : null, tabindex: onclick ? '0' : null },
    h('div', { class: 'title' }, c.title, statusBadge(c.status),
      c.collective ? h('span', { class: 'badge collective' }, `集体投诉（${c.collective.members}人）`) : null),
    h('div', { class: 'meta' }, [c.public_no, c.business_name, c.region_name, fmtTime(c.created_at)].filter(Boolean).join(' · ')),
    cd.text ? h('div', { class: `countdown ${cd.cls}` }, cd.text) : null);
}
