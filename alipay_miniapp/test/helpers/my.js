/*
 * A `my` stub (every API a jest.fn, storage a real in-memory map, my.request answering from a
 * route table) and a fake global Page that captures the page config so its logic can be run.
 */
const path = require('path')

const ROOT = path.resolve(__dirname, '../..')

function createMy() {
  const store = new Map()
  const routes = []
  const calls = []
  const my = {
    _store: store,
    _calls: calls,
    _route(method, matcher, handler) {
      routes.unshift({ method, matcher, handler })
    },
    getStorageSync: jest.fn(({ key }) => ({ data: store.has(key) ? JSON.parse(JSON.stringify(store.get(key))) : null })),
    setStorageSync: jest.fn(({ key, data }) => store.set(key, JSON.parse(JSON.stringify(data)))),
    removeStorageSync: jest.fn(({ key }) => store.delete(key)),
    getAuthCode: jest.fn(opts => opts.success({ authCode: 'ok-test-user' })),
    request: jest.fn(opts => {
      const url = new URL(opts.url)
      const apiPath = url.pathname.replace(/^\/api\/v1/, '')
      const req = {
        method: opts.method || 'GET',
        path: apiPath,
        query: Object.fromEntries(url.searchParams),
        data: typeof opts.data === 'string' ? JSON.parse(opts.data) : opts.data,
        headers: opts.headers || {}
      }
      calls.push(req)
      const route = routes.find(r => r.method === req.method &&
        (r.matcher instanceof RegExp ? r.matcher.test(apiPath) : r.matcher === apiPath))
      Promise.resolve().then(() => {
        const out = route ? route.handler(req) : { status: 404, data: { status: 404, code: 'not_found', title: 'Not Found' } }
        if (out === 'network') return opts.fail({ error: 12, errorMessage: '网络出错' })
        const status = out.status || 200
        // Alipay reports non-2xx through fail (error 19) with the status and body.
        if (status >= 200 && status < 300) opts.success({ status, data: out.data, headers: {} })
        else opts.fail({ error: 19, errorMessage: 'http status error', status, data: out.data, headers: {} })
      })
    }),
    uploadFile: jest.fn(),
    chooseImage: jest.fn(),
    compressImage: jest.fn(opts => opts.success({ apFilePaths: opts.apFilePaths.map(p => p + '.compressed') })),
    datePicker: jest.fn(),
    requestSubscribeMessage: jest.fn(opts => opts.success({ behavior: 'subscribe', result: { subscribeEntityIds: [] } })),
    showToast: jest.fn(),
    confirm: jest.fn(opts => opts.success({ confirm: true })),
    navigateTo: jest.fn(),
    redirectTo: jest.fn(),
    switchTab: jest.fn(),
    reLaunch: jest.fn(),
    stopPullDownRefresh: jest.fn(),
    setNavigationBar: jest.fn(),
    previewImage: jest.fn(),
    downloadFile: jest.fn(opts => Promise.resolve().then(() => opts.success({ apFilePath: 'https://resource/' + opts.url.split('/').pop() + '.image' }))),
    getExtConfigSync: jest.fn(() => ({}))
  }
  return my
}

function installMy() {
  const my = createMy()
  global.my = my
  require('../../utils/api').resetApi()
  return my
}

function signIn(my, user) {
  my._store.set('smart315.auth', {
    access_token: 'access-1',
    refresh_token: 'refresh-1',
    user: Object.assign({ id: 1, kind: 'consumer', display_name: '李四', phone_masked: null }, user || {})
  })
}

/** setData with Alipay/WeChat path keys: "a.b", "a[0].b". */
function setPath(target, keyPath, value) {
  const parts = keyPath.replace(/\[(\d+)\]/g, '.$1').split('.')
  let obj = target
  for (let i = 0; i < parts.length - 1; i++) {
    if (obj[parts[i]] === undefined || obj[parts[i]] === null) obj[parts[i]] = /^\d+$/.test(parts[i + 1]) ? [] : {}
    obj = obj[parts[i]]
  }
  obj[parts[parts.length - 1]] = value
}

/** Load pages/<name>.js with a fake Page() and return a live instance of it. */
function loadPage(name, query) {
  let config = null
  global.Page = c => { config = c }
  jest.isolateModules(() => {
    require(path.join(ROOT, 'pages', name + '.js'))
  })
  const page = Object.assign({}, config)
  page.data = JSON.parse(JSON.stringify(config.data || {}))
  page.setData = function (changes) {
    Object.keys(changes).forEach(k => setPath(this.data, k, JSON.parse(JSON.stringify(changes[k] === undefined ? null : changes[k]))))
  }
  page._onLoadResult = page.onLoad ? page.onLoad(query || {}) : undefined
  return page
}

async function flush(times = 8) {
  for (let i = 0; i < times; i++) await new Promise(r => setTimeout(r, 0))
}

function problem(status, code, extra) {
  return { status, data: Object.assign({ type: 'about:blank', title: code, status, detail: '', code }, extra || {}) }
}

function ev(value, dataset) {
  return { detail: { value }, currentTarget: { dataset: dataset || {} }, target: { dataset: dataset || {} } }
}

module.exports = { createMy, installMy, signIn, loadPage, flush, problem, ev, ROOT }
