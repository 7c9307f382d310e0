// The index method from /public/index-method, shown in words and numbers.
import { api, h, clear, errorText, COMPONENTS } from './lib.js';

function block(key, value) {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number') return h('p', {}, value);
  if (Array.isArray(value)) return h('ul', {}, value.map((v) => h('li', {}, typeof v === 'object' ? JSON.stringify(v) : v)));
  return h('dl', { class: 'file' }, Object.entries(value).flatMap(([k, v]) => [h('dt', {}, COMPONENTS[k] || k), h('dd', {}, typeof v === 'object' ? JSON.stringify(v, null, 1) : String(v))]));
}

async function main() {
  const out = document.getElementById('method');
  try {
    const m = await api('/public/index-method');
    const nodes = [];
    if (m.version || m.formula_version) nodes.push(h('p', {}, `公式版本：${m.version || m.formula_version}`));
    const titles = { description: '说明', summary: '说明', window: '统计窗口', components: '分项', weights: '权重', shrinkage: '小样本处理', min_complaints: '最少投诉数', insufficient: '数据不足', grades: '等级' };
    for (const [k, v] of Object.entries(m)) {
      if (k === 'version' || k === 'formula_version') continue;
      nodes.push(h('section', { class: 'card' }, h('h2', {}, titles[k] || k), block(k, v)));
    }
    clear(out, nodes);
  } catch (err) { clear(out, h('p', { class: 'error' }, errorText(err))); }
}

main();
