/*
 * End to end: utils/api.js in Node against the real running server (started by the lead's
 * pytest wrapper, which sets SMART315_E2E_BASE_URL, e.g. http://127.0.0.1:8000/api/v1).
 */
const { createNodeMy } = require('./my-node')

const BASE_URL = process.env.SMART315_E2E_BASE_URL

describe('Alipay client against the real server', () => {
  test('sign in, file a complaint idempotently, read it, withdraw it', async () => {
    if (!BASE_URL) {
      throw new Error('SMART315_E2E_BASE_URL is not set: start the server (and simulators) and export its /api/v1 base URL')
    }
    global.my = createNodeMy('ok-e2e-user')
    const { createApi } = require('../../utils/api')
    const draft = require('../../utils/core')
    const api = createApi({ baseUrl: BASE_URL })

    const tokens = await api.loginWithAlipay()
    expect(tokens.access_token).toBeTruthy()
    expect(tokens.user.kind).toBe('consumer')

    const industries = await api.get('/industries')
    expect(industries.items.length).toBeGreaterThan(0)
    const categories = await api.get('/categories')
    expect(categories.items.length).toBeGreaterThan(0)

    const form = Object.assign(draft.emptyForm(), {
      business_name: '端到端测试商店（支付宝）',
      industry_code: industries.items[0].code,
      category: categories.items[0].code,
      region_code: '110101',
      title: '端到端测试：商品质量问题',
      description: '购买的商品收到后无法使用，联系商家未果。',
      purchase_date: draft.todayString(),
      amount_claimed: '199',
      demands: ['refund'],
      public_consent: false
    })
    expect(draft.validateComplaint(form)).toEqual({})
    const key = draft.newIdempotencyKey()
    const body = draft.buildComplaintPayload(form)
    const created = await api.post('/complaints', body, { idempotencyKey: key })
    expect(created.id).toBeTruthy()
    expect(created.status).toBe('submitted')
    expect(created.allowed_actions).toContain('withdraw')

    // A retry with the same key files nothing new.
    const again = await api.post('/complaints', body, { idempotencyKey: key })
    expect(again.id).toBe(created.id)

    const got = await api.get('/complaints/' + created.id)
    expect(got.title).toBe(form.title)
    expect(Array.isArray(got.timeline)).toBe(true)

    const withdrawn = await api.post('/complaints/' + created.id + '/transitions', { action: 'withdraw' })
    expect(withdrawn.status).toBe('withdrawn')
    const final = await api.get('/complaints/' + created.id)
    expect(final.status).toBe('withdrawn')
  }, 30000)

  test('legal documents, consents recorded from this channel, and 注销账号', async () => {
    if (!BASE_URL) throw new Error('SMART315_E2E_BASE_URL is not set')
    global.my = createNodeMy('ok-e2e-consent')
    const { createApi } = require('../../utils/api')
    const api = createApi({ baseUrl: BASE_URL })
    const legal = await api.loadLegal()
    for (const d of ['privacy', 'terms']) {
      expect(legal[d].version).toBeTruthy()
      expect(legal[d].title).toBeTruthy()
      expect(legal[d].url).toMatch(/^https?:\/\//)
    }
    await api.loginWithAlipay()
    await api.recordConsents(legal)
    const mine = await api.get('/me/consents')
    const got = mine.items.map(c => [c.document, c.version, c.channel]).sort()
    expect(got).toEqual([['privacy', legal.privacy.version, 'alipay'], ['terms', legal.terms.version, 'alipay']])

    my.setStorageSync({ key: 'smart315.complaint_draft', data: { form: { title: 'x' } } })
    await api.deleteAccount()
    expect(api.isSignedIn()).toBe(false)
    expect(my.getStorageSync({ key: 'smart315.complaint_draft' }).data).toBeFalsy()
  }, 30000)
})
