const fs = require('fs')
const path = require('path')
const { installMy, signIn, loadPage, flush, problem, ev, ROOT } = require('../helpers/my')

const LEGAL = {
  privacy: { version: '2026-11', title: '隐私政策', url: 'https://smart315.cn/legal/privacy' },
  terms: { version: '2026-10', title: '用户服务协议', url: 'https://smart315.cn/legal/terms' }
}

describe('Alipay build configuration', () => {
  const config = () => require('../../config')

  test.each([['develop', 'develop'], ['trial', 'trial'], ['release', 'release'], ['gray', 'release']])(
    'envVersion %s uses the %s URL from config.js', (env, key) => {
      const my = installMy()
      my.getAccountInfoSync = jest.fn(() => ({ miniProgram: { appId: '2021', envVersion: env } }))
      expect(config().getApiBaseUrl()).toBe(config().API_BASE_URLS[key])
    })

  test('a release build ignores a storage override', () => {
    const my = installMy()
    my._store.set('smart315.api_base_url', 'http://10.0.0.2:8000/api/v1')
    my.getAccountInfoSync = jest.fn(() => ({ miniProgram: { envVersion: 'release' } }))
    expect(config().getApiBaseUrl()).toBe(config().API_BASE_URLS.release)
  })

  test('the release check refuses the shipped placeholder URLs', () => {
    const check = require('../../../scripts/check-miniapp-release')
    expect(check.checkApp(ROOT).join('\n')).toMatch(/alipay_miniapp\/config\.js: API_BASE_URLS\.release/)
  })
})

describe('Alipay sign-in consent', () => {
  let my
  beforeEach(() => {
    my = installMy()
    my._route('GET', '/legal', () => ({ data: LEGAL }))
    my._route('POST', '/auth/alipay', () => ({ data: { access_token: 'a1', refresh_token: 'r1', user: { id: 3, kind: 'consumer' } } }))
    my._route('POST', '/me/consents', req => ({ status: 201, data: req.data }))
  })

  test('no authorisation on the first screen: nothing asks for an auth code until a tap', async () => {
    my._route('GET', '/public/stats', () => ({ data: {} }))
    my._route('GET', '/public/rankings', () => ({ data: { items: [] } }))
    const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))
    expect(app.pages[0]).toBe('pages/index/index')
    let appConfig = null
    global.App = c => { appConfig = c }
    jest.isolateModules(() => require(path.join(ROOT, 'app.js')))
    appConfig.onLaunch()
    const home = loadPage('index/index', {})
    await home._onLoadResult
    const login = loadPage('login/login', {})
    await login._onLoadResult
    await flush()
    expect(my.getAuthCode).not.toHaveBeenCalled()
    await login.onLogin()
    expect(my.getAuthCode).not.toHaveBeenCalled()
    expect(login.data.error).toBe('请先阅读并同意《隐私政策》和《用户服务协议》')
  })

  test('ticked consent: signed in, both documents recorded with channel alipay', async () => {
    const page = loadPage('login/login', {})
    await page._onLoadResult
    page.onToggleAgree()
    await page.onLogin()
    await flush()
    expect(my._calls.filter(c => c.path === '/me/consents').map(c => c.data)).toEqual([
      { document: 'privacy', version: '2026-11', channel: 'alipay' },
      { document: 'terms', version: '2026-10', channel: 'alipay' }
    ])
  })

  test('the policy link opens our web-view page', async () => {
    const page = loadPage('login/login', {})
    await page._onLoadResult
    page.onOpenPrivacy()
    expect(my.navigateTo.mock.calls[0][0].url).toBe('/pages/webview/webview?url=' + encodeURIComponent(LEGAL.privacy.url) + '&title=' + encodeURIComponent('隐私政策'))
    const view = loadPage('webview/webview', { url: encodeURIComponent(LEGAL.privacy.url), title: encodeURIComponent('隐私政策') })
    expect(view.data.url).toBe(LEGAL.privacy.url)
    expect(my.setNavigationBar).toHaveBeenCalledWith({ title: '隐私政策' })
  })
})

describe('Alipay 注销账号 and sign-out', () => {
  let my
  beforeEach(() => {
    my = installMy()
    signIn(my)
    my._store.set('smart315.complaint_draft', { form: { title: '草稿' } })
  })

  test('confirmed deletion calls DELETE /me and leaves neither tokens nor draft', async () => {
    my._route('DELETE', '/me', () => ({ status: 204 }))
    const page = loadPage('me/me', {})
    await page.onDeleteAccount()
    expect(my.confirm.mock.calls[0][0].title).toBe('注销账号')
    expect(my._calls.find(c => c.method === 'DELETE' && c.path === '/me')).toBeTruthy()
    expect(my._store.has('smart315.auth')).toBe(false)
    expect(my._store.has('smart315.complaint_draft')).toBe(false)
    expect(my.reLaunch).toHaveBeenCalledWith({ url: '/pages/index/index' })
  })

  test('logout clears the draft', async () => {
    my._route('POST', '/auth/logout', () => ({ status: 204 }))
    const page = loadPage('me/me', {})
    await page.onLogout()
    expect(my._store.has('smart315.complaint_draft')).toBe(false)
  })
})

describe('Alipay complaint detail', () => {
  test('evidence photos are downloaded with the Bearer header and previewed', async () => {
    const my = installMy()
    signIn(my)
    my._route('GET', '/complaints/9', () => ({ data: { id: 9, title: 't', status: 'forwarded', description: 'a\nb', allowed_actions: [], timeline: [],
      attachments: [{ id: 'p1', mime: 'image/jpeg', url: '/api/v1/uploads/p1' }, { id: 'p2', mime: 'image/jpeg', url: '/api/v1/uploads/p2' }] } }))
    my._route('GET', '/complaints/9/messages', () => ({ data: { items: [] } }))
    const page = loadPage('complaint/detail', { id: '9' })
    await page._onLoadResult
    await page.onPreviewPhoto(ev(null, { index: 1 }))
    expect(my.downloadFile.mock.calls[0][0].header.Authorization).toBe('Bearer access-1')
    expect(my.previewImage).toHaveBeenCalledWith({ urls: ['https://resource/p1.image', 'https://resource/p2.image'], current: 1 })
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'pages/complaint/detail.json'), 'utf8'))
    expect(json.pullRefresh).toBe(true)
    await page.onPullDownRefresh()
    expect(my.stopPullDownRefresh).toHaveBeenCalled()
  })

  test('a business with an insufficient index shows no score', async () => {
    const my = installMy()
    my._route('GET', '/businesses/3', () => ({ data: { id: 3, name: '新店', index: { score: 75.6, grade: 'B', insufficient: true, components: {} } } }))
    const page = loadPage('business/detail', { id: '3' })
    await page._onLoadResult
    expect(page.data.index.insufficient).toBe(true)
    expect(page.data.index.score).toBe('')
    expect(fs.readFileSync(path.join(ROOT, 'pages/business/detail.axml'), 'utf8')).toContain('投诉不足，暂不评分')
  })
})

describe('Alipay filing form keystrokes', () => {
  test('a keystroke sends only its field through setData, and the draft keeps it', async () => {
    const my = installMy()
    signIn(my)
    my._route('GET', /.*/, () => ({ data: { items: [] } }))
    const page = loadPage('complaint/new', {})
    await flush()
    const sent = []
    const setData = page.setData
    page.setData = function (changes) { sent.push(Object.keys(changes)); return setData.call(this, changes) }
    page.onTitleInput(ev('买到过期'))
    expect(sent).toHaveLength(1)
    expect(sent[0]).toContain('form.title')
    expect(sent[0]).not.toContain('form')
    expect(page.data.form.title).toBe('买到过期')
    expect(my._store.get('smart315.complaint_draft').form.title).toBe('买到过期')
  })
})
