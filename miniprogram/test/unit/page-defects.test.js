const fs = require('fs')
const path = require('path')
const { installWx, signIn, renderPage, flush, text, problem, ROOT } = require('../helpers/wx')

function complaint(overrides) {
  return Object.assign({
    id: 123, public_no: 'TS2026112800000123', title: '空调不制冷', description: '第一行\n第二行',
    status: 'responded', business_name: '某电器', created_at: '2026-11-28T10:00:00+08:00',
    allowed_actions: [], moderation: 'pass',
    attachments: [
      { id: 'u1', mime: 'image/jpeg', size: 100, sha256: 'x', url: '/api/v1/uploads/u1', moderation: 'pass' },
      { id: 'u2', mime: 'image/png', size: 100, sha256: 'y', url: '/api/v1/uploads/u2', moderation: 'pass' },
      { id: 'u3', mime: 'application/pdf', size: 100, sha256: 'z', url: '/api/v1/uploads/u3', moderation: 'pass' }
    ],
    timeline: [
      { action: 'respond', from: 'forwarded', to: 'responded', note: '方案如下：\n1. 退款\n2. 赔偿', actor_role: 'business_staff', created_at: '2026-11-29T10:00:00+08:00' }
    ]
  }, overrides || {})
}

describe('complaint detail defects', () => {
  let wx
  beforeEach(() => {
    wx = installWx()
    signIn(wx)
    wx._route('GET', '/complaints/123/messages', () => ({ data: { items: [] } }))
  })

  test('evidence photos open full screen, fetched with the Bearer header', async () => {
    wx._route('GET', '/complaints/123', () => ({ data: complaint() }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(comp.querySelectorAll('.photo')).toHaveLength(2)
    comp.querySelector('#photo-1').dispatchEvent('tap')
    await flush(8)
    const urls = wx.downloadFile.mock.calls.map(c => c[0].url)
    expect(urls).toEqual(['http://127.0.0.1:8000/api/v1/uploads/u1', 'http://127.0.0.1:8000/api/v1/uploads/u2'])
    expect(wx.downloadFile.mock.calls[0][0].header.Authorization).toBe('Bearer access-1')
    expect(wx.previewImage).toHaveBeenCalledWith({
      urls: ['wxfile://tmp/u1.jpg', 'wxfile://tmp/u2.jpg'], current: 'wxfile://tmp/u2.jpg'
    })
  })

  test('a photo that cannot be fetched says so instead of opening nothing', async () => {
    wx._route('GET', '/complaints/123', () => ({ data: complaint() }))
    wx.downloadFile = jest.fn(o => o.fail({ errMsg: 'downloadFile:fail' }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    comp.querySelector('#photo-0').dispatchEvent('tap')
    await flush(8)
    expect(wx.previewImage).not.toHaveBeenCalled()
    expect(wx.showToast.mock.calls.pop()[0].title).toBe('网络不给力，请稍后重试')
  })

  test('long texts keep their line breaks', async () => {
    wx._route('GET', '/complaints/123', () => ({ data: complaint() }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(comp.querySelector('#description').dom.textContent).toBe('第一行\n第二行')
    expect(comp.querySelector('#description').dom.className).toMatch(/\bpre\b/)
    expect(comp.querySelector('.note').dom.className).toMatch(/\bpre\b/)
    expect(comp.querySelector('.note').dom.textContent).toContain('1. 退款\n2. 赔偿')
    const wxss = fs.readFileSync(path.join(ROOT, 'pages/complaint/detail.wxss'), 'utf8')
    expect(wxss).toMatch(/\.pre\s*\{[^}]*white-space:\s*pre-wrap/)
  })

  test('pull-down refresh reloads the complaint and stops the spinner', async () => {
    let n = 0
    wx._route('GET', '/complaints/123', () => ({ data: complaint({ title: ++n === 1 ? '旧标题' : '新标题' }) }))
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'pages/complaint/detail.json'), 'utf8'))
    expect(json.enablePullDownRefresh).toBe(true)
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(text(comp, '#title')).toBe('旧标题')
    await comp.instance.onPullDownRefresh()
    await flush()
    expect(text(comp, '#title')).toBe('新标题')
    expect(wx.stopPullDownRefresh).toHaveBeenCalled()
  })

  test('a complaint held for content review says so', async () => {
    wx._route('GET', '/complaints/123', () => ({ data: complaint({ moderation: 'review' }) }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    expect(text(comp, '#review-notice')).toBe('内容正在安全审核，审核通过前商家和公众暂时看不到这条投诉')
  })

  test('content_rejected shows the server\'s Chinese detail', async () => {
    wx._route('GET', '/complaints/123', () => ({ data: complaint() }))
    wx._route('POST', '/complaints/123/messages', () => problem(422, 'content_rejected', { title: '内容未通过安全审核', detail: '留言含有违规内容，请修改后再发送' }))
    const comp = renderPage('complaint/detail', { id: '123' })
    await flush()
    comp.instance.setData({ messageBody: '某些词' })
    await comp.instance.onSendMessage()
    await flush()
    expect(wx.showToast.mock.calls.pop()[0].title).toBe('留言含有违规内容，请修改后再发送')
  })

  test('content_rejected without a detail still reads as a moderation refusal', () => {
    const core = require('../../utils/core')
    expect(core.errorMessage(new core.ApiError({ status: 422, code: 'content_rejected' }))).toBe('内容未通过安全审核，请修改后再提交')
  })
})

describe('business profile and rankings', () => {
  let wx
  beforeEach(() => { wx = installWx() })

  test('an insufficient index shows no score, even when the server computed one', async () => {
    wx._route('GET', '/businesses/3', () => ({ data: {
      id: 3, name: '新店', status: 'unverified',
      index: { score: 75.6, grade: 'B', insufficient: true, n_complaints: 1, components: { response: 80 } },
      counts: { total: 5, forwarded: 2, responded: 1, resolved: 2 }
    } }))
    const comp = renderPage('business/detail', { id: '3' })
    await flush()
    expect(text(comp, '#insufficient')).toBe('投诉不足，暂不评分')
    expect(comp.querySelector('#score')).toBeUndefined()
    expect(comp.dom.textContent).not.toContain('75.6')
    // The profile's counts ({total, <status>}) show.
    expect(comp.dom.textContent).toContain('投诉总数5')
    expect(comp.dom.textContent).toContain('处理中3')
    expect(comp.dom.textContent).toContain('已解决2')
  })

  test('a ranked business shows its score and can be shared', async () => {
    wx._route('GET', '/businesses/4', () => ({ data: { id: 4, name: '老店', index: { score: 88.25, grade: 'A', insufficient: false, components: {} }, counts: { total: 0 } } }))
    const comp = renderPage('business/detail', { id: '4' })
    await flush()
    expect(text(comp, '#score')).toBe('88.3')
    expect(comp.instance.onShareAppMessage()).toEqual({ title: '老店的投诉处理指数 · 智慧3·15', path: '/pages/business/detail?id=4' })
  })

  test('rankings mark insufficient entries and share with the chosen industry', async () => {
    wx._route('GET', '/industries', () => ({ data: { items: [{ code: 'food', name: '食品' }] } }))
    wx._route('GET', '/public/rankings', () => ({ data: { items: [
      { business_id: 1, name: '食品店', score: 90, grade: 'A', insufficient: false, rank: 1 },
      { business_id: 2, name: '小店', score: 75.6, grade: 'B', insufficient: true, rank: null }
    ] } }))
    const comp = renderPage('rankings/rankings', { industry: 'food' })
    await flush()
    expect(wx._calls.find(c => c.path === '/public/rankings').query.industry).toBe('food')
    expect(comp.dom.textContent).toContain('投诉不足，暂不评分')
    expect(comp.dom.textContent).not.toContain('75.6')
    expect(comp.instance.onShareAppMessage()).toEqual({ title: '食品商家投诉处理指数排名 · 智慧3·15', path: '/pages/rankings/rankings?industry=food' })
  })

  test('the home page can be shared', async () => {
    wx._route('GET', '/public/stats', () => ({ data: {} }))
    wx._route('GET', '/public/rankings', () => ({ data: { items: [] } }))
    const comp = renderPage('index/index')
    await flush()
    expect(comp.instance.onShareAppMessage().path).toBe('/pages/index/index')
  })
})
