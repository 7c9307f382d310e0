/**
 * @jest-environment jsdom
 */
// Joining an open collective complaint from the filing page (issue 18.1), rendered from its .wxml: a
// submit answered 409 duplicate_complaint with a collective_suggestion shows the card
// 已有N人投诉同一商家的类似问题：「title」; 加入集体投诉 posts /complaints/{id}/join with the form's amount,
// description and photos, clears the draft and opens the new complaint; 仍然单独投诉 explains the duplicate.
// The reference lists and the join's 201 are the real server's answers (miniapp-shared/test-fixtures).
const { installWx, signIn, renderPage, flush, text, problem } = require('../helpers/wx')
const { routeFixtures } = require('../helpers/fixtures')

const DRAFT = 'smart315.complaint_draft'

function seedDraft(wx, F) {
  const region = F.regions.body.items[0]
  wx._store.set(DRAFT, {
    idempotency_key: 'draft-key-1',
    updated_at: Date.now(),
    form: {
      business_id: 1, business_name: F.complaint.body.business_name,
      industry_code: F.industries.body.items[0].code, industry_name: F.industries.body.items[0].name,
      category: F.categories.body.items[0].code, category_name: F.categories.body.items[0].name,
      region_code: '110105', region_names: [region.name, '市辖区', '朝阳区'],
      title: '空调漏水商家不修', description: '  我家的空调也是安装后第二天漏水，客服一直拖延。  ',
      purchase_date: '', order_no: '', amount_claimed: '2999.5', demands: ['repair'],
      public_consent: true, contact_preference: 'message',
      attachments: [{ path: 'wxfile://a.jpg', id: 'att-9', progress: 100, failed: false }]
    }
  })
}

const SUGGESTION = { id: 6, title: '空调安装后漏水，商家拖延维修', members: 3 }
const DUPLICATE = '您已有一件针对该商家、内容相同的投诉正在处理中（TS2026120500000004），请勿重复提交；如需补充，请在原投诉中留言'

describe('filing page: join an open collective complaint', () => {
  let wx, F
  beforeEach(() => {
    wx = installWx()
    signIn(wx)
    F = routeFixtures(wx)
    wx._route('POST', '/me/subscriptions', () => ({ status: 204 }))
    seedDraft(wx, F)
  })

  function dup(extra) {
    wx._route('POST', '/complaints', () => problem(409, 'duplicate_complaint', Object.assign({ detail: DUPLICATE, existing_id: 4 }, extra)))
  }

  test('a 409 with collective_suggestion offers the case; 加入集体投诉 joins it and opens the new complaint', async () => {
    dup({ collective_suggestion: SUGGESTION })
    const joined = Object.assign({}, F.complaint.body, { id: 77, collective_id: 6 })
    wx._route('POST', '/complaints/6/join', () => ({ status: 201, data: joined }))
    const comp = renderPage('complaint/new')
    await flush(10)
    expect(comp.querySelector('#collective-card')).toBeFalsy()
    comp.querySelector('#submit-btn').dispatchEvent('tap')
    await flush(10)

    expect(text(comp, '#submit-error')).toBe(DUPLICATE)
    expect(text(comp, '#collective-text')).toBe('已有3人投诉同一商家的类似问题：「空调安装后漏水，商家拖延维修」')
    expect(text(comp, '#join-collective')).toBe('加入集体投诉')
    expect(text(comp, '#dismiss-collective')).toBe('仍然单独投诉')
    expect(wx.redirectTo).not.toHaveBeenCalled()

    comp.querySelector('#join-collective').dispatchEvent('tap')
    await flush(10)
    const joins = wx._calls.filter(c => c.method === 'POST' && /\/join$/.test(c.path))
    expect(joins).toHaveLength(1)
    const sent = wx.request.mock.calls.map(c => c[0]).filter(o => /\/join$/.test(o.url))
    expect(sent.map(o => [o.method, new URL(o.url).pathname])).toEqual([['POST', '/api/v1/complaints/6/join']])
    expect(joins[0].data).toEqual({
      amount_claimed: '2999.50',
      description: '我家的空调也是安装后第二天漏水，客服一直拖延。',
      attachment_ids: ['att-9']
    })
    expect(joins[0].header['Idempotency-Key']).toBeTruthy()
    expect(joins[0].header['Idempotency-Key']).not.toBe('draft-key-1')
    expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/complaint/detail?id=77' })
    expect(wx._store.has(DRAFT)).toBe(false)
  })

  test('仍然单独投诉 hides the card and explains the duplicate, with a way to the original complaint', async () => {
    dup({ collective_suggestion: SUGGESTION })
    const comp = renderPage('complaint/new')
    await flush(10)
    comp.querySelector('#submit-btn').dispatchEvent('tap')
    await flush(10)
    comp.querySelector('#dismiss-collective').dispatchEvent('tap')
    await flush()
    expect(comp.querySelector('#collective-card')).toBeFalsy()
    expect(text(comp, '#duplicate-note')).toContain('您已有一件针对该商家、内容相同的投诉正在处理中')
    comp.querySelector('#open-existing').dispatchEvent('tap')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/complaint/detail?id=4' })
    expect(wx._calls.find(c => /\/join$/.test(c.path))).toBeUndefined()
    expect(wx._store.has(DRAFT)).toBe(true)
  })

  test('a refused join says why and keeps the form', async () => {
    dup({ collective_suggestion: SUGGESTION })
    wx._route('POST', '/complaints/6/join', () => problem(409, 'conflict', { detail: '您已加入这件集体投诉，请在您自己的投诉中补充情况' }))
    const comp = renderPage('complaint/new')
    await flush(10)
    comp.querySelector('#submit-btn').dispatchEvent('tap')
    await flush(10)
    comp.querySelector('#join-collective').dispatchEvent('tap')
    await flush(10)
    expect(text(comp, '#join-error')).toBe('您已加入这件集体投诉，请在您自己的投诉中补充情况')
    expect(wx.redirectTo).not.toHaveBeenCalled()
    expect(wx._store.has(DRAFT)).toBe(true)
  })

  test('classify offers the collective case while the form is being filled', async () => {
    wx._route('POST', '/assist/classify', () => ({ data: { industry_code: null, category: null, business_candidates: [], duplicate_of: [], collective_suggestion: SUGGESTION } }))
    const comp = renderPage('complaint/new')
    await flush(10)
    comp.querySelector('#description-input').dispatchEvent('blur', { detail: {} })
    await flush(10)
    expect(text(comp, '#collective-text')).toBe('已有3人投诉同一商家的类似问题：「空调安装后漏水，商家拖延维修」')
    comp.querySelector('#dismiss-collective').dispatchEvent('tap')
    await flush()
    expect(comp.querySelector('#collective-card')).toBeFalsy()
    expect(comp.querySelector('#duplicate-note')).toBeFalsy()
  })
})
