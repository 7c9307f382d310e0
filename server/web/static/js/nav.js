// Sign-out button in the header (present on every page for a signed-in user).
import { api } from './lib.js';

const btn = document.getElementById('logout');
if (btn) {
  btn.addEventListener('click', async () => {
    try { await api('/web/logout', { method: 'POST' }); } finally { location.href = '/'; }
  });
}
