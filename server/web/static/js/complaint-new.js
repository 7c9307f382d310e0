// Filing a complaint: classifier assistance, business search, cascading regions, evidence upload,
// and an idempotent submit (the same key is reused if the network fails and the user retries).
import { api, h, clear, ref, fillSelect, say, errorText, newKey, fmtTime, $ } from './lib.js';
import { keepDraft } from './form-draft.js';

const form = document.getElementById('complaint-form');
const msg = document.getElementById('form-msg');
const uploads = []; // {id, name}
let submitKey = newKey();
let draft = { discard() {} };

async function regions(parent) {
  return (await api(`/regions${parent ? '?parent=' + parent : ''}`)).items || [];
}

async function setupRegions() {
  const prov = $('#c-province'), city = $('#c-city'), dist = $('#c-district');
  fillSelect(prov, await regions());
  prov.addEventListener('change', async () => {
    fillSelect(city, prov.value ? await regions(prov.value) : []);
    fillSelect(dist, []);
  });
  city.addEventListener('change', async () => { fillSelect(dist, city.value ? await regions(city.value) : []); });
}

export async function chooseRegion(code) {
  const prov = $('#c-province'), city = $('#c-city'), dist = $('#c-district');
  if (!code || code.length !== 6) return;
  prov.value = code.slice(0, 2);
  fillSelect(city, await regions(code.slice(0, 2)));
  city.value = code.slice(0, 4);
  fillSelect(dist, await regions(code.slice(0, 4)));
  dist.value = code;
}

function pickBusiness(b) {
  $('#c-business').value = b.name;
  $('#c-business-id').value = b.id;
  if (b.industry_code) $('#c-industry').value = b.industry_code;
  if (b.region_code) chooseRegion(b.region_code);
  clear($('#business-candidates'), h('p', { class: 'muted' }, `已选择入驻商家：${b.name}`));
  showOffPlatform();
  $('#c-business').focus(); // the chosen candidate is gone: keep the keyboard where the user was
}

function showCandidates(items) {
  clear($('#business-candidates'), items.map((b) => h('div', { class: 'item', role: 'button', tabindex: '0', onclick: () => pickBusiness(b) },
    h('div', { class: 'title' }, b.name), h('div', { class: 'meta' }, [b.industry_name, b.region_name].filter(Boolean).join(' · ')))));
}

// The off-platform business's address, phone and credit code: asked only when no listed business is chosen.
function showOffPlatform() {
  $('#c-offplatform').hidden = Boolean($('#c-business-id').value);
}

let searchTimer;
function setupBusinessSearch() {
  $('#c-business').addEventListener('input', () => {
    $('#c-business-id').value = '';
    showOffPlatform();
    clearTimeout(searchTimer);
    const q = $('#c-business').value.trim();
    if (q.length < 2) { clear($('#business-candidates')); return; }
    searchTimer = setTimeout(async () => {
      try { showCandidates((await api(`/businesses?q=${encodeURIComponent(q)}&per_page=5`)).items); } catch { /* typing continues */ }
    }, 250);
  });
}

async function classify() {
  const text = `${$('#c-title').value} ${$('#c-description').value}`.trim();
  const out = $('#classify-msg');
  if (text.length < 5) { out.textContent = '请先填写描述'; return; }
  out.textContent = '正在识别…';
  try {
    const r = await api('/assist/classify', { method: 'POST', body: { text } });
    if (r.industry_code) $('#c-industry').value = r.industry_code;
    if (r.category) $('#c-category').value = r.category;
    const names = await Promise.all([ref('industries'), ref('categories')]);
    const ind = names[0].find((i) => i.code === r.industry_code), cat = names[1].find((c) => c.code === r.category);
    out.textContent = `建议：${ind ? ind.name : r.industry_code} / ${cat ? cat.name : r.category}（可修改）`;
    if ((r.business_candidates || []).length && !$('#c-business-id').value) {
      const full = await Promise.all(r.business_candidates.slice(0, 3).map((c) => api(`/businesses/${c.id}`).catch(() => ({ id: c.id, name: c.name }))));
      showCandidates(full);
    }
    if ((r.duplicate_of || []).length) out.textContent += '。提示：您可能已提交过类似的投诉。';
    suggestCollective(r.collective_suggestion);
  } catch (err) { out.textContent = errorText(err); }
}

// An open collective case against the same business (集体投诉): join it with this form's amount, text and
// evidence instead of filing alone (POST /complaints/{id}/join; the title, business and region are the case's).
let joinKey = newKey();
function suggestCollective(s) {
  const box = $('#collective-suggestion');
  if (!s) { clear(box); return; }
  const msg = h('span', { class: 'form-msg', role: 'status' });
  const join = h('button', { type: 'button', class: 'button', id: 'join-collective' }, '我也遇到了，加入集体投诉');
  join.addEventListener('click', async () => {
    if (uploads.some((u) => !u.id && !u.error)) { say(msg, '证据仍在上传，请稍候'); return; }
    const body = { attachment_ids: uploads.filter((u) => u.id).map((u) => u.id) };
    const amount = $('#c-amount').value.trim();
    const text = $('#c-description').value.trim();
    if (amount) body.amount_claimed = amount;
    if (text) body.description = text;
    join.disabled = true;
    try {
      const c = await api(`/complaints/${s.id}/join`, { method: 'POST', body, idempotencyKey: joinKey });
      joinKey = newKey();
      location.href = `/my/complaints/${c.id}?new=1`;
    } catch (err) {
      if (err.status && err.status < 500) joinKey = newKey();
      say(msg, errorText(err));
      join.disabled = false;
    }
  });
  clear(box, h('p', { class: 'notice', id: 'collective-notice' },
    `已有${s.members}人投诉该商家「${s.title}」，如果您遇到的是同样的问题，可以直接加入集体投诉，由商家和调解员一并处理。 `, join, ' ', msg));
}

function renderUploads() {
  clear($('#uploads'), uploads.map((u) => h('li', {}, `${u.name} `,
    u.id ? h('span', { class: 'muted' }, '已上传') : h('span', { class: u.error ? 'error' : 'muted' }, u.error || '上传中…'),
    h('button', { type: 'button', class: 'button small', onclick: () => { uploads.splice(uploads.indexOf(u), 1); renderUploads(); } }, '移除'))));
}

async function uploadFiles(files) {
  for (const file of files) {
    if (uploads.length >= 9) break;
    const u = { name: file.name, id: null };
    uploads.push(u);
    renderUploads();
    try {
      const fd = new FormData();
      fd.append('file', file);
      u.id = (await api('/uploads', { method: 'POST', form: fd })).id;
    } catch (err) { u.error = errorText(err); }
    renderUploads();
  }
  $('#c-files').value = '';
}

async function submit(e) {
  e.preventDefault();
  if (uploads.some((u) => !u.id && !u.error)) { say(msg, '证据仍在上传，请稍候'); return; }
  const fd = new FormData(form);
  const body = {
    industry_code: fd.get('industry_code'), region_code: fd.get('region_code'), category: fd.get('category'),
    title: fd.get('title').trim(), description: fd.get('description').trim(),
    demands: fd.getAll('demands'), public_consent: $('#c-consent').checked,
    attachment_ids: uploads.filter((u) => u.id).map((u) => u.id),
  };
  const bid = fd.get('business_id');
  if (bid) body.business_id = Number(bid); else {
    body.business_name = fd.get('business_name').trim();
    for (const f of ['business_address', 'business_phone', 'business_credit_code']) {
      const v = (fd.get(f) || '').trim();
      if (v) body[f] = v;
    }
  }
  body.contact_preference = fd.get('contact_preference') === 'phone' ? 'phone' : 'message';
  if (fd.get('purchase_date')) body.purchase_date = fd.get('purchase_date');
  if (fd.get('order_no')) body.order_no = fd.get('order_no').trim();
  if (fd.get('amount_claimed')) body.amount_claimed = fd.get('amount_claimed').trim();
  const btn = $('#c-submit');
  btn.disabled = true;
  say(msg, '正在提交…', true);
  try {
    const c = await api('/complaints', { method: 'POST', body, idempotencyKey: submitKey });
    submitKey = newKey();
    draft.discard();
    location.href = `/my/complaints/${c.id}?new=1`;
  } catch (err) {
    // A validation error means the body will change: the next try is a new request.
    if (err.status && err.status < 500) submitKey = newKey();
    say(msg, errorText(err));
    if (err.code === 'duplicate_complaint') suggestCollective(err.problem.collective_suggestion);
    btn.disabled = false;
  }
}

async function main() {
  const [ind, cat] = await Promise.all([ref('industries'), ref('categories')]);
  fillSelect($('#c-industry'), ind);
  fillSelect($('#c-category'), cat);
  await setupRegions();
  setupBusinessSearch();
  $('#classify').addEventListener('click', classify);
  $('#c-files').addEventListener('change', (e) => uploadFiles(Array.from(e.target.files)));
  form.addEventListener('submit', submit);
  const preset = new URLSearchParams(location.search).get('business_id');
  if (preset) { try { pickBusiness(await api(`/businesses/${preset}`)); } catch { /* stays free text */ } }
  if (!preset) {
    draft = keepDraft(form, 'complaint', {
      restore: async (data) => {
        if (data.region_code) await chooseRegion(data.region_code);
        if (data.business_id) clear($('#business-candidates'), h('p', { class: 'muted' }, `已选择入驻商家：${data.business_name || ''}`));
        showOffPlatform(); // the restored choice decides whether the unlisted business's details are asked
      },
      notice: (when, discard) => {
        const again = h('button', { type: 'button', class: 'button small', id: 'draft-discard' }, '清空草稿，重新填写');
        again.addEventListener('click', discard);
        form.prepend(h('p', { class: 'notice', id: 'draft-restored', role: 'status' },
          `已恢复您 ${fmtTime(when.toISOString())} 未提交的草稿（仅保存在本设备，提交或退出登录后清除）。`, ' ', again));
      },
    });
    await draft.ready;
  }
  form.dataset.ready = '1';
}

main();
