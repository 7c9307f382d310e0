// Assistant chat: POST /consult with the running history; answers cite the law articles.
import { api, h, errorText } from './lib.js';

const history = [];

function answerNode(res) {
  return h('div', { class: 'a' }, res.answer,
    (res.citations || []).length ? h('div', { class: 'cite' }, '依据：', (res.citations || []).map((c) => h('div', {}, `《${c.law}》${c.article}：${c.text}`))) : null);
}

document.getElementById('ask').addEventListener('submit', async (e) => {
  e.preventDefault();
  const q = document.getElementById('question');
  const question = q.value.trim();
  if (!question) return;
  const chat = document.getElementById('chat');
  chat.append(h('div', { class: 'q' }, h('span', {}, question)));
  const pending = h('div', { class: 'a muted' }, '正在查找相关法律条文…');
  chat.append(pending);
  q.value = '';
  try {
    const res = await api('/consult', { method: 'POST', body: { question, history: history.slice(-10) } });
    pending.replaceWith(answerNode(res));
    history.push({ role: 'user', content: question }, { role: 'assistant', content: res.answer });
  } catch (err) { pending.textContent = errorText(err); pending.classList.add('error'); }
  chat.scrollTop = chat.scrollHeight;
});
