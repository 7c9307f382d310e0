const { installWx, signIn, renderPage, flush, text, problem } = require('../helpers/wx')

describe('other WeChat pages render from the API', () => {
  let wx
  beforeEach(() => {
    wx = installWx()
  })

  test('home: headline figures, search with empty state, offline retry', async () => {
    wx._route('GET', '/public/stats', () => ({ data: { consumers: 1234, businesses: 56, complaints_total: 789, complaints_resolved: 700, amount_recovered: '45678.90', resolution_rate: 0.887 } }))
    wx._route('GET', '/public/rankings', () => ({ data: { items: [] } }))
    wx._route('GET', '/businesses', () => ({ data: { items: [], total: 0 } }))
    const comp = renderPage('index/index')
    await flush()
    expect(text(comp, '#stat-consumers')).toBe('1234')
    expect(text(comp, '#stat-amount')).toBe('4.57万元')
    expect(text(comp, '#stat-rate')).toBe('88.7%')
    comp.querySelector('#search-input').dispatchEvent('input', { detail: { value: '不存在的店' } })
    comp.querySelector('#search-btn').dispatchEvent('tap')
    await flush()
    expect(wx._calls.find(c => c.path === '/businesses').query.q).toBe('不存在的店')
    expect(text(comp, '#search-empty')).toBe('没有找到相关商家')
    wx._route('GET', '/public/stats', () => 'network')
    await comp.instance.load()
    expect(text(comp, '#stats-error')).toContain('网络不给力，请稍后重试')
  })

  test('business profile shows "insufficient data" when there is no index', async () => {
    wx._route('GET', '/businesses/3', () => ({ data: { id: 3, name: '新店', index: { score: null, grade: null, components: {} } } }))
    const comp = renderPage('business/detail', { id: '3' })
    await flush()
    expect(text(comp, '#name')).toBe('新店')
    expect(comp.querySelector('#insufficient')).toBeTruthy()
    expect(comp.querySelector('#score')).toBeUndefined()
  })

  test('rankings filter by industry', async () => {
    wx._route('GET', '/industries', () => ({ data: { items: [{ code: 'food', name: '食品' }] } }))
    wx._route('GET', '/public/rankings', req => ({ data: { items: req.query.industry === 'food' ? [{ business_id: 1, name: '食品店', score: 90, grade: 'A' }] : [] } }))
    const comp = renderPage('rankings/rankings')
    await flush()
    expect(comp.querySelector('#empty')).toBeTruthy()
    comp.querySelector('#industry-picker').dispatchEvent('change', { detail: { value: '1' } })
    await flush()
    expect(comp.querySelectorAll('.ranking-item')).toHaveLength(1)
    expect(comp.dom.textContent).toContain('食品店')
  })

  test('assistant chat shows cited articles; upstream trouble is explained', async () => {
    wx._route('POST', '/consult', () => ({ data: { answer: '商家应当承担责任。', citations: [{ law: '产品质量法', article: '第四十条', text: '售出的产品……' }], provider: 'local' } }))
    const comp = renderPage('consult/consult')
    comp.querySelector('#question-input').dispatchEvent('input', { detail: { value: '质量问题谁负责' } })
    comp.querySelector('#send-btn').dispatchEvent('tap')
    await flush()
    expect(text(comp, '.citation')).toContain('《产品质量法》第四十条')
    wx._route('POST', '/consult', () => problem(503, 'upstream_unavailable'))
    comp.querySelector('#question-input').dispatchEvent('input', { detail: { value: '还有问题' } })
    comp.querySelector('#send-btn').dispatchEvent('tap')
    await flush()
    expect(text(comp, '#error')).toBe('服务暂时繁忙，请稍后重试')
  })

  test('my complaints: tabs filter by status, empty state', async () => {
    signIn(wx)
    wx._route('GET', '/complaints', req => ({ data: { items: req.query.status === 'resolved' ? [] : [{ id: 1, title: '退款难', status: 'submitted', created_at: '2026-11-28T10:00:00+08:00' }], total: 1 } }))
    const comp = renderPage('complaint/list')
    await comp.instance.onShow()
    await flush()
    expect(comp.dom.textContent).toContain('退款难')
    comp.querySelector('#tab-resolved').dispatchEvent('tap')
    await flush()
    expect(wx._calls.filter(c => c.path === '/complaints').pop().query.status).toBe('resolved')
    expect(text(comp, '#empty')).toBe('暂无投诉记录')
  })

  test('inbox lists notifications and marks one read', async () => {
    signIn(wx)
    wx._route('GET', '/notifications', () => ({ data: { items: [{ id: 2, type: 'message.created', read_at: null, created_at: '2026-11-28T10:00:00+08:00', data: { complaint_id: 7 } }] } }))
    wx._route('POST', '/notifications/2/read', () => ({ status: 204 }))
    const comp = renderPage('notifications/notifications')
    await comp.instance.onShow()
    await flush()
    expect(comp.dom.textContent).toContain('新留言')
    comp.querySelector('.notification').dispatchEvent('tap')
    await flush()
    expect(wx._calls.find(c => c.path === '/notifications/2/read')).toBeTruthy()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/complaint/detail?id=7' })
  })
})

// Every page that loads from the API shares one pattern (pages.js fetchInto); these pin what a
// user sees of it: the message, no spinner left over, retry, reloads and pull-down refresh.
describe('WeChat pages: a failed load is explained and stops loading', () => {
  let wx
  beforeEach(() => {
    wx = installWx()
    signIn(wx)
  })

  test.each([
    // page, options, the request that fails, its answer, loading flag, error field, message
    ['index/index', {}, '/public/stats', problem(503, 'upstream_unavailable'), 'statsLoading', 'statsError', '服务暂时繁忙，请稍后重试'],
    ['business/detail', { id: '3' }, '/businesses/3', problem(404, 'not_found'), 'loading', 'error', '内容不存在或已被删除'],
    ['rankings/rankings', {}, '/public/rankings', 'network', 'loading', 'error', '网络不给力，请稍后重试'],
    ['complaint/list', {}, '/complaints', problem(503, 'upstream_unavailable'), 'loading', 'error', '服务暂时繁忙，请稍后重试'],
    ['complaint/detail', { id: '123' }, '/complaints/123', 'network', 'loading', 'error', '网络不给力，请稍后重试'],
    ['notifications/notifications', {}, '/notifications', problem(429, 'rate_limited'), 'loading', 'error', '操作太频繁，请稍后再试']
  ])('%s', async (name, options, path, answer, flag, field, message) => {
    wx._route('GET', path, () => answer)
    const comp = renderPage(name, options)
    if (comp.instance.onShow) await comp.instance.onShow()
    await flush()
    expect(comp.instance.data[flag]).toBe(false)
    expect(comp.instance.data[field]).toBe(message)
    expect(comp.dom.textContent).toContain(message)
    expect(comp.dom.textContent).not.toContain('加载中…')
    expect(comp.querySelector('#retry-btn')).toBeTruthy()
  })

  test('retry after a failure clears the message and shows the data', async () => {
    wx._route('GET', '/public/rankings', () => 'network')
    const comp = renderPage('rankings/rankings')
    await flush()
    expect(text(comp, '#error')).toContain('网络不给力，请稍后重试')
    wx._route('GET', '/public/rankings', () => ({ data: { items: [{ business_id: 1, name: '食品店', score: 90, grade: 'A' }] } }))
    comp.querySelector('#retry-btn').dispatchEvent('tap')
    await flush()
    expect(comp.instance.data.error).toBe('')
    expect(comp.querySelector('#error')).toBeUndefined()
    expect(comp.querySelectorAll('.ranking-item')).toHaveLength(1)
  })

  test('home: a failed search is explained and searching stops', async () => {
    wx._route('GET', '/public/stats', () => 'network')
    wx._route('GET', '/public/rankings', () => ({ data: { items: [] } }))
    wx._route('GET', '/businesses', () => problem(429, 'rate_limited'))
    const comp = renderPage('index/index')
    await flush()
    comp.instance.onSearchInput({ detail: { value: '某店' } })
    const searching = comp.instance.onSearch()
    expect(comp.instance.data.searching).toBe(true)
    await searching
    await flush()
    expect(text(comp, '#search-error')).toBe('操作太频繁，请稍后再试')
    expect(comp.instance.data.searching).toBe(false)
    expect(comp.instance.data.searched).toBe(false)
    expect(comp.dom.textContent).not.toContain('搜索中…')
  })

  test('assistant: a failed answer keeps the question shown and stops sending', async () => {
    wx._route('POST', '/consult', () => 'network')
    const comp = renderPage('consult/consult')
    comp.instance.onInput({ detail: { value: '质量问题谁负责' } })
    const sending = comp.instance.onSend()
    expect(comp.instance.data.sending).toBe(true)
    await sending
    await flush()
    expect(comp.instance.data.sending).toBe(false)
    expect(text(comp, '#error')).toBe('网络不给力，请稍后重试')
    expect(comp.querySelector('#thinking')).toBeUndefined()
    expect(comp.instance.data.question).toBe('')
    expect(comp.instance.data.messages).toEqual([{ role: 'user', text: '质量问题谁负责', citations: [] }])
  })

  test('only a first load shows 加载中; a reload keeps what is shown', async () => {
    wx._route('GET', '/notifications', () => ({ data: { items: [{ id: 2, type: 'message.created', created_at: '2026-11-28T10:00:00+08:00' }] } }))
    const inbox = renderPage('notifications/notifications')
    const first = inbox.instance.onShow()
    expect(inbox.instance.data.loading).toBe(true)
    await first
    const again = inbox.instance.load(1)
    expect(inbox.instance.data.loading).toBe(false)
    await again

    wx._route('GET', '/complaints', () => ({ data: { items: [{ id: 1, title: '退款难', status: 'submitted' }], total: 30 } }))
    const list = renderPage('complaint/list')
    const firstPage = list.instance.onShow()
    expect(list.instance.data.loading).toBe(true)
    await firstPage
    const nextPage = list.instance.load(2)
    expect(list.instance.data.loading).toBe(false)
    await nextPage
    expect(list.instance.data.items).toHaveLength(2)

    wx._route('GET', '/complaints/123', () => ({ data: { id: 123, title: '空调不制冷', status: 'submitted', allowed_actions: [], timeline: [] } }))
    const detail = renderPage('complaint/detail', { id: '123' })
    await flush()
    const reload = detail.instance.load()
    expect(detail.instance.data.loading).toBe(false)
    await reload

    wx._route('GET', '/public/rankings', () => ({ data: { items: [] } }))
    const ranks = renderPage('rankings/rankings')
    await flush()
    expect(ranks.instance.data.loading).toBe(false)
    const filtered = ranks.instance.onIndustryChange({ detail: { value: '0' } })
    expect(ranks.instance.data.loading).toBe(true)
    await filtered
    expect(ranks.instance.data.loading).toBe(false)
  })

  test.each([
    ['index/index', '/public/stats', 'statsError'],
    ['complaint/list', '/complaints', 'error'],
    ['notifications/notifications', '/notifications', 'error']
  ])('%s: pull-down refresh stops even when the reload fails', async (name, path, field) => {
    wx._route('GET', path, () => 'network')
    const comp = renderPage(name)
    await flush()
    await comp.instance.onPullDownRefresh()
    expect(wx.stopPullDownRefresh).toHaveBeenCalledTimes(1)
    expect(comp.instance.data[field]).toBe('网络不给力，请稍后重试')
  })
})
