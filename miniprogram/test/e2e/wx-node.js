/*
 * The few wx.* APIs that utils/api.js uses, implemented on Node's fetch, so the real client
 * module runs against the real server. wx.login yields the code given (the WeChat simulator
 * accepts codes "ok-<name>").
 */
function createNodeWx(loginCode) {
  const store = new Map()
  return {
    getStorageSync: key => (store.has(key) ? JSON.parse(store.get(key)) : ''),
    setStorageSync: (key, value) => store.set(key, JSON.stringify(value)),
    removeStorageSync: key => store.delete(key),
    login: opts => opts.success({ code: loginCode }),
    reLaunch: () => {},
    request: opts => {
      const method = opts.method || 'GET'
      const init = { method, headers: opts.header || {} }
      if (opts.data !== undefined && method !== 'GET') init.body = JSON.stringify(opts.data)
      fetch(opts.url, init).then(async res => {
        const raw = await res.text()
        let data = raw
        try { data = raw ? JSON.parse(raw) : '' } catch (e) { /* keep text */ }
        const header = {}
        res.headers.forEach((v, k) => { header[k] = v })
        opts.success({ statusCode: res.status, data, header })
      }, err => opts.fail({ errMsg: 'request:fail ' + err.message }))
    }
  }
}

module.exports = { createNodeWx }
