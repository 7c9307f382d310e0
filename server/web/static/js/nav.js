// Sign-out button in the header (present on every page for a signed-in user).
import { api } from './lib.js';
import { clearDrafts } from './form-draft.js';

const btn = document.getElementById('logout');
if (btn) {
  btn.addEventListener('click', async () => {
    clearDrafts(); // the next person at this computer must not find this user's drafts
    try { await api('/web/logout', { method: 'POST' }); } finally { location.href = '/'; }
  });
}

// Text size and 长辈版 (elder mode): remembered on this device in a cookie the server reads, and for a
// signed-in person on their account too, so every page renders at the chosen size from its first paint.
for (const b of document.querySelectorAll('[data-text-size]')) {
  b.addEventListener('click', () => {
    const size = b.dataset.textSize;
    document.documentElement.dataset.text = size;
    document.cookie = `smart315_text=${size}; path=/; max-age=${400 * 24 * 3600}; samesite=lax`;
    // Signed in: the choice is also the person's own, so it follows them to every device they sign in on.
    if (document.body.dataset.userId) api('/me', { method: 'PATCH', body: { text_size: size } }).catch(() => {});
    for (const other of document.querySelectorAll('[data-text-size]')) {
      other.setAttribute('aria-pressed', String(other === b));
    }
  });
}
