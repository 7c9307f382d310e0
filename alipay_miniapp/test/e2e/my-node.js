/*
 * The few my.* APIs that utils/api.js uses, on Node's fetch, so the real client module runs
 * against the real server. my.getAuthCode yields the given code (the Alipay simulator accepts
 * "ok-<name>"). Like the Alipay runtime, non-2xx answers go to fail with status and data.
 */
function createNodeMy(authCode) {
  const store = new Map()
  return {
    getStorageSync: ({ key }) => ({ data: store.has(key) ? JSON.parse(store.get(key)) : null }),
    setStorageSync: ({ key, data }) => store.set(key, JSON.stringify(data)),
    removeStorageSync: ({ key }) => store.delete(key),
    getAuthCode: opts => opts.success({ authCode }),
    reLaunch: () => {},
    request: opts => {
      const init = { method: opts.method || 'GET', headers: opts.headers || {} }
      if (opts.data !== undefined && init.method !== 'GET') init.body = opts.data
      fetch(opts.url, init).then(async res => {
        const raw = await res.text()
        let data = raw
        try { data = raw ? JSON.parse(raw) : '' } catch (e) { /* keep text */ }
        const headers = {}
        res.headers.forEach((v, k) => { headers[k] = v })
        if (res.status >= 200 && res.status < 300) opts.success({ status: res.status, data, headers })
        else opts.fail({ error: 19, errorMessage: 'http status error', status: res.status, data, headers })
      }, err => opts.fail({ error: 12, errorMessage: err.message }))
    }
  }
}

module.exports = { createNodeMy }
