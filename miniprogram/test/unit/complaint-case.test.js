// The complete case on the complaint detail page (issues 17, 18, 19): materials, the fulfilment
// question, reopening, the clock's meaning, photos in messages, the public reply, collective
// cases and subscribe requests from a tap.
const { installWx, signIn, renderPage, flush, text } = require('../helpers/wx')

const DAY = 86400000

function complaint(overrides) {
  return Object.assign({
    id: 123,
    public_no: 'TS2026112800000123',
    title: '空调不制冷',
    description: '安装后一直不制冷',
    status: 'mediating',
    business_name: '某电器',
    amount_claimed: '3299.00',
    demands: ['repair'],
    created_at: '2026-11-28T10:00:00+08:00',
    deadline_at: new Date(Date.now() + 20 * DAY + 3600000).toISOString(),
    allowed_actions: [],
    paused: false,
    paused_reason: null,
    materials_due_at: null,
    timeline: [
      { action: 'submit', from_status: null, to_status: 'submitted', note: '', actor_role: 'consumer', created_at: '2026-11-28T10:00:00+08:00' },
      { action: 'respond', from_status: 'forwarded', to_status: 'responded', note: '7日内退款3299元', actor_role: 'business_staff', created_at: '2026-11-29T10:00:00+08:00' }
    ]
  }, overrides || {})
}

function materialsRequested() {
  const c = complaint({
    paused: true,
    paused_reason: 'materials',
    materials_due_at: new Date(Date.now() + 5 * DAY + 3600000).toISOString(),
    allowed_actions: ['supplement', 'withdraw']
  })
  c.timeline.push({ action: 'request_materials', from_status: 'mediating', to_status: 'mediating', note: '请提供购买发票和维修记录', actor_role: 'mediator', created_at: '2026-11-30T10:00:00+08:00' })
  return c
}

function uploadsAnswer(wx, ids) {
  let n = 0
  wx.uploadFile.mockImplementation(opts => {
    const id = ids[n++]
    setTimeout(() => opts.success({ statusCode: 201, data: JSON.stringify({ id, mime: 'image/jpeg', size: 1000, sha256: 's' }) }), 0)
    return { onProgressUpdate: () => {} }
  })
}

function transitionsAnswer(wx, next) {
  const seen = []
  wx._route('POST', '/complaints/123/transitions', req => { seen.push(req.data); return { data: next } })
  return seen
}

describe('complaint detail: the complete case', () => {
  let wx
  beforeEach(() => {
    wx = installWx()
    signIn(wx)
    wx._route('GET', '/complaints/123/messages', () => ({ data: { items: [] } }))
    wx._route('GET', '/client-config', () => ({ data: { wechat: { subscribe_templates: {} }, alipay: { subscribe_templates: {} } } }))
  })

  test('a request for materials shows the mediator\'s note, its deadline and the paused clock; the supplement sends note and photos', async () => {
    wx._route('GET', '/complaints/123', () => ({ data: materialsRequested() }))
    const seen = transitionsAnswer(wx, complaint({ allowed_actions: [] }))
    wx.chooseMedia.mockImplementation(opts => opts.success({ tempFiles: [{ tempFilePath: 'wxfile://invoice.jpg', size: 1000 }, { tempFilePath: 'wxfile://repair.jpg', size: 900 }] }))
    uploadsAnswer(wx, ['att-1', 'att-2'])
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(text(comp, '#deadline')).toBe('计时已暂停：原因：补正材料，暂停期间不计入处理期限')
    expect(text(comp, '#materials-note')).toBe('请提供购买发票和维修记录')
    expect(text(comp, '#materials-due')).toMatch(/^请在 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 前补正（剩余5天\d+小时），逾期未补正的投诉不予受理$/)
    expect(comp.querySelectorAll('.action-btn').map(b => b.dom.textContent.trim())).toEqual(['补正材料', '撤回投诉'])

    comp.querySelector('#action-supplement').dispatchEvent('tap')
    await flush()
    // Without a note nothing is sent.
    comp.querySelector('#action-submit').dispatchEvent('tap')
    await flush()
    expect(text(comp, '#action-note-error')).toBe('请说明补充的材料')
    expect(seen).toEqual([])

    comp.querySelector('#action-photo-add').dispatchEvent('tap')
    await flush(10)
    expect(wx.chooseMedia.mock.calls[0][0].mediaType).toEqual(['image'])
    expect(wx.uploadFile.mock.calls.map(c => c[0].filePath)).toEqual(['wxfile://invoice.jpg', 'wxfile://repair.jpg'])
    expect(text(comp, '#action-photo-1')).toContain('照片2')
    comp.querySelector('#action-note').dispatchEvent('input', { detail: { value: '发票和维修单见照片' } })
    comp.querySelector('#action-submit').dispatchEvent('tap')
    await flush()
    expect(seen).toEqual([{ action: 'supplement', note: '发票和维修单见照片', attachment_ids: ['att-1', 'att-2'] }])
    expect(comp.querySelector('#materials')).toBeUndefined()
    expect(text(comp, '#deadline')).toMatch(/^调解时限：剩余20天\d+小时$/)
  })

  test('a supplement waits for its photos to finish uploading', async () => {
    wx._route('GET', '/complaints/123', () => ({ data: materialsRequested() }))
    const seen = transitionsAnswer(wx, complaint())
    wx.chooseMedia.mockImplementation(opts => opts.success({ tempFiles: [{ tempFilePath: 'wxfile://slow.jpg', size: 1000 }] }))
    wx.uploadFile.mockImplementation(() => ({ onProgressUpdate: () => {} })) // never answers
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    comp.querySelector('#action-supplement').dispatchEvent('tap')
    await flush()
    comp.querySelector('#action-photo-add').dispatchEvent('tap')
    comp.querySelector('#action-note').dispatchEvent('input', { detail: { value: '发票' } })
    comp.querySelector('#action-submit').dispatchEvent('tap')
    await flush()
    expect(seen).toEqual([])
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '照片正在上传，请稍候' }))
  })

  test('the fulfilment question shows the promise; 已履行 asks first, 未履行 sends the answer with a note', async () => {
    const asked = complaint({ status: 'resolved', deadline_at: null, allowed_actions: ['fulfilled', 'not_fulfilled', 'reopen', 'rate'] })
    wx._route('GET', '/complaints/123', () => ({ data: asked }))
    const seen = transitionsAnswer(wx, complaint({ status: 'mediating', allowed_actions: [] }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(text(comp, '#fulfilment')).toContain('商家是否已履行和解承诺？')
    expect(text(comp, '#proposal-note')).toBe('7日内退款3299元')
    // The answers are the question's own buttons, not among the generic actions.
    expect(comp.querySelectorAll('.action-btn').map(b => b.dom.textContent.trim())).toEqual(['重新打开投诉', '评价'])

    wx.showModal.mockImplementationOnce(opts => opts.success({ confirm: false, cancel: true }))
    comp.querySelector('#fulfil-yes').dispatchEvent('tap')
    await flush()
    expect(wx.showModal).toHaveBeenCalledTimes(1)
    expect(seen).toEqual([])

    comp.querySelector('#fulfil-no').dispatchEvent('tap')
    await flush()
    comp.querySelector('#action-note').dispatchEvent('input', { detail: { value: '退款至今未到账' } })
    comp.querySelector('#action-submit').dispatchEvent('tap')
    await flush()
    expect(seen).toEqual([{ action: 'not_fulfilled', note: '退款至今未到账' }])
    expect(text(comp, '#status')).toBe('调解中')
    expect(comp.querySelector('#fulfilment')).toBeUndefined()
  })

  test('已履行 after the confirmation posts fulfilled', async () => {
    wx._route('GET', '/complaints/123', () => ({ data: complaint({ status: 'resolved', allowed_actions: ['fulfilled', 'not_fulfilled'] }) }))
    const seen = transitionsAnswer(wx, complaint({ status: 'resolved', allowed_actions: ['rate'] }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    comp.querySelector('#fulfil-yes').dispatchEvent('tap')
    await flush()
    expect(seen).toEqual([{ action: 'fulfilled' }])
    expect(comp.querySelector('#fulfilment')).toBeUndefined()
  })

  test('reopening needs a note, then the case is back in mediation', async () => {
    wx._route('GET', '/complaints/123', () => ({ data: complaint({ status: 'closed', deadline_at: null, allowed_actions: ['reopen'] }) }))
    const seen = transitionsAnswer(wx, complaint({ status: 'mediating', allowed_actions: [] }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(comp.querySelector('#fulfilment')).toBeUndefined()
    comp.querySelector('#action-reopen').dispatchEvent('tap')
    await flush()
    comp.querySelector('#action-submit').dispatchEvent('tap')
    await flush()
    expect(text(comp, '#action-note-error')).toBe('请说明重新打开的理由')
    comp.querySelector('#action-note').dispatchEvent('input', { detail: { value: '维修后再次损坏' } })
    comp.querySelector('#action-submit').dispatchEvent('tap')
    await flush()
    expect(seen).toEqual([{ action: 'reopen', note: '维修后再次损坏' }])
    expect(text(comp, '#status')).toBe('调解中')
  })

  test('a paused clock says why, whatever the reason', async () => {
    wx._route('GET', '/complaints/123', () => ({ data: complaint({ paused: true, paused_reason: 'testing' }) }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(text(comp, '#deadline')).toBe('计时已暂停：原因：检测鉴定，暂停期间不计入处理期限')
    expect(comp.dom.textContent).not.toContain('剩余')
  })

  test('after the business answers, its staff see the consumer\'s clock, not 处理时限', async () => {
    signIn(wx, { kind: 'business_staff' })
    wx._route('GET', '/complaints/123', () => ({ data: complaint({ status: 'responded', deadline_at: new Date(Date.now() + 6 * DAY + 3600000).toISOString() }) }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(text(comp, '#deadline')).toMatch(/^消费者确认期限（期满未回复视为解决）：剩余6天\d+小时$/)
    expect(text(comp, '#proposal-note')).toBe('7日内退款3299元')
    expect(comp.querySelector('#subscribe')).toBeUndefined()
  })

  test('messages carry photos both ways: sent with attachment_ids, shown with previewImage', async () => {
    wx._route('GET', '/complaints/123/messages', () => ({ data: { items: [
      { id: 1, body: '请提供发票照片', author_role: 'business_staff', created_at: '2026-11-29T11:00:00+08:00', attachments: [] },
      { id: 2, body: '这是我拍的', author_role: 'consumer', created_at: '2026-11-29T12:00:00+08:00', attachments: [
        { id: 'm1', mime: 'image/jpeg', url: '/api/v1/uploads/m1' }, { id: 'm2', mime: 'image/png', url: '/api/v1/uploads/m2' }] }
    ] } }))
    wx._route('GET', '/complaints/123', () => ({ data: complaint() }))
    let posted = null
    wx._route('POST', '/complaints/123/messages', req => {
      posted = req.data
      return { status: 201, data: { id: 3, body: req.data.body, author_role: 'consumer', created_at: '2026-11-29T13:00:00+08:00',
        attachments: [{ id: 'att-9', mime: 'image/jpeg', url: '/api/v1/uploads/att-9' }] } }
    })
    wx.chooseMedia.mockImplementation(opts => opts.success({ tempFiles: [{ tempFilePath: 'wxfile://invoice.jpg', size: 1000 }] }))
    uploadsAnswer(wx, ['att-9'])
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    comp.querySelector('#msg-1-photo-1').dispatchEvent('tap')
    await flush()
    expect(wx.downloadFile.mock.calls.map(c => c[0].header.Authorization)).toEqual(['Bearer access-1', 'Bearer access-1'])
    expect(wx.previewImage).toHaveBeenCalledWith({ urls: ['wxfile://tmp/m1.jpg', 'wxfile://tmp/m2.jpg'], current: 'wxfile://tmp/m2.jpg' })

    comp.querySelector('#message-photo-add').dispatchEvent('tap')
    await flush(10)
    expect(text(comp, '#message-photo-0')).toContain('图片1')
    // A photo alone is a message too.
    comp.querySelector('#message-send').dispatchEvent('tap')
    await flush()
    expect(posted).toEqual({ body: '', attachment_ids: ['att-9'] })
    expect(comp.querySelector('#message-photos')).toBeUndefined()
    expect(comp.querySelector('#msg-2-photo-0')).toBeDefined()
  })

  test('the business\'s public reply and the collective case\'s members are shown', async () => {
    wx._route('GET', '/complaints/123', () => ({ data: complaint({
      business_reply: { text: '已联系消费者\n全额退款', replied_at: '2026-11-30T09:00:00+08:00' },
      collective: { members: 128, amount_claimed_total: '40210.00' }
    }) }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(text(comp, '#public-reply-text')).toBe('已联系消费者\n全额退款')
    expect(text(comp, '#collective')).toBe('集体投诉 · 128位消费者参与 · 涉及金额合计¥40,210.00')
  })

  test('a consumer is offered reminders from a tap: at most three templates, for what comes next', async () => {
    wx._route('GET', '/client-config', () => ({ data: { wechat: { subscribe_templates: {
      'complaint.forwarded': 'T-FWD', 'complaint.responded': 'T-RESP', 'complaint.resolved': { id: 'T-RES', fields: { thing1: 'title' } },
      'complaint.mediating': 'T-MED', 'complaint.deadline_soon': 'T-SOON', 'message.created': 'T-MSG' } } } }))
    wx._route('POST', '/me/subscriptions', () => ({ status: 204 }))
    wx._route('GET', '/complaints/123', () => ({ data: complaint({ status: 'responded', allowed_actions: ['confirm', 'dispute'] }) }))
    wx.requestSubscribeMessage.mockImplementation(opts => opts.success({ errMsg: 'requestSubscribeMessage:ok', 'T-RES': 'accept', 'T-MED': 'reject', 'T-SOON': 'accept' }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    // Nothing is asked for until the user taps.
    expect(wx.requestSubscribeMessage).not.toHaveBeenCalled()
    expect(text(comp, '#subscribe')).toContain('商家已答复，订阅后续进展')
    comp.querySelector('#subscribe-btn').dispatchEvent('tap')
    await flush()
    expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['T-RES', 'T-MED', 'T-SOON'])
    const hint = wx._calls.find(c => c.path === '/me/subscriptions')
    expect(hint.data).toEqual({ channel: 'wechat', template_ids: ['T-RES', 'T-MED', 'T-SOON'], accepted: ['T-RES', 'T-SOON'] })
    expect(comp.querySelector('#subscribe')).toBeUndefined()
  })

  test('no templates configured for what comes next, no reminder button', async () => {
    wx._route('GET', '/complaints/123', () => ({ data: complaint({ status: 'mediating' }) }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(comp.querySelector('#subscribe')).toBeUndefined()
  })
})
