// Published cases: the business's public reply beside the consumer's side, the members of a
// collective case, and joining it (POST /complaints/{id}/join) from the case.
const { installWx, signIn, renderPage, flush, text, problem } = require('../helpers/wx')

function cases() {
  return { data: { items: [
    { id: 41, public_no: 'TS1', business_id: 8, business_name: '某电商', title: '双11价格欺诈', description: '先涨价后打折\n实际没有优惠', status: 'mediating',
      amount_claimed: '99.00', created_at: '2026-11-12T10:00:00+08:00', members: 20000, joinable: true,
      business_reply: { text: '已成立专项小组\n逐一退差价', replied_at: '2026-11-13T09:00:00+08:00' } },
    { id: 42, public_no: 'TS2', business_id: 8, business_name: '某电商', title: '退款慢', description: '等了一个月', status: 'closed',
      created_at: '2026-10-01T10:00:00+08:00', members: null, joinable: false, business_reply: null }
  ], page: 1, per_page: 20, total: 2 } }
}

describe('public cases', () => {
  let wx
  beforeEach(() => {
    wx = installWx()
    wx._route('GET', '/public/complaints', cases)
  })

  test('a business\'s cases show the public reply and the members; only open cases can be joined', async () => {
    const comp = renderPage('cases/cases', { business_id: '8', business_name: encodeURIComponent('某电商') })
    await flush()
    expect(wx._calls.find(c => c.path === '/public/complaints').query).toMatchObject({ business_id: '8' })
    expect(text(comp, '#case-0-members')).toBe('集体投诉 · 已有2万人加入')
    expect(text(comp, '#case-0-reply')).toContain('已成立专项小组\n逐一退差价')
    expect(comp.querySelector('#case-1-reply')).toBeUndefined()
    expect(comp.querySelector('#join-0')).toBeDefined()
    expect(comp.querySelector('#join-1')).toBeUndefined()
    expect(comp.instance.onShareAppMessage()).toEqual({ title: '某电商的公开投诉案例 · 智慧3·15', path: '/pages/cases/cases?business_id=8&business_name=' + encodeURIComponent('某电商') })
  })

  test('joining while signed out goes to login and back', async () => {
    const comp = renderPage('cases/cases', { business_id: '8' })
    await flush()
    comp.querySelector('#join-0').dispatchEvent('tap')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/login/login?redirect=' + encodeURIComponent('/pages/cases/cases?business_id=8') })
    expect(comp.querySelector('#join-form')).toBeUndefined()
  })

  test('a signed-in consumer joins with an amount and a note, then sees their own complaint', async () => {
    signIn(wx)
    let joined = null
    wx._route('POST', '/complaints/41/join', req => { joined = req.data; return { status: 201, data: { id: 77, collective_id: 41, status: 'submitted' } } })
    const comp = renderPage('cases/cases', { business_id: '8' })
    await flush()
    comp.querySelector('#join-0').dispatchEvent('tap')
    await flush()
    comp.querySelector('#join-amount').dispatchEvent('input', { detail: { value: '12.5.0' } })
    comp.querySelector('#join-submit').dispatchEvent('tap')
    await flush()
    expect(text(comp, '#join-amount-error')).toBe('请输入正确的金额，如 199.00')
    expect(joined).toBeNull()
    comp.querySelector('#join-amount').dispatchEvent('input', { detail: { value: '99' } })
    comp.querySelector('#join-description').dispatchEvent('input', { detail: { value: '我也被涨价了' } })
    comp.querySelector('#join-submit').dispatchEvent('tap')
    await flush()
    expect(joined).toEqual({ amount_claimed: '99.00', description: '我也被涨价了' })
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/complaint/detail?id=77' })
  })

  test('a refused join is explained and the form stays', async () => {
    signIn(wx)
    wx._route('POST', '/complaints/41/join', () => problem(422, 'content_rejected', { detail: '内容含有不当信息，请修改后再提交' }))
    const comp = renderPage('cases/cases', {})
    await flush()
    expect(wx._calls.find(c => c.path === '/public/complaints').query.business_id).toBeUndefined()
    comp.querySelector('#join-0').dispatchEvent('tap')
    await flush()
    comp.querySelector('#join-submit').dispatchEvent('tap')
    await flush()
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '内容含有不当信息，请修改后再提交' }))
    expect(comp.querySelector('#join-form')).toBeDefined()
  })

  test('the business profile links to its public cases', async () => {
    wx._route('GET', '/businesses/8', () => ({ data: { id: 8, name: '某电商', status: 'verified', index: null, counts: { total: 2 } } }))
    const comp = renderPage('business/detail', { id: '8' })
    await flush()
    comp.querySelector('#cases-btn').dispatchEvent('tap')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/cases/cases?business_id=8&business_name=' + encodeURIComponent('某电商') })
  })
})
