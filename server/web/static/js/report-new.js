// 我要举报: a report (举报) about a business, sent to POST /reports (its own resource, never a complaint).
import { api, h, clear, fillSelect, errorText, newKey, $ } from './lib.js';

const form = $('#report-form');
const out = $('#report-result');
let submitKey = newKey();

async function regions(parent) {
  return (await api(`/regions${parent ? '?parent=' + parent : ''}`)).items || [];
}

async function setupRegions() {
  const prov = $('#r-province'), city = $('#r-city'), dist = $('#r-district');
  fillSelect(prov, await regions());
  prov.addEventListener('change', async () => {
    fillSelect(city, prov.value ? await regions(prov.value) : []);
    fillSelect(dist, []);
  });
  city.addEventListener('change', async () => { fillSelect(dist, city.value ? await regions(city.value) : []); });
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const fd = new FormData(form);
  const body = { business_name: fd.get('business_name'), region_code: fd.get('region_code'), description: fd.get('description') };
  try {
    const r = await api('/reports', { method: 'POST', body, idempotencyKey: submitKey });
    submitKey = newKey();
    form.reset();
    clear(out, h('p', { class: 'notice', id: 'report-done' }, `举报已提交（编号 #${r.id}），将由${r.region_name}的调解员处理。`));
  } catch (err) { clear(out, h('p', { class: 'error' }, errorText(err))); }
});

setupRegions().catch((err) => clear(out, h('p', { class: 'error' }, errorText(err))));
