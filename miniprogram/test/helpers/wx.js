/*
 * A `wx` stub for unit tests: every API is a jest.fn; storage is a real in-memory map (so a
 * draft really survives a "restart"); wx.request answers from a route table the test sets.
 */
const path = require('path')
const simulate = require('miniprogram-simulate')

const ROOT = path.resolve(__dirname, '../..')

function createWx() {
  const store = new Map()
  const routes = []
  const calls = []

  const wx = {
    _store: store,
    _calls: calls,
    /** route(method, pathPrefixOrRegex, handler(req) => {status, data} | 'network') */
    _route(method, matcher, handler) {
      routes.unshift({ method, matcher, handler })
    },
    getStorageSync: jest.fn(key => (store.has(key) ? JSON.parse(JSON.stringify(store.get(key))) : '')),
    setStorageSync: jest.fn((key, value) => store.set(key, JSON.parse(JSON.stringify(value)))),
    removeStorageSync: jest.fn(key => store.delete(key)),
    login: jest.fn(opts => opts.success({ code: 'ok-test-user' })),
    request: jest.fn(opts => {
      const url = new URL(opts.url)
      const apiPath = url.pathname.replace(/^\/api\/v1/, '')
      const req = {
        method: opts.method || 'GET',
        path: apiPath,
        query: Object.fromEntries(url.searchParams),
        data: opts.data,
        header: opts.header || {}
      }
      calls.push(req)
      const route = routes.find(r => r.method === req.method &&
        (r.matcher instanceof RegExp ? r.matcher.test(apiPath) : r.matcher === apiPath))
      Promise.resolve().then(() => {
        if (!route) {
          opts.success({ statusCode: 404, data: { type: 'about:blank', title: 'Not Found', status: 404, code: 'not_found' }, header: {} })
          return
        }
        const out = route.handler(req)
        if (out === 'network') opts.fail({ errMsg: 'request:fail timeout' })
        else opts.success({ statusCode: out.status || 200, data: out.data, header: {} })
      })
      return { abort: jest.fn() }
    }),
    uploadFile: jest.fn(),
    chooseMedia: jest.fn(),
    requestSubscribeMessage: jest.fn(opts => opts.success({ errMsg: 'requestSubscribeMessage:ok' })),
    showToast: jest.fn(),
    showModal: jest.fn(opts => opts.success && opts.success({ confirm: true, cancel: false })),
    showLoading: jest.fn(),
    hideLoading: jest.fn(),
    navigateTo: jest.fn(),
    redirectTo: jest.fn(),
    switchTab: jest.fn(),
    reLaunch: jest.fn(),
    navigateBack: jest.fn(),
    stopPullDownRefresh: jest.fn(),
    setNavigationBarTitle: jest.fn(),
    previewImage: jest.fn(),
    downloadFile: jest.fn(opts => Promise.resolve().then(() => opts.success({ statusCode: 200, tempFilePath: 'wxfile://tmp/' + opts.url.split('/').pop() + '.jpg' }))),
    getExtConfigSync: jest.fn(() => ({}))
  }
  return wx
}

/** Install a fresh wx and a fresh default api instance. */
function installWx() {
  const wx = createWx()
  global.wx = wx
  require('../../utils/api').resetApi()
  return wx
}

function signIn(wx, user) {
  wx._store.set('smart315.auth', {
    access_token: 'access-1',
    refresh_token: 'refresh-1',
    user: Object.assign({ id: 1, kind: 'consumer', display_name: '张三', phone_masked: '138****5678' }, user || {})
  })
}

const loaded = {}
/** Load a page once per test file (its Component() runs once) and render a fresh instance. */
function renderPage(name, options) {
  if (!loaded[name]) loaded[name] = simulate.load(path.join(ROOT, 'pages', name), { compiler: 'simulate', rootPath: ROOT })
  const comp = simulate.render(loaded[name])
  comp.attach(document.createElement('parent-wrapper'))
  if (comp.instance.onLoad) comp.instance.onLoad(options || {})
  return comp
}

/** Let pending promise chains and mocked callbacks settle. */
async function flush(times = 5) {
  for (let i = 0; i < times; i++) await simulate.sleep(0)
}

function text(comp, selector) {
  const node = comp.querySelector(selector)
  return node ? node.dom.textContent.trim() : null
}

function problem(status, code, extra) {
  return { status, data: Object.assign({ type: 'about:blank', title: code, status, detail: '', code }, extra || {}) }
}

module.exports = { createWx, installWx, signIn, renderPage, flush, text, problem, ROOT }
