const { installWx, signIn, renderPage, flush, text, problem } = require('../helpers/wx')

function referenceRoutes(wx) {
  wx._route('GET', '/industries', () => ({ data: { items: [{ code: 'food', name: '食品' }, { code: 'online', name: '网络购物' }] } }))
  wx._route('GET', '/categories', () => ({ data: { items: [{ code: 'quality', name: '质量' }, { code: 'price', name: '价格' }] } }))
  wx._route('GET', '/regions', req => {
    const parent = req.query.parent
    if (!parent) return { data: { items: [{ code: '11', name: '北京市' }] } }
    if (parent === '11') return { data: { items: [{ code: '1101', name: '市辖区' }] } }
    return { data: { items: [{ code: '110101', name: '东城区' }, { code: '110102', name: '西城区' }] } }
  })
  wx._route('GET', '/client-config', () => ({ data: { wechat: { subscribe_templates: { 'complaint.responded': 'T1' } } } }))
  wx._route('POST', '/me/subscriptions', () => ({ status: 204 }))
  wx._route('GET', '/businesses', () => ({ data: { items: [{ id: 42, name: '某某电器旗舰店' }], total: 1 } }))
}

function input(comp, selector, value, event = 'input') {
  comp.querySelector(selector).dispatchEvent(event, { detail: { value } })
}

async function fillValidForm(comp) {
  input(comp, '#business-input', '某某电器')
  comp.querySelector('#business-search').dispatchEvent('tap')
  await flush()
  comp.querySelector('.business-option').dispatchEvent('tap')
  input(comp, '#title-input', '电视机屏幕坏了商家不给修')
  input(comp, '#description-input', '购买三天后屏幕出现竖线，联系客服多次无果。')
  input(comp, '#industry-picker', '0', 'change')
  input(comp, '#category-picker', '0', 'change')
  input(comp, '#province-picker', '0', 'change')
  await flush()
  input(comp, '#city-picker', '0', 'change')
  await flush()
  input(comp, '#district-picker', '0', 'change')
  input(comp, '#demands', ['repair', 'refund'], 'change')
  input(comp, '#amount-input', '1999.5')
  comp.querySelector('#amount-input').dispatchEvent('blur', { detail: { value: '1999.5' } })
  input(comp, '#date-picker', '2026-01-02', 'change')
  input(comp, '#order-input', 'JD123456')
  input(comp, '#consent-switch', true, 'change')
  input(comp, '#contact-group', 'phone', 'change')
}

describe('filing a complaint', () => {
  let wx
  beforeEach(() => {
    wx = installWx()
    signIn(wx)
    referenceRoutes(wx)
  })

  test('an empty form is not sent; each missing field says what to do', async () => {
    const comp = renderPage('complaint/new')
    await flush()
    comp.querySelector('#submit-btn').dispatchEvent('tap')
    await flush()
    expect(wx._calls.find(c => c.path === '/complaints')).toBeUndefined()
    expect(text(comp, '#err-title')).toBe('请填写投诉标题')
    expect(text(comp, '#err-description')).toBe('请描述遇到的问题')
    expect(text(comp, '#err-business_name')).toBe('请选择或填写被投诉商家')
    expect(text(comp, '#err-region_code')).toBe('请选择到区县一级的地区')
    expect(text(comp, '#err-demands')).toBe('请至少选择一项诉求')
  })

  test('a title over 60 characters and a bad amount are caught before sending', async () => {
    const comp = renderPage('complaint/new')
    await flush()
    input(comp, '#title-input', '长'.repeat(61))
    input(comp, '#amount-input', '12.345')
    comp.querySelector('#submit-btn').dispatchEvent('tap')
    await flush()
    expect(text(comp, '#err-title')).toBe('标题不能超过60个字')
    expect(text(comp, '#err-amount_claimed')).toBe('请输入正确的金额，如 199.00')
  })

  test('the draft survives closing the page and is restored, region lists included', async () => {
    let comp = renderPage('complaint/new')
    await flush()
    await fillValidForm(comp)
    await flush()
    comp.detach()
    // "Restart": a new page instance reading the same storage.
    require('../../utils/api').resetApi()
    comp = renderPage('complaint/new')
    await flush()
    expect(comp.querySelector('#restored')).toBeTruthy()
    const form = comp.instance.data.form
    expect(form.title).toBe('电视机屏幕坏了商家不给修')
    expect(form.region_code).toBe('110101')
    expect(form.amount_claimed).toBe('1999.50')
    expect(form.business_id).toBe(42)
    expect(comp.instance.data.districts.map(d => d.code)).toEqual(['110101', '110102'])
    expect(text(comp, '#district-picker')).toBe('东城区')
  })

  test('a retry after a network failure reuses the same Idempotency-Key, then the draft is cleared', async () => {
    let attempts = 0
    wx._route('POST', '/complaints', req => {
      attempts += 1
      if (attempts === 1) return 'network'
      return { status: 201, data: { id: 555, public_no: 'TS2026010200000555', status: 'submitted', deadline_at: '2026-01-12T23:59:59+08:00', allowed_actions: ['withdraw'] } }
    })
    const comp = renderPage('complaint/new')
    await flush()
    await fillValidForm(comp)
    await flush()
    comp.querySelector('#submit-btn').dispatchEvent('tap')
    await flush(10)
    expect(text(comp, '#submit-error')).toBe('网络不给力，请稍后重试')
    expect(wx._store.get('smart315.complaint_draft')).toBeTruthy()

    comp.querySelector('#submit-btn').dispatchEvent('tap')
    await flush(10)
    const posts = wx._calls.filter(c => c.method === 'POST' && c.path === '/complaints')
    expect(posts).toHaveLength(2)
    const key = posts[0].header['Idempotency-Key']
    expect(key).toBeTruthy()
    expect(posts[1].header['Idempotency-Key']).toBe(key)
    expect(posts[1].data).toEqual({
      business_id: 42,
      industry_code: 'food',
      region_code: '110101',
      category: 'quality',
      title: '电视机屏幕坏了商家不给修',
      description: '购买三天后屏幕出现竖线，联系客服多次无果。',
      purchase_date: '2026-01-02',
      order_no: 'JD123456',
      amount_claimed: '1999.50',
      demands: ['repair', 'refund'],
      public_consent: true,
      contact_preference: 'phone',
      attachment_ids: []
    })
    expect(wx.requestSubscribeMessage).toHaveBeenCalledWith(expect.objectContaining({ tmplIds: ['T1'] }))
    expect(wx._store.has('smart315.complaint_draft')).toBe(false)
    expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/complaint/detail?id=555' })
  })

  test('server validation errors are shown next to their fields', async () => {
    wx._route('POST', '/complaints', () => problem(422, 'validation_error', { errors: [{ field: 'order_no', message: '订单号格式不正确' }, { field: 'business_id', message: '商家不存在' }] }))
    const comp = renderPage('complaint/new')
    await flush()
    await fillValidForm(comp)
    await flush()
    comp.querySelector('#submit-btn').dispatchEvent('tap')
    await flush(10)
    expect(text(comp, '#err-business_name')).toBe('商家不存在')
    expect(text(comp, '#submit-error')).toBe('订单号：订单号格式不正确；被投诉商家：商家不存在')
  })

  test('classification suggests industry, category and businesses', async () => {
    wx._route('POST', '/assist/classify', req => ({
      data: { industry_code: 'online', category: 'price', confidence: 0.8, business_candidates: [{ id: 9, name: '某网店', score: 0.9 }] }
    }))
    const comp = renderPage('complaint/new')
    await flush()
    input(comp, '#description-input', '网店标价99结账变成199')
    comp.querySelector('#description-input').dispatchEvent('blur', { detail: {} })
    await flush()
    expect(wx._calls.find(c => c.path === '/assist/classify').data.text).toContain('网店标价99')
    expect(comp.instance.data.form.industry_code).toBe('online')
    expect(text(comp, '#industry-picker')).toBe('网络购物')
    expect(text(comp, '#category-picker')).toBe('价格')
    expect(text(comp, '.business-option')).toBe('某网店')
  })

  test('evidence photos are compressed, uploaded with progress, and their ids sent', async () => {
    wx.chooseMedia.mockImplementation(opts => opts.success({ tempFiles: [{ tempFilePath: 'wxfile://a.jpg', size: 1000 }] }))
    let progressCb
    wx.uploadFile.mockImplementation(opts => {
      setTimeout(() => {
        progressCb({ progress: 40 })
        opts.success({ statusCode: 201, data: '{"id":"att-1","sha256":"s","mime":"image/jpeg","size":1000}' })
      }, 0)
      return { onProgressUpdate: fn => { progressCb = fn } }
    })
    const comp = renderPage('complaint/new')
    await flush()
    comp.querySelector('#add-photo').dispatchEvent('tap')
    await flush(10)
    expect(wx.chooseMedia.mock.calls[0][0].sizeType).toEqual(['compressed'])
    expect(comp.instance.data.form.attachments[0].id).toBe('att-1')
    expect(wx._store.get('smart315.complaint_draft').form.attachments[0].id).toBe('att-1')
  })
})
