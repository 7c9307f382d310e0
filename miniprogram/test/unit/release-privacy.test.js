const fs = require('fs')
const path = require('path')
const { installWx, signIn, renderPage, flush, text, problem, ROOT } = require('../helpers/wx')

const LEGAL = {
  privacy: { version: '2026-11', title: '隐私政策', url: 'https://smart315.cn/legal/privacy' },
  terms: { version: '2026-10', title: '用户服务协议', url: 'https://smart315.cn/legal/terms' }
}
const TOKENS = { access_token: 'a1', refresh_token: 'r1', user: { id: 7, kind: 'consumer', display_name: '微信用户', phone_masked: '139****0000' } }

describe('sign-in with the privacy policy and user agreement', () => {
  let wx
  beforeEach(() => {
    wx = installWx()
    wx._route('GET', '/legal', () => ({ data: LEGAL }))
    wx._route('POST', '/auth/wechat', () => ({ data: TOKENS }))
    wx._route('POST', '/me/consents', req => ({ status: 201, data: Object.assign({ channel: 'wechat', current: true }, req.data) }))
  })

  test('without ticking the consent box nobody is signed in', async () => {
    const comp = renderPage('login/login')
    await flush()
    comp.querySelector('#login-btn').dispatchEvent('tap')
    await flush()
    expect(wx.login).not.toHaveBeenCalled()
    expect(text(comp, '#error')).toBe('请先阅读并同意《隐私政策》和《用户服务协议》')
    expect(wx._store.has('smart315.auth')).toBe(false)
  })

  test('the links open the documents of /legal in a web-view page', async () => {
    const comp = renderPage('login/login')
    await flush()
    expect(text(comp, '#privacy-link')).toBe('《隐私政策》')
    comp.querySelector('#privacy-link').dispatchEvent('tap')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/webview/webview?url=' + encodeURIComponent(LEGAL.privacy.url) + '&title=' + encodeURIComponent('隐私政策') })
    comp.querySelector('#terms-link').dispatchEvent('tap')
    await flush()
    expect(wx.navigateTo.mock.calls[1][0].url).toContain(encodeURIComponent(LEGAL.terms.url))

    const view = renderPage('webview/webview', { url: encodeURIComponent(LEGAL.terms.url), title: encodeURIComponent('用户服务协议') })
    await flush()
    expect(view.querySelector('#webview')).toBeTruthy()
    expect(view.instance.data.url).toBe(LEGAL.terms.url)
    expect(fs.readFileSync(path.join(ROOT, 'pages/webview/webview.wxml'), 'utf8')).toMatch(/<web-view[^>]*src="\{\{url\}\}"/)
    expect(wx.setNavigationBarTitle).toHaveBeenCalledWith({ title: '用户服务协议' })
  })

  test('consent to both documents is recorded after sign-in, channel wechat', async () => {
    const comp = renderPage('login/login')
    await flush()
    comp.querySelector('#agree').dispatchEvent('tap')
    comp.querySelector('#login-btn').dispatchEvent('tap')
    await flush(8)
    const consents = wx._calls.filter(c => c.path === '/me/consents')
    expect(consents.map(c => c.data)).toEqual([
      { document: 'privacy', version: '2026-11', channel: 'wechat' },
      { document: 'terms', version: '2026-10', channel: 'wechat' }
    ])
    expect(consents[0].header.Authorization).toBe('Bearer a1')
    expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/index/index' })
  })
})

describe('WeChat privacy check', () => {
  test('app.json turns on __usePrivacyCheck__ and the app registers our prompt', () => {
    const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))
    expect(app.__usePrivacyCheck__).toBe(true)
    expect(app.pages).toContain('pages/privacy/privacy')
  })

  test('the app registers the listener at launch', () => {
    const wx = installWx()
    wx.onNeedPrivacyAuthorization = jest.fn()
    let appConfig = null
    global.App = c => { appConfig = c }
    jest.isolateModules(() => require(path.join(ROOT, 'app.js')))
    appConfig.onLaunch()
    expect(wx.onNeedPrivacyAuthorization).toHaveBeenCalledWith(expect.any(Function))
  })

  test('a privacy request opens our page', async () => {
    const wx = installWx()
    let handler = null
    wx.onNeedPrivacyAuthorization = jest.fn(h => { handler = h })
    wx.getPrivacySetting = jest.fn(o => o.success({ needAuthorization: true, privacyContractName: '《智慧3·15小程序隐私保护指引》' }))
    wx.openPrivacyContract = jest.fn()
    jest.isolateModules(() => {
      const privacy = require('../../utils/privacy')
      expect(privacy.install()).toBe(true)
    })
    const resolve = jest.fn()
    handler(resolve, { referrer: 'chooseMedia' })
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/privacy/privacy?api=chooseMedia' })
  })

  test('the prompt page shows the guideline and answers agree / disagree', async () => {
    const wx = installWx()
    let handler = null
    wx.onNeedPrivacyAuthorization = jest.fn(h => { handler = h })
    wx.getPrivacySetting = jest.fn(o => o.success({ privacyContractName: '《智慧3·15隐私保护指引》' }))
    wx.openPrivacyContract = jest.fn()
    require('../../utils/privacy').install()

    const agreed = jest.fn()
    handler(agreed, {})
    let comp = renderPage('privacy/privacy')
    await flush()
    expect(text(comp, '#contract-link')).toBe('《智慧3·15隐私保护指引》')
    comp.querySelector('#contract-link').dispatchEvent('tap')
    await flush()
    expect(wx.openPrivacyContract).toHaveBeenCalled()
    // WeChat records the consent only through a button of this open-type.
    expect(fs.readFileSync(path.join(ROOT, 'pages/privacy/privacy.wxml'), 'utf8'))
      .toMatch(/id="agree-btn"[^>]*open-type="agreePrivacyAuthorization"[^>]*bindagreeprivacyauthorization="onAgree"/)
    comp.querySelector('#agree-btn').dispatchEvent('agreeprivacyauthorization')
    await flush()
    expect(agreed).toHaveBeenCalledWith({ buttonId: 'agree-btn', event: 'agree' })
    expect(wx.navigateBack).toHaveBeenCalled()

    const refused = jest.fn()
    handler(refused, {})
    comp = renderPage('privacy/privacy')
    comp.querySelector('#disagree-btn').dispatchEvent('tap')
    await flush()
    expect(refused).toHaveBeenCalledWith({ event: 'disagree' })
  })
})

describe('account deletion and the draft at sign-out', () => {
  let wx
  beforeEach(() => {
    wx = installWx()
    signIn(wx)
    wx._store.set('smart315.complaint_draft', { form: { title: '买到过期食品' } })
    wx._route('GET', '/me', () => ({ data: { id: 1, kind: 'consumer', display_name: '张三' } }))
  })

  test('注销账号 asks first, then DELETE /me signs out and leaves no draft', async () => {
    wx._route('DELETE', '/me', () => ({ status: 204 }))
    const comp = renderPage('me/me')
    comp.instance.onShow()
    await flush()
    expect(text(comp, '#delete-btn')).toBe('注销账号')
    comp.querySelector('#delete-btn').dispatchEvent('tap')
    await flush(8)
    expect(wx.showModal.mock.calls[0][0].title).toBe('注销账号')
    expect(wx._calls.find(c => c.method === 'DELETE' && c.path === '/me').header.Authorization).toBe('Bearer access-1')
    expect(wx._store.has('smart315.auth')).toBe(false)
    expect(wx._store.has('smart315.complaint_draft')).toBe(false)
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/index/index' })
  })

  test('cancelling the confirmation deletes nothing', async () => {
    wx.showModal = jest.fn(o => o.success({ confirm: false, cancel: true }))
    const comp = renderPage('me/me')
    comp.instance.onShow()
    await flush()
    comp.querySelector('#delete-btn').dispatchEvent('tap')
    await flush(8)
    expect(wx._calls.find(c => c.method === 'DELETE')).toBeUndefined()
    expect(wx._store.has('smart315.auth')).toBe(true)
  })

  test('a refused deletion keeps the account signed in and says why', async () => {
    wx._route('DELETE', '/me', () => problem(409, 'conflict', { detail: '您有处理中的投诉，请处理完毕后再注销' }))
    const comp = renderPage('me/me')
    comp.instance.onShow()
    await flush()
    comp.querySelector('#delete-btn').dispatchEvent('tap')
    await flush(8)
    expect(wx._store.has('smart315.auth')).toBe(true)
    expect(wx.showToast).toHaveBeenCalled()
    expect(wx.reLaunch).not.toHaveBeenCalled()
  })

  test('退出登录 removes the complaint draft from the phone', async () => {
    wx._route('POST', '/auth/logout', () => ({ status: 204 }))
    const comp = renderPage('me/me')
    comp.instance.onShow()
    await flush()
    comp.querySelector('#logout-btn').dispatchEvent('tap')
    await flush(8)
    expect(wx._store.has('smart315.auth')).toBe(false)
    expect(wx._store.has('smart315.complaint_draft')).toBe(false)
  })
})
