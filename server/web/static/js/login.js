// Sign-in: consumers by SMS code, staff/mediators/admins by password; then the cookie session.
import { api, say, errorText, tabs } from './lib.js';

const msg = document.getElementById('login-msg');

function target(kind) {
  const next = document.getElementById('main').dataset.next;
  if (next) return next;
  return { business_staff: '/console/business', mediator: '/console/mediator', admin: '/admin' }[kind] || '/my/complaints';
}

async function openSession(tokens) {
  const res = await api('/web/session', { method: 'POST', body: { access_token: tokens.access_token, refresh_token: tokens.refresh_token } });
  location.href = target(res.user.kind);
}

tabs(document, () => say(msg, ''));

let cooldown = 0;
const sendBtn = document.getElementById('sms-send');
function tick() {
  if (cooldown <= 0) { sendBtn.disabled = false; sendBtn.textContent = '获取验证码'; return; }
  sendBtn.disabled = true;
  sendBtn.textContent = `${cooldown} 秒后重发`;
  cooldown -= 1;
  setTimeout(tick, 1000);
}

sendBtn.addEventListener('click', async () => {
  const phone = document.getElementById('sms-phone').value.trim();
  if (!/^1\d{10}$/.test(phone)) { say(msg, '请输入 11 位手机号'); return; }
  sendBtn.disabled = true;
  try {
    await api('/auth/sms/send', { method: 'POST', body: { phone } });
    say(msg, '验证码已发送，请查收短信', true);
    cooldown = 60;
    tick();
    document.getElementById('sms-code').focus();
  } catch (err) {
    say(msg, errorText(err));
    const retry = err.problem && err.problem.retry_after;
    cooldown = retry ? Number(retry) : 0;
    tick();
  }
});

document.getElementById('sms-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const phone = document.getElementById('sms-phone').value.trim();
  const code = document.getElementById('sms-code').value.trim();
  if (!/^\d{6}$/.test(code)) { say(msg, '请输入 6 位验证码'); return; }
  try {
    await openSession(await api('/auth/sms/login', { method: 'POST', body: { phone, code } }));
  } catch (err) { say(msg, errorText(err)); }
});

document.getElementById('password-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const username = document.getElementById('pw-username').value.trim();
  const password = document.getElementById('pw-password').value;
  try {
    await openSession(await api('/auth/password', { method: 'POST', body: { username, password } }));
  } catch (err) { say(msg, errorText(err)); }
});
