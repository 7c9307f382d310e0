/**
 * @jest-environment jsdom
 */
// The complete case on the Alipay complaint detail page, rendered from its .axml (generated from
// miniapp-shared/): materials, the fulfilment question, reopening, the clock's meaning, photos in
// messages, the public reply, collective cases and subscribe requests from a tap.
const { installMy, signIn, flush } = require('../helpers/my')
const { renderPage, text } = require('../helpers/render')

const DAY = 86400000

function complaint(overrides) {
  return Object.assign({
    id: 123,
    public_no: 'TS2026112800000123',
    title: '空调不制冷',
    description: '安装后一直不制冷',
    status: 'mediating',
    business_name: '某电器',
    created_at: '2026-11-28T10:00:00+08:00',
    deadline_at: new Date(Date.now() + 20 * DAY + 3600000).toISOString(),
    allowed_actions: [],
    paused: false,
    materials_due_at: null,
    timeline: [
      { action: 'respond', from_status: 'forwarded', to_status: 'responded', note: '7日内退款3299元', actor_role: 'business_staff', created_at: '2026-11-29T10:00:00+08:00' }
    ]
  }, overrides || {})
}

function transitionsAnswer(my, next) {
  const seen = []
  my._route('POST', '/complaints/123/transitions', req => { seen.push(req.data); return { data: next } })
  return seen
}

function uploadsAnswer(my, ids) {
  let n = 0
  my.uploadFile.mockImplementation(opts => {
    const id = ids[n++]
    setTimeout(() => opts.success({ statusCode: 201, data: JSON.stringify({ id, mime: 'image/jpeg', size: 5, sha256: 'x' }) }), 0)
    return { onProgressUpdate: () => {} }
  })
}

describe('Alipay complaint detail: the complete case', () => {
  let my
  beforeEach(() => {
    my = installMy()
    signIn(my)
    my._route('GET', '/complaints/123/messages', () => ({ data: { items: [] } }))
    my._route('GET', '/client-config', () => ({ data: { wechat: { subscribe_templates: {} }, alipay: { subscribe_templates: {} } } }))
  })

  test('materials: the request, its deadline, the paused clock; the supplement sends note and my.chooseImage photos', async () => {
    const c = complaint({ paused: true, paused_reason: 'materials', materials_due_at: new Date(Date.now() + 5 * DAY + 3600000).toISOString(), allowed_actions: ['supplement'] })
    c.timeline.push({ action: 'request_materials', note: '请提供购买发票', actor_role: 'mediator', created_at: '2026-11-30T10:00:00+08:00' })
    my._route('GET', '/complaints/123', () => ({ data: c }))
    const seen = transitionsAnswer(my, complaint())
    my.chooseImage.mockImplementation(opts => opts.success({ apFilePaths: ['https://resource/invoice.jpg'] }))
    uploadsAnswer(my, ['u1'])
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(text(comp, '#deadline')).toBe('计时已暂停：原因：补正材料，暂停期间不计入处理期限')
    expect(text(comp, '#materials-note')).toBe('请提供购买发票')
    expect(text(comp, '#materials-due')).toMatch(/（剩余5天\d+小时），逾期未补正的投诉不予受理$/)
    comp.querySelector('#action-supplement').dispatchEvent('tap')
    await flush()
    comp.querySelector('#action-submit').dispatchEvent('tap')
    await flush()
    expect(text(comp, '#action-note-error')).toBe('请说明补充的材料')
    comp.querySelector('#action-photo-add').dispatchEvent('tap')
    await flush(12)
    expect(my.uploadFile.mock.calls[0][0].filePath).toBe('https://resource/invoice.jpg.compressed')
    comp.querySelector('#action-note').dispatchEvent('input', { detail: { value: '发票见照片' } })
    comp.querySelector('#action-submit').dispatchEvent('tap')
    await flush()
    expect(seen).toEqual([{ action: 'supplement', note: '发票见照片', attachment_ids: ['u1'] }])
    expect(comp.querySelector('#materials')).toBeUndefined()
  })

  test('the fulfilment question: 已履行 through my.confirm, 未履行 with a note', async () => {
    my._route('GET', '/complaints/123', () => ({ data: complaint({ status: 'resolved', allowed_actions: ['fulfilled', 'not_fulfilled'] }) }))
    const seen = transitionsAnswer(my, complaint({ status: 'mediating' }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(text(comp, '#proposal-note')).toBe('7日内退款3299元')
    my.confirm.mockImplementationOnce(opts => opts.success({ confirm: false }))
    comp.querySelector('#fulfil-yes').dispatchEvent('tap')
    await flush()
    expect(my.confirm).toHaveBeenCalledWith(expect.objectContaining({ confirmButtonText: '已履行' }))
    expect(seen).toEqual([])
    comp.querySelector('#fulfil-no').dispatchEvent('tap')
    await flush()
    comp.querySelector('#action-note').dispatchEvent('input', { detail: { value: '退款未到账' } })
    comp.querySelector('#action-submit').dispatchEvent('tap')
    await flush()
    expect(seen).toEqual([{ action: 'not_fulfilled', note: '退款未到账' }])
    expect(text(comp, '#status')).toBe('调解中')
  })

  test('reopening needs a note', async () => {
    my._route('GET', '/complaints/123', () => ({ data: complaint({ status: 'closed', deadline_at: null, allowed_actions: ['reopen'] }) }))
    const seen = transitionsAnswer(my, complaint({ status: 'mediating' }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    comp.querySelector('#action-reopen').dispatchEvent('tap')
    await flush()
    comp.querySelector('#action-submit').dispatchEvent('tap')
    await flush()
    expect(text(comp, '#action-note-error')).toBe('请说明重新打开的理由')
    comp.querySelector('#action-note').dispatchEvent('input', { detail: { value: '再次损坏' } })
    comp.querySelector('#action-submit').dispatchEvent('tap')
    await flush()
    expect(seen).toEqual([{ action: 'reopen', note: '再次损坏' }])
  })

  test('the business sees the consumer\'s confirmation period after answering', async () => {
    signIn(my, { kind: 'business_staff' })
    my._route('GET', '/complaints/123', () => ({ data: complaint({ status: 'responded', deadline_at: new Date(Date.now() + 6 * DAY + 3600000).toISOString() }) }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(text(comp, '#deadline')).toMatch(/^消费者确认期限（期满未回复视为解决）：剩余6天\d+小时$/)
  })

  test('message photos: sent with attachment_ids, shown with my.previewImage', async () => {
    my._route('GET', '/complaints/123/messages', () => ({ data: { items: [
      { id: 1, body: '发票', author_role: 'consumer', created_at: '2026-11-29T12:00:00+08:00', attachments: [{ id: 'm1', mime: 'image/jpeg', url: '/api/v1/uploads/m1' }] }
    ] } }))
    my._route('GET', '/complaints/123', () => ({ data: complaint() }))
    let posted = null
    my._route('POST', '/complaints/123/messages', req => { posted = req.data; return { status: 201, data: { id: 2, body: req.data.body, author_role: 'consumer', created_at: '2026-11-29T13:00:00+08:00' } } })
    my.chooseImage.mockImplementation(opts => opts.success({ apFilePaths: ['https://resource/b.jpg'] }))
    uploadsAnswer(my, ['u9'])
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    comp.querySelector('#msg-0-photo-0').dispatchEvent('tap')
    await flush()
    expect(my.previewImage).toHaveBeenCalledWith({ urls: ['https://resource/m1.image'], current: 0 })
    comp.querySelector('#message-photo-add').dispatchEvent('tap')
    await flush(12)
    comp.querySelector('#message-input').dispatchEvent('input', { detail: { value: '补一张' } })
    comp.querySelector('#message-send').dispatchEvent('tap')
    await flush()
    expect(posted).toEqual({ body: '补一张', attachment_ids: ['u9'] })
  })

  test('public reply and collective members', async () => {
    my._route('GET', '/complaints/123', () => ({ data: complaint({ business_reply: { text: '已退款', replied_at: '2026-11-30T09:00:00+08:00' }, collective: { members: 3, amount_claimed_total: '300.00' } }) }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(text(comp, '#public-reply-text')).toBe('已退款')
    expect(text(comp, '#collective')).toBe('集体投诉 · 3位消费者参与 · 涉及金额合计¥300.00')
  })

  test('reminders from a tap with the Alipay templates of the server\'s config', async () => {
    my._route('GET', '/client-config', () => ({ data: { wechat: { subscribe_templates: { 'complaint.responded': 'W' } }, alipay: { subscribe_templates: { 'complaint.responded': 'A-RESP', 'complaint.mediating': 'A-MED' } } } }))
    my._route('POST', '/me/subscriptions', () => ({ status: 204 }))
    my._route('GET', '/complaints/123', () => ({ data: complaint({ status: 'forwarded' }) }))
    my.requestSubscribeMessage.mockImplementation(opts => opts.success({ behavior: 'subscribe', result: { subscribeEntityIds: ['A-RESP'] } }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(my.requestSubscribeMessage).not.toHaveBeenCalled()
    comp.querySelector('#subscribe-btn').dispatchEvent('tap')
    await flush()
    expect(my.requestSubscribeMessage.mock.calls[0][0].entityIds).toEqual(['A-RESP', 'A-MED'])
    expect(my._calls.find(c => c.path === '/me/subscriptions').data).toEqual({ channel: 'alipay', template_ids: ['A-RESP', 'A-MED'], accepted: ['A-RESP'] })
    expect(comp.querySelector('#subscribe')).toBeUndefined()
  })
})
