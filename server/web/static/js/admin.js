// Admin: staff accounts (mediators, admins), index weights, industry names.
import { api, h, clear, say, errorText, tabs, COMPONENTS, $ } from './lib.js';

const KINDS = { mediator: '调解员', admin: '管理员' };

async function loadStaff() {
  const tbody = $('#staff tbody');
  try {
    const data = await api('/admin/staff?per_page=100');
    clear(tbody, data.items.map((u) => h('tr', {}, h('td', {}, u.username), h('td', {}, u.display_name),
      h('td', {}, KINDS[u.kind] || u.kind), h('td', {}, u.region_code ? (u.region_name || u.region_code) : '全部'), h('td', {}, u.is_active ? '正常' : '停用'),
      h('td', {}, h('button', { type: 'button', class: 'button small', dataset: { account: String(u.id) },
        onclick: () => setActive(u.id, !u.is_active, u.username) }, u.is_active ? '停用' : '恢复')))));
  } catch (err) { clear(tbody, h('tr', {}, h('td', { colspan: '6', class: 'error' }, errorText(err)))); }
}

// Deactivation ends every session of the account at once (POST /admin/users/{id}/deactivate).
async function setActive(id, active, name) {
  try {
    await api(`/admin/users/${id}/${active ? 'reactivate' : 'deactivate'}`, { method: 'POST' });
    say($('#account-msg'), `${active ? '已恢复' : '已停用'}账号 ${name || id}`, true);
    loadStaff();
  } catch (err) { say($('#account-msg'), errorText(err)); }
}

$('#account-form').addEventListener('submit', (e) => { e.preventDefault(); setActive($('#a-user-id').value.trim(), false); });
$('#a-reactivate').addEventListener('click', () => setActive($('#a-user-id').value.trim(), true));

async function loadWeights() {
  const box = $('#weights');
  try {
    const data = await api('/admin/index-weights');
    const w = data.weights || data;
    clear(box, Object.keys(COMPONENTS).map((k) => h('label', {}, `${COMPONENTS[k]}（${k}）`,
      h('input', { type: 'number', name: k, min: '0', max: '100', step: '1', value: w[k] ?? '' }))));
  } catch (err) { clear(box, h('p', { class: 'error' }, errorText(err))); }
}

async function loadIndustries() {
  const tbody = $('#industries tbody');
  try {
    const data = await api('/industries');
    clear(tbody, data.items.map((it) => {
      const input = h('input', { value: it.name, maxlength: '32', 'aria-label': `${it.code} 名称` });
      return h('tr', {}, h('td', {}, h('code', {}, it.code)), h('td', {}, input), h('td', {}, h('button', { type: 'button', class: 'button small', onclick: async () => {
        try { await api(`/admin/industries/${it.code}`, { method: 'PATCH', body: { name: input.value.trim() } }); say($('#industry-msg'), `已保存：${input.value.trim()}`, true); } catch (err) { say($('#industry-msg'), errorText(err)); }
      } }, '保存')));
    }));
  } catch (err) { clear(tbody, h('tr', {}, h('td', { colspan: '3', class: 'error' }, errorText(err)))); }
}

$('#staff-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = { username: $('#s-username').value.trim(), role: $('#s-role').value, password: $('#s-password').value };
  if ($('#s-name').value.trim()) body.display_name = $('#s-name').value.trim();
  if ($('#s-region').value.trim()) body.region_code = $('#s-region').value.trim();
  try {
    await api('/admin/staff', { method: 'POST', body });
    say($('#staff-msg'), `已创建账号 ${body.username}`, true);
    e.target.reset();
    loadStaff();
  } catch (err) { say($('#staff-msg'), errorText(err)); }
});

$('#weights-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const weights = {};
  for (const [k, v] of new FormData(e.target)) weights[k] = Number(v);
  try { await api('/admin/index-weights', { method: 'PUT', body: { weights } }); say($('#weights-msg'), '已保存，下次计算指数时生效', true); } catch (err) { say($('#weights-msg'), errorText(err)); }
});

tabs(document, (tab) => ({ staff: loadStaff, weights: loadWeights, reference: loadIndustries }[tab])());
loadStaff();
