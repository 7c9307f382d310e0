const { installWx, renderPage, flush, text, problem } = require('../helpers/wx')

describe('login page', () => {
  let wx
  beforeEach(() => {
    wx = installWx()
  })

  test('wx.login code is exchanged at /auth/wechat, tokens stored, then phone binding is offered', async () => {
    wx._route('POST', '/auth/wechat', req => ({
      data: {
        access_token: 'a1', refresh_token: 'r1', token_type: 'Bearer', expires_in: 900,
        user: { id: 7, kind: 'consumer', display_name: '微信用户', phone_masked: null }
      }
    }))
    const comp = renderPage('login/login')
    comp.querySelector('#agree').dispatchEvent('tap')
    comp.querySelector('#login-btn').dispatchEvent('tap')
    await flush()
    expect(wx.login).toHaveBeenCalled()
    const req = wx._calls.find(c => c.path === '/auth/wechat')
    expect(req.data).toEqual({ code: 'ok-test-user' })
    expect(wx._store.get('smart315.auth').access_token).toBe('a1')
    expect(wx._store.get('smart315.auth').refresh_token).toBe('r1')
    expect(comp.querySelector('#phone-btn')).toBeTruthy()

    wx._route('POST', '/me/phone/wechat', req => ({ data: { phone_masked: '139****0000' } }))
    comp.querySelector('#phone-btn').dispatchEvent('getphonenumber', { detail: { code: 'phone-code-1' } })
    await flush()
    const bind = wx._calls.find(c => c.path === '/me/phone/wechat')
    expect(bind.data).toEqual({ phone_code: 'phone-code-1' })
    expect(bind.header.Authorization).toBe('Bearer a1')
    expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/index/index' })
  })

  test('a refused code shows a Chinese message and stores nothing', async () => {
    wx._route('POST', '/auth/wechat', () => problem(400, 'invalid_code'))
    const comp = renderPage('login/login')
    comp.querySelector('#agree').dispatchEvent('tap')
    comp.querySelector('#login-btn').dispatchEvent('tap')
    await flush()
    expect(text(comp, '#error')).toBe('授权失败，请重新登录')
    expect(wx._store.has('smart315.auth')).toBe(false)
  })

  test('network failure says so plainly', async () => {
    wx._route('POST', '/auth/wechat', () => 'network')
    const comp = renderPage('login/login')
    comp.querySelector('#agree').dispatchEvent('tap')
    comp.querySelector('#login-btn').dispatchEvent('tap')
    await flush()
    expect(text(comp, '#error')).toBe('网络不给力，请稍后重试')
  })

  test('after login a deep-link redirect is honoured', async () => {
    wx._route('POST', '/auth/wechat', () => ({
      data: { access_token: 'a', refresh_token: 'r', user: { id: 1, kind: 'business_staff', display_name: '店长', phone_masked: '138****0000' } }
    }))
    const comp = renderPage('login/login', { redirect: encodeURIComponent('/pages/complaint/detail?id=123') })
    comp.querySelector('#agree').dispatchEvent('tap')
    comp.querySelector('#login-btn').dispatchEvent('tap')
    await flush()
    expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/complaint/detail?id=123' })
  })
})
