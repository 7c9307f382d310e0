// Business console: queue with deadline countdowns, full file and response, staff, WeChat binding,
// webhooks with deliveries, API keys, and the business's own index with what would raise it.
import { api, confirmDialog, h, clear, say, errorText, tabs, fmtTime, score, COMPONENTS, APPEAL_REASONS, APPEAL_STATES, EVENTS, WEBHOOK_EVENTS, STAFF_ROLES, INVITATION_STATES, $ } from './lib.js';
import { renderComplaint, complaintItem } from './complaint-view.js';
import { contactSection } from './contact-view.js';
import { replyDraftHelper } from './assist-help.js';
import { indexBox, componentsChart } from './index-view.js';

const ADVICE = {
  response: '在答复期限内答复每一件投诉：开启微信通知或 Webhook，别让投诉超期转入调解。',
  speed: '尽早答复：答复用时的中位数越短，速度分越高。',
  settlement: '提出消费者能接受的方案，争取在商家处理阶段直接和解。',
  cooperation: '投诉转入调解后积极配合调解员，提出调解方案。',
  mediation: '在调解中与消费者达成一致，调解成功计入本项。',
  satisfaction: '妥善解决并及时沟通，消费者的评价决定满意度得分。',
};
const DEFAULT_WEIGHTS = { response: 20, speed: 10, settlement: 25, cooperation: 15, mediation: 15, satisfaction: 15 };

let me, businessId, isOwner = false, selected = null;

function business() { return me.businesses.find((b) => String(b.id) === String(businessId)); }

async function loadQueue() {
  const out = $('#queue');
  const params = new URLSearchParams({ business_id: businessId, per_page: 50 });
  const status = $('#q-status').value, q = $('#q-text').value.trim();
  if (status) params.set('status', status);
  if (q) params.set('q', q);
  try {
    const data = await api(`/complaints?${params}`);
    const items = data.items.slice().sort((a, b) => (a.deadline_at || '9') < (b.deadline_at || '9') ? -1 : 1);
    clear(out, items.length ? items.map((c) => {
      const el = complaintItem(c, { onclick: () => select(c.id, el) });
      if (String(c.id) === String(selected)) el.classList.add('selected');
      return el;
    }) : h('p', { class: 'muted' }, '队列为空。'), h('p', { class: 'muted' }, `共 ${data.total} 件`));
  } catch (err) { clear(out, h('p', { class: 'error' }, errorText(err))); }
}

async function select(id, el) {
  selected = id;
  document.querySelectorAll('#queue .item').forEach((x) => x.classList.toggle('selected', x === el));
  const c = await renderComplaint($('#detail'), id, { onChange: (u) => { loadQueue(); contactSection($('#detail'), id, u); appealSection(id); publicReplySection(id); replyDraftHelper(id); } });
  replyDraftHelper(id);
  if (c) { contactSection($('#detail'), id, c); appealSection(id, c); publicReplySection(id, c); }
}

// The business's public reply (API.md "Business public reply"): shown beside the case on /cases once it
// is published; writing it again replaces it. The current text is the latest 商家公开回复 of the timeline.
async function publicReplySection(id, c, notice) {
  if (!c) { try { c = await api(`/complaints/${id}`); } catch { return; } }
  const old = $('#public-reply'); if (old) old.remove();
  const last = (c.timeline || []).filter((ev) => ev.action === 'public_reply').pop();
  const msg = h('p', { class: 'msg', id: 'public-reply-msg', role: 'alert' });
  const ta = h('textarea', { id: 'public-reply-text', name: 'text', rows: '3', maxlength: '1000', required: true }, last ? last.note || '' : '');
  const form = h('form', { class: 'form', id: 'public-reply-form' },
    h('label', { for: 'public-reply-text' }, last ? '修改公开回复（替换原回复）' : '公开回复（公众可见）', ta),
    h('button', { type: 'submit', class: 'button' }, last ? '更新公开回复' : '发布公开回复'), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = ta.value.trim();
    if (!text) { say(msg, '请填写回复内容'); ta.focus(); return; }
    try {
      await api(`/complaints/${id}/public-reply`, { method: 'POST', body: { text } });
      publicReplySection(id, null, '已保存：案例公开后，这段回复会显示在投诉案例旁。');
    } catch (err) { say(msg, errorText(err)); }
  });
  $('#detail').append(h('section', { class: 'card', id: 'public-reply' }, h('h3', {}, '商家公开回复'),
    h('p', { class: 'muted' }, c.publication && c.publication.state === 'approved'
      ? '这件投诉已公开，回复会显示在投诉案例页上。'
      : '消费者同意并经调解员审核公开后，回复会显示在投诉案例页上。请勿写入消费者的个人信息。'),
    last ? h('p', { class: 'muted' }, `当前回复于 ${fmtTime(last.created_at)}`) : null, form));
  if (notice) say(msg, notice, true);
}

// Appeals (申诉): the business asks the complaint's mediators to take it out of its index.
async function appealSection(id, c) {
  if (!c) { try { c = await api(`/complaints/${id}`); } catch { return; } }
  const old = $('#appeals'); if (old) old.remove();
  const appeals = c.appeals || [];
  const pending = appeals.some((a) => a.state === 'pending');
  const msg = h('p', { class: 'msg', id: 'appeal-msg', role: 'alert' });
  const list = appeals.map((a) => h('li', {}, h('strong', {}, APPEAL_STATES[a.state] || a.state), ` · ${APPEAL_REASONS[a.reason] || a.reason || ''} · ${fmtTime(a.created_at)}`,
    a.note ? h('div', { class: 'note' }, a.note) : null, a.decision_note ? h('div', { class: 'note muted' }, `调解员：${a.decision_note}`) : null));
  let form = null;
  if (!c.index_excluded && !pending) {
    form = h('form', { class: 'form', id: 'appeal-form' },
      h('label', {}, '申诉理由 ', h('select', { name: 'reason', id: 'appeal-reason' }, Object.entries(APPEAL_REASONS).map(([k, v]) => h('option', { value: k }, v)))),
      h('label', {}, '说明 ', h('textarea', { name: 'note', id: 'appeal-note', maxlength: '2000', rows: '3', placeholder: '请说明事实和依据，调解员据此裁定' })),
      h('button', { type: 'submit', class: 'button' }, '提出申诉'), msg);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api(`/complaints/${id}/appeals`, { method: 'POST', body: { reason: $('#appeal-reason').value, note: $('#appeal-note').value.trim() || null } });
        appealSection(id);
      } catch (err) { say(msg, errorText(err)); }
    });
  }
  $('#detail').append(h('section', { class: 'card', id: 'appeals' }, h('h3', {}, '申诉'),
    c.index_excluded ? h('p', {}, '申诉成立：这件投诉不计入本商家的投诉处理指数和排名。') : null,
    list.length ? h('ol', { id: 'appeal-list' }, list) : h('p', { class: 'muted' }, '认为这件投诉不实（非本店消费者、重复、恶意、投诉错商家）时，可以提出申诉，由所在地区的调解员裁定；申诉成立后不计入指数。'),
    pending ? h('p', { class: 'muted' }, '申诉待调解员处理。') : null, form));
}

async function publishedWeights() {
  try {
    const m = await api('/public/index-method');
    const w = {};
    for (const c of m.components || []) w[c.name] = c.weight;
    return Object.keys(w).length ? w : DEFAULT_WEIGHTS;
  } catch { return DEFAULT_WEIGHTS; }
}

async function loadIndex() {
  try {
    const b = await api(`/businesses/${businessId}`);
    indexBox($('#own-index'), b.index);
    componentsChart($('#chart-own-components'), b.index);
    const comps = (b.index && b.index.components) || {};
    const w = await publishedWeights();
    const val = (k) => { const v = comps[k]; return v === null || v === undefined ? null : Number(typeof v === 'object' ? v.value ?? v.score : v); };
    const total = Object.values(w).reduce((a, x) => a + Number(x), 0) || 100;
    const gains = Object.keys(COMPONENTS).map((k) => ({ k, v: val(k), gain: val(k) === null ? null : (100 - val(k)) * Number(w[k] || 0) / total }))
      .sort((a, b) => (b.gain ?? -1) - (a.gain ?? -1));
    clear($('#advice'), gains.map((g) => h('li', {}, h('strong', {}, COMPONENTS[g.k]),
      g.v === null ? '（暂无数据）' : `（当前 ${score(g.v)}，满分可再提高约 ${g.gain.toFixed(1)} 分）`, '：', ADVICE[g.k])));
  } catch (err) { clear($('#own-index'), h('p', { class: 'error' }, errorText(err))); }
}

async function loadMembers() {
  const tbody = $('#members tbody');
  try {
    const items = await api(`/businesses/${businessId}/members`);
    clear(tbody, items.map((m) => h('tr', {}, h('td', {}, m.display_name || '—'), h('td', {}, m.phone_masked || '—'),
      h('td', {}, STAFF_ROLES[m.role] || m.role), h('td', {}, m.wechat_bound ? '已绑定' : '未绑定'),
      h('td', {}, isOwner ? h('button', { type: 'button', class: 'button small', 'data-remove': String(m.user_id), onclick: async () => {
        if (!await confirmDialog('移除员工', `确定移除员工 ${m.display_name || m.phone_masked || ''}？移除后对方不能再处理本商家的投诉。`, { confirmText: '确认移除' })) return;
        try { await api(`/businesses/${businessId}/members/${m.user_id}`, { method: 'DELETE' }); say($('#member-msg'), '已移除', true); loadMembers(); } catch (err) { say($('#member-msg'), errorText(err)); }
      } }, '移除') : ''))));
  } catch (err) { clear(tbody, h('tr', {}, h('td', { colspan: '5', class: 'error' }, errorText(err)))); }
  loadInvitations();
}

async function loadInvitations() {
  const tbody = $('#invitations tbody');
  if (!isOwner) { clear(tbody, h('tr', {}, h('td', { colspan: '5', class: 'muted' }, '只有商家管理员可以邀请员工。'))); return; }
  try {
    const items = await api(`/businesses/${businessId}/invitations`);
    clear(tbody, items.length ? items.map((i) => h('tr', {}, h('td', {}, i.phone_masked), h('td', {}, STAFF_ROLES[i.role] || i.role),
      h('td', {}, INVITATION_STATES[i.state] || i.state), h('td', {}, fmtTime(i.created_at)), h('td', {}, fmtTime(i.expires_at))))
      : h('tr', {}, h('td', { colspan: '5', class: 'muted' }, '还没有发出邀请。')));
  } catch (err) { clear(tbody, h('tr', {}, h('td', { colspan: '5', class: 'error' }, errorText(err)))); }
}

async function loadWebhooks() {
  const out = $('#webhooks');
  if (!isOwner) { clear(out, h('p', { class: 'muted' }, '只有商家管理员可以管理 Webhook。')); return; }
  try {
    const data = await api(`/businesses/${businessId}/webhooks`);
    const hooks = data.items || data;
    clear(out, hooks.length ? hooks.map((w) => h('div', { class: 'item' },
      h('div', { class: 'title' }, w.url), h('div', { class: 'meta' }, (w.events || []).map((e) => EVENTS[e] || e).join('、')),
      h('button', { type: 'button', class: 'button small', onclick: () => loadDeliveries(w.id) }, '投递记录'), ' ',
      h('button', { type: 'button', class: 'button small', onclick: async () => {
        try { await api(`/businesses/${businessId}/webhooks/${w.id}`, { method: 'DELETE' }); loadWebhooks(); } catch (err) { say($('#webhook-msg'), errorText(err)); }
      } }, '删除'))) : h('p', { class: 'muted' }, '尚未配置 Webhook。'));
    if (hooks.length) loadDeliveries(hooks[0].id);
  } catch (err) { clear(out, h('p', { class: 'error' }, errorText(err))); }
}

async function loadDeliveries(hookId) {
  const tbody = $('#deliveries tbody');
  try {
    const data = await api(`/businesses/${businessId}/webhooks/${hookId}/deliveries?per_page=50`);
    const STATES = { pending: '待投递', sending: '投递中', sent: '成功', failed: '失败', dead: '已放弃', skipped: '跳过' };
    clear(tbody, (data.items || []).map((d) => h('tr', {},
      h('td', {}, fmtTime(d.created_at)), h('td', {}, EVENTS[d.type] || d.type), h('td', {}, STATES[d.state] || d.state),
      h('td', {}, d.attempts), h('td', {}, d.last_error || ''),
      h('td', {}, h('button', { type: 'button', class: 'button small', onclick: async () => {
        try {
          await api(`/businesses/${businessId}/webhooks/deliveries/${d.delivery_id || d.notification_id}/redeliver`, { method: 'POST' });
          say($('#webhook-msg'), '已重新加入投递队列', true);
          loadDeliveries(hookId);
        } catch (err) { say($('#webhook-msg'), errorText(err)); }
      } }, '重新投递')))));
  } catch (err) { clear(tbody, h('tr', {}, h('td', { colspan: '6', class: 'error' }, errorText(err)))); }
}

async function loadKeys() {
  const tbody = $('#keys tbody');
  if (!isOwner) { clear(tbody, h('tr', {}, h('td', { colspan: '5', class: 'muted' }, '只有商家管理员可以管理 API 密钥。'))); return; }
  try {
    const items = await api(`/businesses/${businessId}/api-keys`);
    clear(tbody, items.map((k) => h('tr', {}, h('td', {}, k.name), h('td', {}, h('code', {}, k.prefix)), h('td', {}, fmtTime(k.created_at)),
      h('td', {}, fmtTime(k.last_used_at) || '从未'),
      h('td', {}, k.revoked ? '已吊销' : h('button', { type: 'button', class: 'button small', onclick: async () => {
        try { await api(`/businesses/${businessId}/api-keys/${k.id}`, { method: 'DELETE' }); loadKeys(); } catch (err) { say($('#key-msg'), errorText(err)); }
      } }, '吊销')))));
  } catch (err) { clear(tbody, h('tr', {}, h('td', { colspan: '5', class: 'error' }, errorText(err)))); }
}

function setupForms() {
  $('#queue-filters').addEventListener('submit', (e) => { e.preventDefault(); loadQueue(); });
  $('#q-status').addEventListener('change', loadQueue);
  $('#member-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api(`/businesses/${businessId}/members`, { method: 'POST', body: { phone: $('#m-phone').value.trim(), role: $('#m-role').value } });
      say($('#member-msg'), '邀请已发送，对方接受后即成为员工', true);
      $('#m-phone').value = '';
      loadInvitations();
    } catch (err) { say($('#member-msg'), errorText(err)); }
  });
  $('#wechat-bind').addEventListener('click', async () => {
    try {
      const r = await api(`/businesses/${businessId}/wechat-binding`, { method: 'POST' });
      clear($('#wechat-qr'), h('img', { src: r.qr_png_url, alt: '公众号绑定二维码', id: 'wechat-qr-img' }),
        h('p', { class: 'muted' }, `有效期至 ${fmtTime(r.expires_at)}`));
      say($('#wechat-msg'), '');
    } catch (err) { say($('#wechat-msg'), errorText(err)); }
  });
  clear($('#w-events'), Object.entries(WEBHOOK_EVENTS).map(([k, v]) => h('label', {}, h('input', { type: 'checkbox', name: 'events', value: k, checked: true }), ` ${v}`)));
  $('#webhook-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const events = Array.from(document.querySelectorAll('#w-events input:checked')).map((i) => i.value);
    try {
      const r = await api(`/businesses/${businessId}/webhooks`, { method: 'POST', body: { url: $('#w-url').value.trim(), events } });
      clear($('#webhook-msg'), '已添加。签名密钥只显示这一次，请妥善保存：', h('div', { class: 'secret' }, r.secret));
      $('#webhook-msg').className = 'msg ok';
      $('#w-url').value = '';
      loadWebhooks();
    } catch (err) { say($('#webhook-msg'), errorText(err)); }
  });
  $('#key-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const r = await api(`/businesses/${businessId}/api-keys`, { method: 'POST', body: { name: $('#k-name').value.trim() } });
      clear($('#key-msg'), '密钥只显示这一次，请立即复制保存：', h('div', { class: 'secret' }, r.key));
      $('#key-msg').className = 'msg ok';
      $('#k-name').value = '';
      loadKeys();
    } catch (err) { say($('#key-msg'), errorText(err)); }
  });
}

function showBusiness() {
  const b = business();
  isOwner = b.role === 'owner';
  const status = $('#biz-status');
  if (b.status === 'rejected') {
    clear(status, '入驻申请未通过审核（驳回理由见“我的投诉”页面的消息通知），修改后可重新提交 ',
      isOwner ? h('button', { type: 'button', class: 'button small', id: 'reapply', onclick: async () => {
        try { await api(`/businesses/${businessId}/reapply`, { method: 'POST', body: {} }); b.status = 'pending'; showBusiness(); } catch (err) { say(status, errorText(err)); }
      } }, '重新提交申请') : '');
  } else {
    status.textContent = b.status === 'verified' ? '已认证' : '入驻审核中：审核通过后才会收到投诉，并可邀请员工';
  }
  selected = null;
  clear($('#detail'), h('p', { class: 'muted' }, '选择左侧的投诉查看完整档案。'));
  loadQueue();
}

async function main() {
  me = await api('/me');
  if (!me.businesses.length) { clear($('#main'), h('p', {}, '您的账号还没有关联商家。')); return; }
  const sel = $('#biz-select');
  clear(sel, me.businesses.map((b) => h('option', { value: String(b.id) }, b.name)));
  businessId = me.businesses[0].id;
  sel.addEventListener('change', () => { businessId = sel.value; showBusiness(); });
  setupForms();
  tabs(document, (tab) => ({ queue: loadQueue, index: loadIndex, staff: loadMembers, webhooks: loadWebhooks, keys: loadKeys }[tab] || (() => {}))());
  showBusiness();
  setInterval(() => { if (!document.hidden && !$('[data-panel=queue]').classList.contains('hidden')) loadQueue(); }, 60000);
}

main();
