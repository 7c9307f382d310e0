// The consumer's complaints and notification inbox.
import { api, h, clear, pager, say, errorText, fmtTime, STAFF_ROLES as ROLES } from './lib.js';
import { complaintItem } from './complaint-view.js';

let page = 1;

async function loadComplaints() {
  const out = document.getElementById('complaints');
  try {
    const data = await api(`/complaints?page=${page}&per_page=20`);
    clear(out, data.items.length ? data.items.map((c) => complaintItem(c, { href: `/my/complaints/${c.id}` })) : h('p', { class: 'muted' }, '您还没有提交过投诉。'));
    pager(document.getElementById('pager'), data.page, data.per_page, data.total, (p) => { page = p; loadComplaints(); });
  } catch (err) { clear(out, h('p', { class: 'error' }, errorText(err))); }
}

async function loadNotifications() {
  const out = document.getElementById('notifications');
  try {
    const data = await api('/notifications?per_page=30');
    const items = data.items || [];
    clear(out, items.length ? items.map((n) => {
      const el = h('div', { class: `item notif ${n.read_at ? '' : 'unread'}` },
        h('div', { class: 'title' }, n.title || '通知'), h('div', {}, n.body || ''),
        h('div', { class: 'meta' }, fmtTime(n.created_at)),
        n.complaint_id ? h('a', { href: `/my/complaints/${n.complaint_id}` }, '查看投诉') : null);
      if (!n.read_at) {
        el.append(h('button', { type: 'button', class: 'button small', onclick: async () => {
          try { await api(`/notifications/${n.id}/read`, { method: 'POST' }); el.classList.remove('unread'); el.lastChild.remove(); } catch { /* stays unread */ }
        } }, '标为已读'));
      }
      return el;
    }) : h('p', { class: 'muted' }, '暂无通知。'));
  } catch (err) { clear(out, h('p', { class: 'muted' }, errorText(err))); }
}

async function loadInvitations() {
  const box = document.getElementById('invitations-box');
  const out = document.getElementById('invitations');
  const msg = document.getElementById('invitation-msg');
  try {
    const items = await api('/me/invitations');
    box.classList.toggle('hidden', !items.length && !msg.textContent);
    const decide = (inv, what) => async () => {
      try {
        const r = await api(`/me/invitations/${inv.id}/${what}`, { method: 'POST' });
        say(msg, what === 'accept' ? `您已成为「${r.business_name}」的${ROLES[r.role] || r.role}，可进入商家后台` : '已拒绝邀请', true);
        loadInvitations();
      } catch (err) { say(msg, errorText(err)); }
    };
    clear(out, items.map((inv) => h('div', { class: 'item invitation', 'data-invitation': String(inv.id) },
      h('div', { class: 'title' }, `「${inv.business.name}」邀请您成为${ROLES[inv.role] || inv.role}`),
      h('div', { class: 'meta' }, `有效期至 ${fmtTime(inv.expires_at)}`),
      h('button', { type: 'button', class: 'button small primary', 'data-accept': String(inv.id), onclick: decide(inv, 'accept') }, '接受'), ' ',
      h('button', { type: 'button', class: 'button small', 'data-decline': String(inv.id), onclick: decide(inv, 'decline') }, '拒绝'))));
  } catch (err) { clear(out, h('p', { class: 'muted' }, errorText(err))); }
}

// The reports (举报) this person filed: GET /reports answers a consumer with their own.
async function loadReports() {
  const out = document.getElementById('reports');
  try {
    const data = await api('/reports?per_page=20');
    clear(out, data.items.length ? data.items.map((r) => h('div', { class: 'item', 'data-report': String(r.id) },
      h('div', { class: 'title' }, `举报 #${r.id}：${r.business_name || ''}`),
      h('div', {}, r.description),
      h('div', { class: 'meta' }, `${r.region_name || ''} · ${fmtTime(r.created_at)} · 由该地区的调解员处理`)))
      : h('p', { class: 'muted' }, '您还没有提交过举报。'));
  } catch (err) { clear(out, h('p', { class: 'muted' }, errorText(err))); }
}

loadComplaints();
loadNotifications();
loadInvitations();
loadReports();
