const { installMy, signIn, loadPage, flush, problem, ev } = require('../helpers/my')

function referenceRoutes(my) {
  my._route('GET', '/industries', () => ({ data: { items: [{ code: 'food', name: '食品' }] } }))
  my._route('GET', '/categories', () => ({ data: { items: [{ code: 'quality', name: '质量' }] } }))
  my._route('GET', '/regions', req => {
    const parent = req.query.parent
    if (!parent) return { data: { items: [{ code: '11', name: '北京市' }] } }
    if (parent === '11') return { data: { items: [{ code: '1101', name: '市辖区' }] } }
    return { data: { items: [{ code: '110101', name: '东城区' }] } }
  })
  my._route('GET', '/client-config', () => ({ data: { wechat: { subscribe_templates: {} }, alipay: { subscribe_templates: { 'complaint.responded': 'A-RESP', 'complaint.resolved': 'A-RES' } } } }))
  my._route('POST', '/me/subscriptions', () => ({ status: 204 }))
}

async function fill(page) {
  page.onBusinessInput(ev('路边小店'))
  page.onTitleInput(ev('买到过期食品'))
  page.onDescriptionInput(ev('今天买的牛奶已经过期三天了'))
  page.onIndustryChange(ev('0'))
  page.onCategoryChange(ev('0'))
  await page.onProvinceChange(ev('0'))
  await page.onCityChange(ev('0'))
  page.onDistrictChange(ev('0'))
  page.onDemandsChange(ev(['refund', 'compensation']))
  page.onAmountInput(ev('12.5'))
  page.onAmountBlur()
}

describe('Alipay login', () => {
  test('my.getAuthCode auth_base code goes to /auth/alipay and tokens are stored', async () => {
    const my = installMy()
    my._route('POST', '/auth/alipay', req => ({ data: { access_token: 'a1', refresh_token: 'r1', user: { id: 3, kind: 'consumer', display_name: '支付宝用户' } } }))
    const page = loadPage('login/login', {})
    page.onToggleAgree()
    await page.onLogin()
    expect(my.getAuthCode.mock.calls[0][0].scopes).toBe('auth_base')
    expect(my._calls.find(c => c.path === '/auth/alipay').data).toEqual({ auth_code: 'ok-test-user' })
    expect(my._store.get('smart315.auth').access_token).toBe('a1')
    expect(my.switchTab).toHaveBeenCalledWith({ url: '/pages/index/index' })
  })

  test('rate limiting is explained in Chinese', async () => {
    const my = installMy()
    my._route('POST', '/auth/alipay', () => problem(429, 'rate_limited'))
    const page = loadPage('login/login', {})
    page.onToggleAgree()
    await page.onLogin()
    expect(page.data.error).toBe('操作太频繁，请稍后再试')
  })
})

describe('Alipay filing form', () => {
  let my
  beforeEach(() => {
    my = installMy()
    signIn(my)
    referenceRoutes(my)
  })

  test('validation blocks an incomplete form', async () => {
    const page = loadPage('complaint/new', {})
    await flush()
    await page.onSubmit()
    expect(page.data.errors.title).toBe('请填写投诉标题')
    expect(page.data.errors.region_code).toBe('请选择到区县一级的地区')
    expect(my._calls.find(c => c.path === '/complaints')).toBeUndefined()
  })

  test('the contact choice 商家可以打电话给我 is sent as contact_preference phone', async () => {
    my._route('POST', '/complaints', () => ({ status: 201, data: { id: 10, status: 'submitted', allowed_actions: [] } }))
    const page = loadPage('complaint/new', {})
    await flush()
    await fill(page)
    page.onContactChange(ev('phone'))
    expect(page.data.form.contact_preference).toBe('phone')
    await page.onSubmit()
    const post = my._calls.find(c => c.method === 'POST' && c.path === '/complaints')
    expect(post.data.contact_preference).toBe('phone')
  })

  test('draft restores after reopening, and a retry reuses the Idempotency-Key', async () => {
    let page = loadPage('complaint/new', {})
    await flush()
    await fill(page)
    page = loadPage('complaint/new', {})
    await flush()
    expect(page.data.restored).toBe(true)
    expect(page.data.form.region_code).toBe('110101')
    expect(page.data.form.amount_claimed).toBe('12.50')
    expect(page.data.districts).toEqual([{ code: '110101', name: '东城区' }])

    let n = 0
    my._route('POST', '/complaints', () => (++n === 1 ? problem(503, 'upstream_unavailable') : { status: 201, data: { id: 9, status: 'submitted', allowed_actions: ['withdraw'] } }))
    my.requestSubscribeMessage.mockImplementation(opts => opts.success({ behavior: 'subscribe', result: { subscribeEntityIds: ['A-RESP'], unsubscribedEntityIds: ['A-RES'] } }))
    await page.onSubmit()
    expect(page.data.submitError).toBe('服务暂时繁忙，请稍后重试')
    await page.onSubmit()
    const posts = my._calls.filter(c => c.method === 'POST' && c.path === '/complaints')
    expect(posts).toHaveLength(2)
    expect(posts[0].headers['Idempotency-Key']).toBeTruthy()
    expect(posts[1].headers['Idempotency-Key']).toBe(posts[0].headers['Idempotency-Key'])
    expect(posts[1].data.business_name).toBe('路边小店')
    expect(posts[1].data.amount_claimed).toBe('12.50')
    expect(posts[1].data.contact_preference).toBe('message') // the message thread unless the consumer chooses
    expect(my.requestSubscribeMessage.mock.calls[0][0].entityIds).toEqual(['A-RESP', 'A-RES'])
    expect(my._calls.find(c => c.path === '/me/subscriptions').data).toEqual({ channel: 'alipay', template_ids: ['A-RESP', 'A-RES'], accepted: ['A-RESP'] })
    expect(my._store.has('smart315.complaint_draft')).toBe(false)
    expect(my.redirectTo).toHaveBeenCalledWith({ url: '/pages/complaint/detail?id=9' })
  })

  test('photos are chosen compressed, compressed again, uploaded as field "file" with progress', async () => {
    my.chooseImage.mockImplementation(opts => opts.success({ apFilePaths: ['https://resource/a.jpg'] }))
    const seen = []
    my.uploadFile.mockImplementation(opts => {
      seen.push(opts)
      let cb
      setTimeout(() => { cb({ progress: 30 }); opts.success({ statusCode: 201, data: '{"id":"u1","mime":"image/jpeg","size":5,"sha256":"x"}' }) }, 0)
      return { onProgressUpdate: fn => { cb = fn } }
    })
    const page = loadPage('complaint/new', {})
    await flush()
    page.onChoosePhotos()
    await flush()
    expect(my.chooseImage.mock.calls[0][0].sizeType).toEqual(['compressed'])
    expect(seen[0].filePath).toBe('https://resource/a.jpg.compressed')
    expect(seen[0].fileName).toBe('file')
    expect(seen[0].header.Authorization).toBe('Bearer access-1')
    expect(page.data.form.attachments[0].id).toBe('u1')
  })
})

describe('Alipay complaint detail and list', () => {
  let my
  beforeEach(() => {
    my = installMy()
    signIn(my)
  })

  test('only the API\'s allowed actions are offered; rate sends a 1-5 rating', async () => {
    my._route('GET', '/complaints/5', () => ({ data: { id: 5, title: 't', status: 'resolved', allowed_actions: ['rate', 'mediate_success'], timeline: [{ action: 'confirm', from: 'responded', to: 'resolved', actor_role: 'consumer', created_at: '2026-11-28T10:00:00+08:00' }] } }))
    my._route('GET', '/complaints/5/messages', () => ({ data: { items: [] } }))
    my._route('POST', '/complaints/5/transitions', () => ({ data: { id: 5, title: 't', status: 'closed', allowed_actions: [], timeline: [] } }))
    const page = loadPage('complaint/detail', { id: '5' })
    await page._onLoadResult
    expect(page.data.actions.map(a => a.action)).toEqual(['rate'])
    expect(page.data.timeline[0]).toMatchObject({ actionText: '确认解决', toText: '已解决', roleText: '消费者', time: '2026-11-28 10:00' })
    await page.onAction(ev(null, { action: 'rate' }))
    await page.onActionSubmit()
    expect(page.data.actionErrors.rating).toBe('请选择1到5星')
    page.onRate(ev(null, { rating: 4 }))
    expect(page.data.stars.filter(s => s.on)).toHaveLength(4)
    await page.onActionSubmit()
    expect(my._calls.find(c => c.path === '/complaints/5/transitions').data).toEqual({ action: 'rate', rating: 4 })
    expect(page.data.complaint.statusText).toBe('已结案')
  })

  test('withdraw goes through my.confirm', async () => {
    my._route('GET', '/complaints/5', () => ({ data: { id: 5, title: 't', status: 'submitted', allowed_actions: ['withdraw'], timeline: [] } }))
    my._route('POST', '/complaints/5/transitions', () => ({ data: { id: 5, title: 't', status: 'withdrawn', allowed_actions: [], timeline: [] } }))
    const page = loadPage('complaint/detail', { id: '5' })
    await page._onLoadResult
    await page.onAction(ev(null, { action: 'withdraw' }))
    expect(my.confirm).toHaveBeenCalled()
    expect(page.data.complaint.statusText).toBe('已撤回')
  })

  test('business staff land on their forwarded queue with deadlines', async () => {
    signIn(my, { kind: 'business_staff' })
    my._route('GET', '/complaints', req => ({ data: { items: [{ id: 1, title: '退款', status: 'forwarded', deadline_at: new Date(Date.now() + 2 * 3600000 + 150000).toISOString() }], total: 1, page: 1, per_page: 20 } }))
    const page = loadPage('complaint/list', {})
    await page.onShow()
    expect(my._calls.find(c => c.path === '/complaints').query.status).toBe('forwarded')
    expect(page.data.items[0].deadlineText).toBe('剩余2小时2分钟')
    expect(page.data.tabs[0].label).toBe('待处理')
  })

  test('a 401 refreshes once; a failed refresh signs out to the login page', async () => {
    my._route('GET', '/complaints', () => problem(401, 'unauthorized'))
    my._route('POST', '/auth/refresh', () => problem(401, 'unauthorized'))
    const page = loadPage('complaint/list', {})
    await page.onShow()
    expect(my._calls.filter(c => c.path === '/auth/refresh')).toHaveLength(1)
    expect(my._store.has('smart315.auth')).toBe(false)
    expect(my.reLaunch).toHaveBeenCalledWith({ url: '/pages/login/login' })
  })
})

describe('Alipay home, business, assistant, inbox', () => {
  let my
  beforeEach(() => {
    my = installMy()
  })

  test('home shows headline figures in Chinese units, and offline state', async () => {
    my._route('GET', '/public/stats', () => ({ data: { consumers: 702786, businesses: 42913, complaints_total: 576911, complaints_resolved: 500000, amount_recovered: '123456789.00', resolution_rate: 0.8667, by_month: [] } }))
    my._route('GET', '/public/rankings', () => ({ data: { items: [{ business_id: 8, name: '甲店', score: 91.25, grade: 'A' }] } }))
    let page = loadPage('index/index', {})
    await page._onLoadResult
    expect(page.data.stats).toEqual({ consumers: '70.3万', businesses: '4.3万', complaints_total: '57.7万', complaints_resolved: '50万', amount_recovered: '1.23亿元', resolution_rate: '86.7%' })
    expect(page.data.rankings[0]).toEqual({ id: 8, name: '甲店', rank: 1, scoreText: '91.3 · A' })
    my._route('GET', '/public/stats', () => 'network')
    await page.onRetry()
    expect(page.data.statsError).toBe('网络不给力，请稍后重试')
  })

  test('business profile: index components, and the insufficient-data state', async () => {
    my._route('GET', '/businesses/8', () => ({ data: { id: 8, name: '甲店', index: { score: 88, grade: 'B', components: { response: 0.9, speed: 70, settlement: 80, cooperation: 90, mediation: 60, satisfaction: 4.5 } } } }))
    my._route('GET', '/businesses/9', () => ({ data: { id: 9, name: '乙店', index: null } }))
    const a = loadPage('business/detail', { id: '8' })
    await a._onLoadResult
    expect(a.data.index.insufficient).toBe(false)
    expect(a.data.index.grade).toBe('B')
    expect(a.data.index.components.map(c => c.label)).toEqual(['按时响应率', '响应速度', '和解成功率', '调解配合度', '调解成功率', '消费者满意度'])
    const b = loadPage('business/detail', { id: '9' })
    await b._onLoadResult
    expect(b.data.index.insufficient).toBe(true)
  })

  test('assistant shows the answer with its cited articles', async () => {
    my._route('POST', '/consult', req => ({ data: { answer: '可以七日内无理由退货。', citations: [{ law: '消费者权益保护法', article: '第二十五条', text: '经营者采用网络……' }], provider: 'local' } }))
    const page = loadPage('consult/consult', {})
    page.onInput(ev('网购能退货吗'))
    await page.onSend()
    expect(my._calls.find(c => c.path === '/consult').data).toEqual({ question: '网购能退货吗' })
    expect(page.data.messages[1].citations[0]).toEqual({ law: '消费者权益保护法', article: '第二十五条', text: '经营者采用网络……' })
  })

  test('inbox marks a notification read and opens its complaint', async () => {
    signIn(my)
    my._route('GET', '/notifications', () => ({ data: { items: [{ id: 4, type: 'complaint.responded', read_at: null, created_at: '2026-11-28T10:00:00+08:00', data: { complaint_id: 12 } }], total: 1 } }))
    my._route('POST', '/notifications/4/read', () => ({ status: 204 }))
    const page = loadPage('notifications/notifications', {})
    await page.onShow()
    expect(page.data.items[0].title).toBe('商家已答复')
    await page.onOpen(ev(null, { index: 0 }))
    expect(page.data.items[0].read).toBe(true)
    expect(my.navigateTo).toHaveBeenCalledWith({ url: '/pages/complaint/detail?id=12' })
  })
})

// Every page that loads from the API shares one pattern (pages.js fetchInto); these pin what a
// user sees of it: the message, no spinner left over, retry, reloads and pull-down refresh.
describe('Alipay pages: a failed load is explained and stops loading', () => {
  let my
  beforeEach(() => {
    my = installMy()
    signIn(my)
  })

  test.each([
    // page, query, the request that fails, its answer, loading flag, error field, message
    ['index/index', {}, '/public/stats', problem(503, 'upstream_unavailable'), 'statsLoading', 'statsError', '服务暂时繁忙，请稍后重试'],
    ['business/detail', { id: '8' }, '/businesses/8', problem(404, 'not_found'), 'loading', 'error', '内容不存在或已被删除'],
    ['rankings/rankings', {}, '/public/rankings', 'network', 'loading', 'error', '网络不给力，请稍后重试'],
    ['complaint/list', {}, '/complaints', problem(503, 'upstream_unavailable'), 'loading', 'error', '服务暂时繁忙，请稍后重试'],
    ['complaint/detail', { id: '5' }, '/complaints/5', 'network', 'loading', 'error', '网络不给力，请稍后重试'],
    ['notifications/notifications', {}, '/notifications', problem(429, 'rate_limited'), 'loading', 'error', '操作太频繁，请稍后再试']
  ])('%s', async (name, query, path, answer, flag, field, message) => {
    my._route('GET', path, () => answer)
    const page = loadPage(name, query)
    await page._onLoadResult
    if (page.onShow) await page.onShow()
    await flush()
    expect(page.data[flag]).toBe(false)
    expect(page.data[field]).toBe(message)
  })

  test('retry after a failure clears the message and shows the data', async () => {
    my._route('GET', '/public/rankings', () => 'network')
    const page = loadPage('rankings/rankings', {})
    await page._onLoadResult
    expect(page.data.error).toBe('网络不给力，请稍后重试')
    my._route('GET', '/public/rankings', () => ({ data: { items: [{ business_id: 8, name: '甲店', score: 91.25, grade: 'A' }] } }))
    await page.onRetry()
    expect(page.data.error).toBe('')
    expect(page.data.loading).toBe(false)
    expect(page.data.items).toEqual([{ id: 8, name: '甲店', rank: 1, scoreText: '91.3 · A' }])
  })

  test('home: a failed search is explained and searching stops', async () => {
    my._route('GET', '/public/stats', () => 'network')
    my._route('GET', '/public/rankings', () => ({ data: { items: [] } }))
    my._route('GET', '/businesses', () => problem(429, 'rate_limited'))
    const page = loadPage('index/index', {})
    await page._onLoadResult
    page.onSearchInput(ev('某店'))
    const searching = page.onSearch()
    expect(page.data.searching).toBe(true)
    await searching
    expect(page.data.searchError).toBe('操作太频繁，请稍后再试')
    expect(page.data.searching).toBe(false)
    expect(page.data.searched).toBe(false)
  })

  test('assistant: a failed answer keeps the question shown and stops sending', async () => {
    my._route('POST', '/consult', () => problem(503, 'upstream_unavailable'))
    const page = loadPage('consult/consult', {})
    page.onInput(ev('网购能退货吗'))
    const sending = page.onSend()
    expect(page.data.sending).toBe(true)
    await sending
    expect(page.data.sending).toBe(false)
    expect(page.data.error).toBe('服务暂时繁忙，请稍后重试')
    expect(page.data.question).toBe('')
    expect(page.data.messages).toEqual([{ role: 'user', text: '网购能退货吗', citations: [] }])
  })

  test('only a first load shows 加载中; a reload keeps what is shown', async () => {
    my._route('GET', '/notifications', () => ({ data: { items: [{ id: 4, type: 'complaint.responded', created_at: '2026-11-28T10:00:00+08:00' }] } }))
    const inbox = loadPage('notifications/notifications', {})
    const first = inbox.onShow()
    expect(inbox.data.loading).toBe(true)
    await first
    const again = inbox.load(1)
    expect(inbox.data.loading).toBe(false)
    await again

    my._route('GET', '/complaints', () => ({ data: { items: [{ id: 1, title: '退款', status: 'submitted' }], total: 30 } }))
    const list = loadPage('complaint/list', {})
    const firstPage = list.onShow()
    expect(list.data.loading).toBe(true)
    await firstPage
    const nextPage = list.load(2)
    expect(list.data.loading).toBe(false)
    await nextPage
    expect(list.data.items).toHaveLength(2)

    my._route('GET', '/complaints/5', () => ({ data: { id: 5, title: 't', status: 'submitted', allowed_actions: [], timeline: [] } }))
    const detail = loadPage('complaint/detail', { id: '5' })
    await detail._onLoadResult
    const reload = detail.load()
    expect(detail.data.loading).toBe(false)
    await reload

    my._route('GET', '/public/rankings', () => ({ data: { items: [] } }))
    const ranks = loadPage('rankings/rankings', {})
    await ranks._onLoadResult
    expect(ranks.data.loading).toBe(false)
    const filtered = ranks.onIndustryChange(ev('0'))
    expect(ranks.data.loading).toBe(true)
    await filtered
    expect(ranks.data.loading).toBe(false)
  })

  test.each([
    ['index/index', '/public/stats', 'statsError'],
    ['complaint/list', '/complaints', 'error'],
    ['notifications/notifications', '/notifications', 'error']
  ])('%s: pull-down refresh stops even when the reload fails', async (name, path, field) => {
    my._route('GET', path, () => 'network')
    const page = loadPage(name, {})
    await page._onLoadResult
    await page.onPullDownRefresh()
    expect(my.stopPullDownRefresh).toHaveBeenCalledTimes(1)
    expect(page.data[field]).toBe('网络不给力，请稍后重试')
  })
})
