// 我要举报: a report (举报) about a business, sent to POST /reports.
import { api, h, clear, errorText } from './lib.js';

const form = document.getElementById('report-form');
const out = document.getElementById('report-result');
form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const data = Object.fromEntries(new FormData(form).entries());
  try {
    const r = await api('/reports', { method: 'POST', body: data });
    form.reset();
    clear(out, h('p', { class: 'notice' }, `举报已提交（编号 #${r.id}），将由${r.region_name}的调解员处理。`));
  } catch (err) { clear(out, h('p', { class: 'error' }, errorText(err))); }
});
