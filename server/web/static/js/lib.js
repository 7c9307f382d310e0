// Shared helpers for every page: API calls with the session cookie and CSRF header, a tiny DOM
// builder (text is always set as text, never parsed as HTML), formatting, charts.

// Labels: the server's one vocabulary (server/core/vocabulary.py), embedded in every page by base.html.
const VOCABULARY = (() => {
  const el = document.querySelector('meta[name="smart315-vocabulary"]');
  try { return el ? JSON.parse(el.content) : {}; } catch { return {}; }
})();
const table = (kind) => VOCABULARY[kind] || {};
export const STATUS = table('statuses');
export const ACTIONS = table('actions');
export const APPEAL_REASONS = table('appeal_reasons');
export const APPEAL_STATES = table('appeal_states');
export const PUBLICATION_STATES = table('publication_states');
export const ROLES = table('roles');
export const DEMANDS = table('demands');
export const COMPONENTS = table('components');
export const EVENTS = table('events');
export const GRADES = table('grades');
export const WEBHOOK_EVENTS = table('webhook_events');
export const STAFF_ROLES = table('staff_roles');
export const INVITATION_STATES = table('invitation_states');
export const PAUSE_REASONS = table('pause_reasons');
export const CONTACT_PREFERENCES = table('contact_preferences');

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `请求失败（${status}）`);
    this.status = status;
    this.problem = problem || {};
    this.code = this.problem.code;
  }
}

export function csrfToken() {
  const m = document.querySelector('meta[name="csrf-token"]');
  return m ? m.content : '';
}

export async function api(path, { method = 'GET', body, form, headers = {}, idempotencyKey, cache } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (method !== 'GET' && method !== 'HEAD') h['X-CSRF-Token'] = csrfToken();
  if (idempotencyKey) h['Idempotency-Key'] = idempotencyKey;
  let payload;
  if (form) payload = form;
  else if (body !== undefined) { h['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  const url = path.startsWith('/') && !path.startsWith('/api/') && !path.startsWith('/web/') ? '/api/v1' + path : path;
  const resp = await fetch(url, { method, headers: h, body: payload, credentials: 'same-origin', ...(cache ? { cache } : {}) });
  if (resp.status === 204) return null;
  const type = resp.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await resp.json().catch(() => null) : await resp.text();
  if (!resp.ok) {
    if (resp.status === 401 && document.body.dataset.kind) {
      location.href = '/login?next=' + encodeURIComponent(location.pathname + location.search);
    }
    throw new ApiError(resp.status, typeof data === 'object' ? data : null);
  }
  return data;
}

export function newKey() {
  return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));
}

// h('div', {class: 'x', onclick: fn}, 'text', child) — children are nodes or text.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  // An element that plays a button answers Enter and Space like one (keyboard users, switch access).
  if (attrs && attrs.role === 'button' && tag !== 'button' && typeof attrs.onclick === 'function') {
    el.addEventListener('keydown', (e) => {
      if (e.target !== el || (e.key !== 'Enter' && e.key !== ' ')) return;
      e.preventDefault();
      el.click();
    });
  }
  return el;
}

export function $(sel, root = document) { return root.querySelector(sel); }
export function $$(sel, root = document) { return Array.from(root.querySelectorAll(sel)); }

export function clear(el, ...children) { el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined)); return el; }

export function say(el, text, ok = false) {
  if (!el) return;
  el.textContent = text || '';
  el.classList.toggle('error', !!text && !ok);
  el.classList.toggle('ok', !!text && ok);
}

export function errorText(err) {
  if (err instanceof ApiError) {
    const errs = err.problem.errors;
    if (Array.isArray(errs) && errs.length) return errs.map((e) => `${e.field}：${e.message}`).join('；');
    return err.message;
  }
  return '网络异常，请稍后重试';
}

const dtf = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
export function fmtTime(iso) { return iso ? dtf.format(new Date(iso)) : ''; }
export function fmtDate(iso) { return iso ? fmtTime(iso).slice(0, 10) : ''; }
export function yuan(s) { return s === null || s === undefined || s === '' ? '—' : `¥${s}`; }
/** Headline money: "41,000.00 元" below 10,000 yuan, "52.56 万元" / "4.10 亿元" above, as Chinese reports write it. */
export function bigYuan(s) {
  if (s === null || s === undefined || s === '') return '—';
  const v = Number(s);
  if (v >= 1e8) return `${(v / 1e8).toFixed(2)} 亿元`;
  if (v >= 1e4) return `${(v / 1e4).toFixed(2)} 万元`;
  return `${v.toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} 元`;
}
export function num(n) { return n === null || n === undefined ? '—' : Number(n).toLocaleString('zh-CN'); }
export function pct(x) { return x === null || x === undefined ? '—' : `${(Number(x) <= 1 ? Number(x) * 100 : Number(x)).toFixed(1)}%`; }
export function score(x) { return x === null || x === undefined ? '—' : Number(x).toFixed(1); }

export function countdown(deadlineIso, now = Date.now()) {
  if (!deadlineIso) return { text: '', cls: '' };
  const ms = new Date(deadlineIso).getTime() - now;
  const abs = Math.abs(ms);
  const d = Math.floor(abs / 86400000), hrs = Math.floor((abs % 86400000) / 3600000), min = Math.floor((abs % 3600000) / 60000);
  const span = d > 0 ? `${d} 天 ${hrs} 小时` : hrs > 0 ? `${hrs} 小时 ${min} 分` : `${min} 分钟`;
  if (ms < 0) return { text: `已超期 ${span}`, cls: 'late' };
  return { text: `剩余 ${span}`, cls: ms < 86400000 ? 'soon' : '' };
}

export function statusBadge(status) { return h('span', { class: `badge s-${status}` }, STATUS[status] || status); }

const refCache = {};
export async function ref(name) {
  if (!refCache[name]) refCache[name] = api(`/${name}`).then((d) => d.items || []);
  return refCache[name];
}
export async function refNames(name) {
  const m = {};
  for (const it of await ref(name)) m[it.code] = it.name;
  return m;
}

export function fillSelect(select, items, { keepFirst = true } = {}) {
  const first = keepFirst ? select.options[0] : null;
  clear(select, first, items.map((it) => h('option', { value: it.code }, it.name)));
}

// ECharts (the custom build named by the page's smart315-charts meta, static/vendor/echarts.custom.min.js) is
// fetched by the first chart drawn, after the page and its figures have painted, and each chart is drawn in
// a task of its own: no long task in front of the first paint, none that runs the bundle and both charts.
let echartsLoading = null;
function loadEcharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!echartsLoading) {
    echartsLoading = new Promise((resolve, reject) => {
      const meta = document.querySelector('meta[name="smart315-charts"]');
      const s = document.createElement('script');
      s.src = meta ? meta.content : '/static/vendor/echarts.custom.min.js';
      s.onload = () => resolve(window.echarts);
      s.onerror = () => { echartsLoading = null; reject(new Error('图表组件加载失败')); };
      document.head.append(s);
    });
  }
  return echartsLoading;
}

const nextTask = () => new Promise((resolve) => { setTimeout(resolve, 0); });

export async function chart(el, option) {
  if (!el) return null;
  const echarts = await loadEcharts().catch(() => null);
  if (!echarts) { clear(el, h('p', { class: 'error' }, '图表组件加载失败，请刷新页面重试。')); return null; }
  await nextTask();
  const c = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: 'canvas' });
  // No animation: the figures appear at once (less work on a slow phone, nothing moving for elders).
  c.setOption({ animation: false, textStyle: { fontFamily: 'system-ui, "PingFang SC", "Microsoft YaHei", sans-serif' }, ...option }, true);
  if (!el.dataset.resize) { el.dataset.resize = '1'; window.addEventListener('resize', () => c.resize()); }
  return c;
}

export function pager(el, page, perPage, total, go) {
  const pages = Math.max(1, Math.ceil(total / perPage));
  clear(el,
    h('button', { class: 'button small', type: 'button', disabled: page <= 1, onclick: () => go(page - 1) }, '上一页'),
    h('span', { class: 'muted' }, `第 ${page} / ${pages} 页，共 ${total} 条`),
    h('button', { class: 'button small', type: 'button', disabled: page >= pages, onclick: () => go(page + 1) }, '下一页'));
}

// WAI-ARIA tabs: role="tab" with aria-selected / aria-controls, one tab in the tab order, arrow keys move.
export function tabs(root = document, onShow = () => {}) {
  const buttons = $$('.tab', root);
  const panels = $$('[data-panel]', root);
  const show = (b, focus = false) => {
    buttons.forEach((x) => {
      const on = x === b;
      x.classList.toggle('active', on);
      x.setAttribute('aria-selected', String(on));
      x.tabIndex = on ? 0 : -1;
    });
    panels.forEach((p) => p.classList.toggle('hidden', p.dataset.panel !== b.dataset.tab));
    if (focus) b.focus();
    onShow(b.dataset.tab, b);
  };
  buttons.forEach((b, i) => {
    b.setAttribute('role', 'tab');
    if (!b.id) b.id = `tab-${b.dataset.tab}-${i}`;
    const panel = panels.find((p) => p.dataset.panel === b.dataset.tab);
    if (panel) {
      if (!panel.id) panel.id = `panel-${b.dataset.tab}`;
      b.setAttribute('aria-controls', panel.id);
      panel.setAttribute('role', 'tabpanel');
      panel.setAttribute('aria-labelledby', b.id);
    }
    const active = b.classList.contains('active');
    b.setAttribute('aria-selected', String(active));
    b.tabIndex = active ? 0 : -1;
    b.addEventListener('click', () => show(b));
    b.addEventListener('keydown', (e) => {
      const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
      if (step === undefined) return;
      e.preventDefault();
      show(buttons[(i + step + buttons.length) % buttons.length], true);
    });
  });
}

export function figures(el, stats) {
  const items = [
    ['consumers', '注册消费者', num(stats.consumers)], ['businesses', '入驻商家', num(stats.businesses)],
    ['complaints_total', '累计投诉', num(stats.complaints_total)], ['complaints_resolved', '已解决', num(stats.complaints_resolved)],
    ['resolution_rate', '解决率', pct(stats.resolution_rate)], ['amount_recovered', '挽回损失', bigYuan(stats.amount_recovered)],
  ];
  clear(el, items.map(([key, label, value]) => h('div', { class: 'figure', dataset: { figure: key } },
    h('div', { class: 'num' }, value), h('div', { class: 'label' }, label))));
  el.removeAttribute('aria-busy');
}

export function monthlyChart(el, byMonth) {
  const rows = byMonth || [];
  return chart(el, {
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    legend: { data: ['投诉', '解决'] },
    grid: { left: 50, right: 16, bottom: 30, top: 36 },
    xAxis: { type: 'category', data: rows.map((r) => r.month || r.period) },
    yAxis: { type: 'value' },
    series: [
      { name: '投诉', type: 'bar', data: rows.map((r) => r.complaints ?? r.total ?? 0), itemStyle: { color: '#c8161d' } },
      { name: '解决', type: 'line', data: rows.map((r) => r.resolved ?? 0), itemStyle: { color: '#0a7d43' } },
    ],
  });
}

export function industriesChart(el, items) {
  const n = (r) => r.complaints ?? r.total ?? 0;
  const all = (items || []).slice().sort((a, b) => n(a) - n(b));
  const some = all.filter((r) => n(r) > 0);
  const rows = some.length ? some : all; // industries without complaints are left out while any has some
  // Every bar keeps its label: the chart grows with the number of industries instead of skipping labels.
  if (el) el.style.height = `${Math.max(300, rows.length * 24 + 40)}px`;
  return chart(el, {
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    grid: { left: 110, right: 20, bottom: 20, top: 10 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: rows.map((r) => r.name || r.industry_name || r.code || r.industry_code), axisLabel: { interval: 0 } },
    series: [{ name: '投诉量', type: 'bar', data: rows.map((r) => r.complaints ?? r.total ?? 0), itemStyle: { color: '#c8161d' } }],
  });
}

// In-page dialogs instead of window.prompt / confirm (which screen readers and 适老化 rules handle badly):
// a modal <dialog> named by its heading, with a labelled reason field when one is asked for. Resolves to
// the trimmed text (ask) or true (confirm), or null when cancelled (取消 or Esc). Focus returns to the opener.
let dialogSeq = 0;
function modal({ title, text, label, confirmText = '确定', required = true, maxlength = 2000 }) {
  const n = ++dialogSeq;
  const opener = document.activeElement;
  const field = label ? h('textarea', { id: `dialog-${n}-field`, name: 'reason', rows: '3', maxlength: String(maxlength), required }) : null;
  const msg = h('p', { class: 'msg', id: `dialog-${n}-msg`, role: 'alert' });
  const ok = h('button', { type: 'submit', class: 'button primary', value: 'ok' }, confirmText);
  const cancel = h('button', { type: 'button', class: 'button', value: 'cancel' }, '取消');
  const form = h('form', { method: 'dialog', class: 'form', novalidate: true },
    text ? h('p', { id: `dialog-${n}-text` }, text) : null,
    field ? h('label', { for: field.id }, label, field) : null,
    msg, h('div', { class: 'dialog-buttons' }, ok, ' ', cancel));
  const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': `dialog-${n}-title`, 'aria-describedby': text ? `dialog-${n}-text` : null },
    h('h2', { id: `dialog-${n}-title` }, title), form);
  document.body.append(dlg);
  return new Promise((resolve) => {
    let result = null;
    cancel.addEventListener('click', () => dlg.close());
    form.addEventListener('submit', (e) => {
      if (field) {
        const v = field.value.trim();
        if (required && !v) { e.preventDefault(); say(msg, `请填写${label.replace(/[（(].*$/, '')}`); field.focus(); return; }
        result = v;
      } else result = true;
    });
    dlg.addEventListener('close', () => {
      dlg.remove();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      resolve(result);
    });
    dlg.showModal();
    (field || ok).focus();
  });
}
export function ask(title, label, opts = {}) { return modal({ title, label, ...opts }); }
export function confirmDialog(title, text, opts = {}) { return modal({ title, text, ...opts }); }
