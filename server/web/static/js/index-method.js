// The index method from /public/index-method (server/core/scoring/formula.py describe_method), in words and numbers,
// and the rule sets complaints are handled under from /public/rules (server/core/complaints/rules.py).
import { api, h, clear, errorText } from './lib.js';

function section(title, ...children) { return h('section', { class: 'card' }, h('h2', {}, title), ...children); }

async function main() {
  const out = document.getElementById('method');
  try {
    const [m, rules] = await Promise.all([api('/public/index-method'),
      api('/public/rules').catch(() => ({ items: [] }))]);
    const ruleSets = (rules && rules.items) || [];
    const comps = m.components || [];
    const shrink = m.shrinkage || {};
    const counting = m.counting || {};
    const versions = m.versions || [];
    clear(out,
      h('p', {}, `公式版本 ${m.version || ''}${m.effective_date ? `（${m.effective_date} 起施行）` : ''}。${m.score || ''}`),
      counting.counted ? section('哪些投诉计入', h('p', {}, counting.counted),
        h('p', {}, '以下投诉不计入：'),
        h('ul', { id: 'not-counted' }, (counting.not_counted || []).map((t) => h('li', {}, t))),
        counting.why ? h('p', {}, h('strong', {}, '为什么：'), counting.why) : null,
        counting.appeals ? h('p', { id: 'appeals-rule' }, counting.appeals) : null,
        counting.not_fulfilled ? h('p', { id: 'not-fulfilled-rule' }, h('strong', {}, '未履行的和解：'), counting.not_fulfilled) : null,
        counting.collective ? h('p', { id: 'collective-rule' }, counting.collective) : null,
        counting.past_periods ? h('p', { class: 'muted' }, counting.past_periods) : null) : null,
      ruleSets.length ? section('适用的投诉处理规则',
        h('p', {}, '每件投诉按受理之日适用的规则处理，受理时记入投诉，此后不因规则变化而改变；处理期限不含暂停计时（检测鉴定、补正材料、双方同意延期）的时间。'),
        h('div', { class: 'table-wrap' }, h('table', { id: 'rule-sets' },
          h('thead', {}, h('tr', {}, h('th', {}, '规则'), h('th', {}, '生效日期'), h('th', {}, '受理期限'), h('th', {}, '调解期限'), h('th', {}, '说明'))),
          h('tbody', {}, ruleSets.map((r) => h('tr', { 'data-code': r.code },
            h('td', {}, r.name || r.code), h('td', {}, r.effective_from || ''),
            h('td', {}, r.accept_working_days != null ? `收到投诉之日起 ${r.accept_working_days} 个工作日内决定是否受理` : ''),
            h('td', {}, (r.mediation && r.mediation.text) || ''), h('td', {}, r.summary || ''))))))) : null,
      section('统计范围', h('p', {}, m.window || ''), m.window_rule ? h('p', { class: 'muted' }, m.window_rule) : null,
        m.deadline_hours ? h('p', { class: 'muted' }, `默认答复期限约 ${Math.round(m.deadline_hours / 24)} 天（${m.deadline_hours} 小时，按工作日计算）。`) : null),
      section('分项与权重', h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': '分项与权重' }, h('table', { id: 'components' },
        h('thead', {}, h('tr', {}, h('th', {}, '分项'), h('th', {}, '含义'), h('th', {}, '权重'), h('th', {}, '占比'))),
        h('tbody', {}, comps.map((c) => h('tr', {}, h('td', {}, c.label || c.name), h('td', {}, c.description || ''),
          h('td', {}, c.weight), h('td', {}, `${c.weight_share}%`))))))),
      section('小样本处理', h('p', {}, shrink.description || ''), shrink.formula ? h('p', {}, h('code', {}, shrink.formula)) : null,
        m.industry_means ? h('p', { class: 'muted' }, m.industry_means) : null),
      section('等级与数据不足', h('p', {}, m.grades_text || ''), h('p', {}, m.insufficient || '')),
      m.update ? section('更新', h('p', {}, m.update)) : null,
      m.statistics_rule ? section('平台数据怎样计数', h('p', { id: 'statistics-rule' }, m.statistics_rule)) : null,
      versions.length ? section('版本记录', h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': '版本记录' }, h('table', { id: 'versions' },
        h('thead', {}, h('tr', {}, h('th', {}, '版本'), h('th', {}, '施行日期'), h('th', {}, '变更'))),
        h('tbody', {}, versions.map((v) => h('tr', {}, h('td', {}, v.version), h('td', {}, v.date), h('td', {}, v.changes))))))) : null);
  } catch (err) { clear(out, h('p', { class: 'error' }, errorText(err))); }
}

main();
