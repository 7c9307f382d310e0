const { installWx, signIn, renderPage, flush, text, problem } = require('../helpers/wx')

function complaint(overrides) {
  return Object.assign({
    id: 123,
    public_no: 'TS2026112800000123',
    title: '空调不制冷',
    description: '安装后一直不制冷',
    status: 'responded',
    business_name: '某电器',
    amount_claimed: '3299.00',
    demands: ['repair'],
    created_at: '2026-11-28T10:00:00+08:00',
    deadline_at: new Date(Date.now() + 3 * 86400000 + 3600000).toISOString(),
    allowed_actions: ['confirm', 'dispute', 'withdraw'],
    timeline: [
      { action: 'submit', from: null, to: 'submitted', note: '', actor_role: 'consumer', created_at: '2026-11-28T10:00:00+08:00' },
      { action: 'respond', from: 'forwarded', to: 'responded', note: '上门维修并赔偿200元', actor_role: 'business_staff', created_at: '2026-11-29T10:00:00+08:00' }
    ]
  }, overrides || {})
}

describe('complaint detail', () => {
  let wx
  beforeEach(() => {
    wx = installWx()
    signIn(wx)
    wx._route('GET', '/complaints/123/messages', () => ({ data: { items: [{ id: 1, body: '请尽快处理', author_role: 'consumer', created_at: '2026-11-28T11:00:00+08:00' }] } }))
  })

  test('shows exactly the allowed actions, the timeline and the deadline countdown', async () => {
    wx._route('GET', '/complaints/123', () => ({ data: complaint() }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    const buttons = comp.querySelectorAll('.action-btn').map(b => b.dom.textContent.trim())
    expect(buttons).toEqual(['确认解决', '不满意，申请调解', '撤回投诉'])
    expect(comp.querySelector('#action-rate')).toBeUndefined()
    expect(text(comp, '#status')).toBe('商家已答复')
    // Once the business has answered, the countdown is the consumer's time to confirm or dispute.
    expect(text(comp, '#deadline')).toMatch(/^确认期限（请在期限内确认解决或申请调解）：剩余3天\d+小时$/)
    expect(text(comp, '#proposal-note')).toBe('上门维修并赔偿200元')
    expect(comp.dom.textContent).toContain('上门维修并赔偿200元')
    expect(comp.dom.textContent).toContain('请尽快处理')
  })

  test('no allowed actions, no buttons', async () => {
    wx._route('GET', '/complaints/123', () => ({ data: complaint({ status: 'closed', allowed_actions: [] }) }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(comp.querySelector('#actions')).toBeUndefined()
    expect(comp.querySelectorAll('.action-btn')).toHaveLength(0)
  })

  test('confirm sends amount_recovered and the page shows the new state', async () => {
    wx._route('GET', '/complaints/123', () => ({ data: complaint() }))
    wx._route('POST', '/complaints/123/transitions', req => ({ data: complaint({ status: 'resolved', allowed_actions: ['rate'] }) }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    comp.querySelector('#action-confirm').dispatchEvent('tap')
    await flush()
    comp.querySelector('#action-amount').dispatchEvent('input', { detail: { value: '200' } })
    comp.querySelector('#action-submit').dispatchEvent('tap')
    await flush()
    const t = wx._calls.find(c => c.path === '/complaints/123/transitions')
    expect(t.data).toEqual({ action: 'confirm', amount_recovered: '200.00' })
    expect(text(comp, '#status')).toBe('已解决')
    expect(comp.querySelectorAll('.action-btn').map(b => b.dom.textContent.trim())).toEqual(['评价'])
  })

  test('dispute needs a reason; an invalid_transition answer is explained and the page reloads', async () => {
    let gets = 0
    wx._route('GET', '/complaints/123', () => {
      gets += 1
      return { data: gets === 1 ? complaint() : complaint({ status: 'resolved', allowed_actions: ['rate'] }) }
    })
    wx._route('POST', '/complaints/123/transitions', () => problem(409, 'invalid_transition', { allowed_actions: ['rate'] }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    comp.querySelector('#action-dispute').dispatchEvent('tap')
    await flush()
    comp.querySelector('#action-submit').dispatchEvent('tap')
    await flush()
    expect(text(comp, '#action-note-error')).toBe('请说明异议理由')
    expect(wx._calls.find(c => c.path === '/complaints/123/transitions')).toBeUndefined()
    comp.querySelector('#action-note').dispatchEvent('input', { detail: { value: '维修后仍然不制冷' } })
    comp.querySelector('#action-submit').dispatchEvent('tap')
    await flush(10)
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '当前状态下不能进行此操作，请刷新后重试' }))
    expect(text(comp, '#status')).toBe('已解决')
  })

  test('withdraw asks for confirmation, then posts the transition', async () => {
    wx._route('GET', '/complaints/123', () => ({ data: complaint({ status: 'submitted', allowed_actions: ['withdraw'] }) }))
    wx._route('POST', '/complaints/123/transitions', () => ({ data: complaint({ status: 'withdrawn', allowed_actions: [] }) }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    comp.querySelector('#action-withdraw').dispatchEvent('tap')
    await flush()
    expect(wx.showModal).toHaveBeenCalled()
    expect(wx._calls.find(c => c.path === '/complaints/123/transitions').data).toEqual({ action: 'withdraw' })
    expect(text(comp, '#status')).toBe('已撤回')
  })

  test('business staff respond with a proposal and message the consumer', async () => {
    wx._store.get('smart315.auth')
    signIn(wx, { kind: 'business_staff' })
    wx._route('GET', '/complaints/123', () => ({ data: complaint({ status: 'forwarded', allowed_actions: ['respond'] }) }))
    wx._route('POST', '/complaints/123/transitions', () => ({ data: complaint({ status: 'responded', allowed_actions: [] }) }))
    wx._route('POST', '/complaints/123/messages', req => ({ status: 201, data: { id: 2, body: req.data.body, author_role: 'business_staff', created_at: '2026-11-29T09:00:00+08:00' } }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    comp.querySelector('#action-respond').dispatchEvent('tap')
    await flush()
    comp.querySelector('#action-note').dispatchEvent('input', { detail: { value: '同意全额退款' } })
    comp.querySelector('#action-submit').dispatchEvent('tap')
    await flush()
    expect(wx._calls.find(c => c.path === '/complaints/123/transitions').data).toEqual({ action: 'respond', note: '同意全额退款' })
    comp.querySelector('#message-input').dispatchEvent('input', { detail: { value: '已安排退款，请留意' } })
    comp.querySelector('#message-send').dispatchEvent('tap')
    await flush()
    expect(wx._calls.find(c => c.method === 'POST' && c.path === '/complaints/123/messages').data).toEqual({ body: '已安排退款，请留意' })
    expect(comp.dom.textContent).toContain('已安排退款，请留意')
  })

  test('opening a deep link while signed out goes to login and comes back', async () => {
    wx._store.delete('smart315.auth')
    renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/login/login?redirect=' + encodeURIComponent('/pages/complaint/detail?id=123') })
  })

  test('not found and offline are explained, with a retry', async () => {
    wx._route('GET', '/complaints/123', () => problem(404, 'not_found'))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(text(comp, '#error')).toContain('内容不存在或已被删除')
    wx._route('GET', '/complaints/123', () => 'network')
    comp.querySelector('#retry-btn').dispatchEvent('tap')
    await flush()
    expect(text(comp, '#error')).toContain('网络不给力，请稍后重试')
  })
})
