const { installWx, signIn, flush, problem } = require('../helpers/wx')
const { createApi } = require('../../utils/api')

describe('api client (token refresh, errors)', () => {
  let wx, api
  beforeEach(() => {
    wx = installWx()
    api = createApi({ baseUrl: 'http://127.0.0.1:8000/api/v1' })
  })

  test('concurrent 401s trigger exactly one refresh, then every call is retried with the new token', async () => {
    signIn(wx)
    wx._route('GET', /^\/complaints/, req =>
      req.header.Authorization === 'Bearer access-2' ? { data: { items: [], total: 0, path: req.path } } : problem(401, 'unauthorized'))
    wx._route('POST', '/auth/refresh', req => {
      expect(req.data).toEqual({ refresh_token: 'refresh-1' })
      return { data: { access_token: 'access-2', refresh_token: 'refresh-2', token_type: 'Bearer', expires_in: 900 } }
    })
    const results = await Promise.all([api.get('/complaints'), api.get('/complaints/1'), api.get('/complaints/2')])
    expect(results.map(r => r.path)).toEqual(['/complaints', '/complaints/1', '/complaints/2'])
    expect(wx._calls.filter(c => c.path === '/auth/refresh')).toHaveLength(1)
    const stored = wx._store.get('smart315.auth')
    expect(stored.access_token).toBe('access-2')
    expect(stored.refresh_token).toBe('refresh-2')
    expect(stored.user.display_name).toBe('张三')
  })

  test('a refused refresh (reused token, family revoked) clears storage and goes to login', async () => {
    signIn(wx)
    wx._route('GET', '/me', () => problem(401, 'unauthorized'))
    wx._route('POST', '/auth/refresh', () => problem(401, 'unauthorized'))
    await expect(api.get('/me')).rejects.toMatchObject({ status: 401, message: '登录已失效，请重新登录' })
    expect(wx._store.has('smart315.auth')).toBe(false)
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/login/login' })
  })

  test('a network failure during refresh keeps the user signed in', async () => {
    signIn(wx)
    wx._route('GET', '/me', () => problem(401, 'unauthorized'))
    wx._route('POST', '/auth/refresh', () => 'network')
    await expect(api.get('/me')).rejects.toMatchObject({ network: true, message: '网络不给力，请稍后重试' })
    expect(wx._store.get('smart315.auth').refresh_token).toBe('refresh-1')
    expect(wx.reLaunch).not.toHaveBeenCalled()
  })

  test('problem documents become plain Chinese messages', async () => {
    wx._route('GET', '/a', () => problem(429, 'rate_limited'))
    wx._route('GET', '/b', () => problem(503, 'upstream_unavailable'))
    wx._route('GET', '/c', () => problem(409, 'invalid_transition'))
    wx._route('GET', '/d', () => problem(404, 'not_found'))
    wx._route('GET', '/e', () => problem(422, 'validation_error', { errors: [{ field: 'title', message: '不能超过60个字' }] }))
    wx._route('GET', '/f', () => 'network')
    const msg = p => api.get(p).then(() => 'ok', e => e.message)
    expect(await msg('/a')).toBe('操作太频繁，请稍后再试')
    expect(await msg('/b')).toBe('服务暂时繁忙，请稍后重试')
    expect(await msg('/c')).toBe('当前状态下不能进行此操作，请刷新后重试')
    expect(await msg('/d')).toBe('内容不存在或已被删除')
    expect(await msg('/e')).toBe('投诉标题：不能超过60个字')
    expect(await msg('/f')).toBe('网络不给力，请稍后重试')
  })

  test('upload sends multipart field "file" with the Bearer header and reports progress', async () => {
    signIn(wx)
    const progress = []
    wx.uploadFile.mockImplementation(opts => {
      const listeners = []
      setTimeout(() => {
        listeners.forEach(fn => fn({ progress: 50 }))
        listeners.forEach(fn => fn({ progress: 100 }))
        opts.success({ statusCode: 201, data: JSON.stringify({ id: 'up-1', sha256: 'x', mime: 'image/jpeg', size: 10 }) })
      }, 0)
      return { onProgressUpdate: fn => listeners.push(fn) }
    })
    const res = await api.upload('wxfile://tmp/a.jpg', p => progress.push(p))
    expect(res.id).toBe('up-1')
    const opts = wx.uploadFile.mock.calls[0][0]
    expect(opts.url).toBe('http://127.0.0.1:8000/api/v1/uploads')
    expect(opts.name).toBe('file')
    expect(opts.header.Authorization).toBe('Bearer access-1')
    expect(progress).toEqual([50, 100])
  })

  test('subscribe grants are reported with the ids the user accepted', async () => {
    signIn(wx)
    wx._route('GET', '/client-config', () => ({
      data: { wechat: { subscribe_templates: { 'complaint.responded': 'T-RESP', 'complaint.resolved': 'T-RES', 'message.created': 'T-MSG', 'complaint.forwarded': 'T-FWD' } }, alipay: { subscribe_templates: {} } }
    }))
    wx._route('POST', '/me/subscriptions', () => ({ status: 204 }))
    wx.requestSubscribeMessage.mockImplementation(opts => opts.success({ 'T-RESP': 'accept', 'T-RES': 'reject', 'T-FWD': 'accept', errMsg: 'requestSubscribeMessage:ok' }))
    const ids = await api.loadSubscribeTemplateIds()
    expect(ids).toEqual(['T-RESP', 'T-RES', 'T-FWD'])
    const accepted = await api.requestSubscriptions(ids)
    expect(accepted).toEqual(['T-RESP', 'T-FWD'])
    const report = wx._calls.find(c => c.path === '/me/subscriptions')
    expect(report.data).toEqual({ channel: 'wechat', template_ids: ['T-RESP', 'T-RES', 'T-FWD'], accepted: ['T-RESP', 'T-FWD'] })
  })
})
