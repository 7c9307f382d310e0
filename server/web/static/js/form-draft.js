// Web drafts (issue 22.5): a form being filled in is kept in this browser's localStorage under the
// signed-in user's id, a moment after each change (not on every keystroke), restored when the form is
// opened again, and removed when it is submitted or the user signs out, so the next person on a
// shared computer never sees it. Files are not kept: they are chosen again.
const PREFIX = 'smart315.draft.';

function keyFor(name) {
  const uid = document.body.dataset.userId;
  return uid ? `${PREFIX}${uid}.${name}` : null;
}

function read(form) {
  const data = {};
  for (const el of form.elements) {
    if (!el.name || el.type === 'file' || el.type === 'submit' || el.type === 'button') continue;
    if (el.type === 'checkbox') {
      if (el.name === 'demands') { if (el.checked) (data[el.name] ||= []).push(el.value); } else data[el.name] = el.checked;
    } else if (el.type === 'radio') {
      if (el.checked) data[el.name] = el.value;
    } else if (el.value) data[el.name] = el.value;
  }
  return data;
}

function write(form, data) {
  for (const el of form.elements) {
    if (!el.name || !(el.name in data) || el.type === 'file') continue;
    const v = data[el.name];
    if (el.type === 'checkbox') el.checked = Array.isArray(v) ? v.includes(el.value) : !!v;
    else if (el.type === 'radio') el.checked = el.value === v;
    else el.value = v;
  }
}

export function clearDrafts() {
  try {
    for (const k of Object.keys(localStorage)) if (k.startsWith(PREFIX)) localStorage.removeItem(k);
  } catch { /* storage unavailable: nothing kept */ }
}

// keepDraft(form, 'complaint', { restore: async (data) => {...} }) → { discard() }
export function keepDraft(form, name, { restore, notice } = {}) {
  const key = keyFor(name);
  if (!key) return { discard() {} };
  let timer = null;
  const save = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const data = read(form);
      try {
        if (Object.values(data).some((v) => (Array.isArray(v) ? v.length : v && v !== true)))
          localStorage.setItem(key, JSON.stringify({ saved_at: Date.now(), data }));
      } catch { /* full or disabled: the form still works */ }
    }, 600);
  };
  const discard = () => { clearTimeout(timer); try { localStorage.removeItem(key); } catch { /* nothing kept */ } };
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem(key) || 'null'); } catch { saved = null; }
  const ready = (async () => {
    if (saved && saved.data) {
      write(form, saved.data);
      if (restore) await restore(saved.data);
      if (notice) notice(new Date(saved.saved_at), () => { discard(); form.reset(); location.reload(); });
    }
    form.addEventListener('input', save);
    form.addEventListener('change', save);
  })();
  return { discard, ready };
}
