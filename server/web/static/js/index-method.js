// The index method from /public/index-method (server/core/scoring/formula.py describe_method), in words and numbers.
import { api, h, clear, errorText } from './lib.js';

function section(title, ...children) { return h('section', { class: 'card' }, h('h2', {}, title), ...children); }

async function main() {
  const out = document.getElementById('method');
  try {
    const m = await api('/public/index-method');
    const comps = m.components || [];
    const shrink = m.shrinkage || {};
    clear(out,
      h('p', {}, `公式版本 ${m.version || ''}。${m.score || ''}`),
      section('统计范围', h('p', {}, m.window || ''), m.window_rule ? h('p', { class: 'muted' }, m.window_rule) : null,
        m.deadline_hours ? h('p', { class: 'muted' }, `默认答复期限约 ${Math.round(m.deadline_hours / 24)} 天（${m.deadline_hours} 小时，按工作日计算）。`) : null),
      section('分项与权重', h('div', { class: 'table-wrap' }, h('table', { id: 'components' },
        h('thead', {}, h('tr', {}, h('th', {}, '分项'), h('th', {}, '含义'), h('th', {}, '权重'), h('th', {}, '占比'))),
        h('tbody', {}, comps.map((c) => h('tr', {}, h('td', {}, c.label || c.name), h('td', {}, c.description || ''),
          h('td', {}, c.weight), h('td', {}, `${c.weight_share}%`))))))),
      section('小样本处理', h('p', {}, shrink.description || ''), shrink.formula ? h('p', {}, h('code', {}, shrink.formula)) : null,
        m.industry_means ? h('p', { class: 'muted' }, m.industry_means) : null),
      section('等级与数据不足', h('p', {}, m.grades_text || ''), h('p', {}, m.insufficient || '')),
      m.update ? section('更新', h('p', {}, m.update)) : null);
  } catch (err) { clear(out, h('p', { class: 'error' }, errorText(err))); }
}

main();
