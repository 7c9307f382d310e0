// The consumer's contact for the business's staff and mediators, and linking a complaint to a platform
// business for mediators (API.md "The business's details"; issue 18.4).
import { api, confirmDialog, h, say, errorText, CONTACT_PREFERENCES, $ } from './lib.js';

// consumer_contact {preference, phone_masked}: the masked phone with a 查看完整号码 button; every reveal is
// written to the complaint's timeline, so the button asks first.
export async function contactSection(detail, id, c) {
  if (!c || !c.consumer_contact) { try { c = await api(`/complaints/${id}`); } catch { return; } }
  const old = $('#consumer-contact'); if (old) old.remove();
  const cc = c.consumer_contact;
  if (!cc) return;
  const msg = h('p', { class: 'msg', id: 'contact-msg', role: 'alert' });
  const phone = h('span', { id: 'contact-phone' }, cc.phone_masked || '—');
  const section = h('section', { class: 'card', id: 'consumer-contact' }, h('h3', {}, '联系消费者'),
    h('p', {}, `消费者选择：${CONTACT_PREFERENCES[cc.preference] || cc.preference}`));
  if (cc.phone_masked) {
    const btn = h('button', { type: 'button', class: 'button small', id: 'contact-reveal' }, '查看完整号码');
    btn.addEventListener('click', async () => {
      if (!await confirmDialog('查看完整号码', '查看消费者的完整手机号会记入投诉的处理记录，消费者可以看到。请仅用于处理这件投诉。', { confirmText: '查看' })) return;
      try {
        const r = await api(`/complaints/${id}/contact/reveal`, { method: 'POST', body: {} });
        phone.textContent = r.phone;
        btn.remove();
        say(msg, '已记入处理记录。', true);
      } catch (err) { say(msg, errorText(err)); }
    });
    section.append(h('p', {}, '手机号：', phone, ' ', btn));
  } else {
    section.append(h('p', { class: 'muted' }, cc.preference === 'phone'
      ? '消费者未绑定手机号，请通过留言联系。' : '请通过下方留言与消费者沟通。'));
  }
  section.append(msg);
  detail.append(section);
}

// An unlinked complaint: search the platform's businesses (GET /businesses?q=) and link one.
export function linkBusinessSection(detail, id, c, onDone) {
  const old = $('#link-business'); if (old) old.remove();
  if (!c || c.business_id || !['submitted', 'accepted', 'mediating'].includes(c.status)) return;
  const msg = h('p', { class: 'msg', id: 'link-msg', role: 'alert' });
  const input = h('input', { id: 'link-q', name: 'q', autocomplete: 'off', value: c.business_name || '' });
  const list = h('div', { class: 'candidates', id: 'link-candidates', 'aria-live': 'polite' });
  const link = async (b) => {
    if (!await confirmDialog('关联商家', `将这件投诉关联到入驻商家「${b.name}」？关联后投诉将转交该商家处理。`, { confirmText: '确认关联' })) return;
    try {
      await api(`/complaints/${id}/link-business`, { method: 'POST', body: { business_id: b.id } });
      onDone();
    } catch (err) { say(msg, errorText(err)); }
  };
  const search = async (e) => {
    if (e) e.preventDefault();
    const q = input.value.trim();
    if (q.length < 2) { say(msg, '请输入至少 2 个字搜索商家'); return; }
    try {
      const items = (await api(`/businesses?q=${encodeURIComponent(q)}&status=verified&per_page=8`)).items;
      list.replaceChildren(...(items.length ? items.map((b) => h('div', { class: 'item' },
        h('div', { class: 'title' }, b.name), h('div', { class: 'meta' }, [b.credit_code, b.region_name].filter(Boolean).join(' · ')),
        h('button', { type: 'button', class: 'button small', dataset: { businessId: String(b.id) }, onclick: () => link(b) }, '关联')))
        : [h('p', { class: 'muted' }, '没有找到已认证的商家。')]));
    } catch (err) { say(msg, errorText(err)); }
  };
  const form = h('form', { class: 'form', id: 'link-form' },
    h('label', { for: 'link-q' }, '搜索入驻商家', input), h('button', { type: 'submit', class: 'button' }, '搜索'));
  form.addEventListener('submit', search);
  detail.append(h('section', { class: 'card', id: 'link-business' }, h('h3', {}, '关联商家'),
    h('p', { class: 'muted' }, '这件投诉尚未关联平台商家。商家已入驻时可在此关联，关联后商家会收到投诉并计入其指数。'),
    form, list, msg));
}
