// Sign-in: consumers by SMS code, staff/mediators/admins by password; then the cookie session.
import { api, say, errorText, tabs } from './lib.js';

const msg = document.getElementById('login-msg');

function target(kind) {
  const next = document.getElementById('main').dataset.next;
  if (next) return next;
  return { business_staff: '/console/business', mediator: '/console/mediator', admin: '/admin' }[kind] || '/my/complaints';
}

// Sign-in needs agreement to the user agreement and the privacy policy; the agreement to their current
// versions is recorded (POST /me/consents) once the session is open.
function agreed(box) {
  if (document.getElementById(box).checked) return true;
  say(msg, '请先阅读并勾选同意《用户服务协议》和《隐私政策》');
  document.getElementById(box).focus();
  return false;
}

async function openSession(tokens) {
  const res = await api('/web/session', { method: 'POST', body: { access_token: tokens.access_token, refresh_token: tokens.refresh_token } });
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && res.csrf_token) meta.content = res.csrf_token;
  try {
    const docs = await api('/legal');
    for (const document of ['terms', 'privacy']) {
      await api('/me/consents', { method: 'POST', body: { document, version: docs[document].version, channel: 'web' } });
    }
  } catch { /* recorded at the next sign-in; never a reason to refuse the user */ }
  location.href = target(res.user.kind);
}

tabs(document, () => say(msg, ''));

// Image captcha (428 captcha_required): shown when the server asks for it; each image answers once.
function captchaBox(prefix) {
  const box = document.getElementById(`${prefix}-captcha`);
  const img = document.getElementById(`${prefix}-captcha-img`);
  const input = document.getElementById(`${prefix}-captcha-code`);
  let id = null;
  async function load() {
    const c = await api('/auth/captcha');
    id = c.captcha_id;
    img.src = c.image;
    input.value = '';
    box.classList.remove('hidden');
    input.focus();
  }
  document.getElementById(`${prefix}-captcha-refresh`).addEventListener('click', () => load().catch((err) => say(msg, errorText(err))));
  return {
    // The fields to send with the next attempt (none while no image is shown).
    fields() { return id && !box.classList.contains('hidden') ? { captcha_id: id, captcha_code: input.value.trim() } : {}; },
    used() { id = null; box.classList.add('hidden'); },
    async ask(err) {
      say(msg, errorText(err));
      try { await load(); } catch (e) { say(msg, errorText(e)); }
    },
  };
}
const smsCaptcha = captchaBox('sms');
const pwCaptcha = captchaBox('pw');

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
  if (!agreed('sms-agree')) return;
  sendBtn.disabled = true;
  const extra = smsCaptcha.fields();
  if (extra.captcha_id && !extra.captcha_code) { say(msg, '请输入图形验证码'); sendBtn.disabled = false; return; }
  try {
    await api('/auth/sms/send', { method: 'POST', body: { phone, ...extra } });
    smsCaptcha.used();
    say(msg, '验证码已发送，请查收短信', true);
    cooldown = 60;
    tick();
    document.getElementById('sms-code').focus();
  } catch (err) {
    if (err.status === 428) { sendBtn.disabled = false; await smsCaptcha.ask(err); return; }
    if (extra.captcha_id) smsCaptcha.used();
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
  if (!agreed('sms-agree')) return;
  try {
    await openSession(await api('/auth/sms/login', { method: 'POST', body: { phone, code } }));
  } catch (err) { say(msg, errorText(err)); }
});

document.getElementById('password-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const username = document.getElementById('pw-username').value.trim();
  const password = document.getElementById('pw-password').value;
  if (!agreed('pw-agree')) return;
  const extra = pwCaptcha.fields();
  try {
    await openSession(await api('/auth/password', { method: 'POST', body: { username, password, ...extra } }));
  } catch (err) {
    if (err.status === 428) { await pwCaptcha.ask(err); return; }
    if (extra.captcha_id) pwCaptcha.used();
    say(msg, errorText(err));
  }
});
