/* Small page helpers for Alipay conventions. */
function dataset(e) {
  return (e && e.currentTarget && e.currentTarget.dataset) || (e && e.target && e.target.dataset) || {}
}

function toast(content, type) {
  my.showToast({ type: type || 'none', content: content, duration: 2000 })
}

module.exports = { dataset: dataset, toast: toast }
