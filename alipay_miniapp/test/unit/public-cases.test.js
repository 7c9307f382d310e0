/**
 * @jest-environment jsdom
 */
// Published cases on the rendered Alipay page: public reply, members, joining.
const { installMy, signIn, flush } = require('../helpers/my')
const { renderPage, text } = require('../helpers/render')

describe('Alipay public cases', () => {
  let my
  beforeEach(() => {
    my = installMy()
    my._route('GET', '/public/complaints', () => ({ data: { items: [
      { id: 41, business_name: '某电商', title: '双11价格欺诈', description: '先涨价后打折', status: 'forwarded', created_at: '2026-11-12T10:00:00+08:00',
        members: 5, joinable: true, business_reply: { text: '逐一退差价', replied_at: '2026-11-13T09:00:00+08:00' } }
    ], page: 1, per_page: 20, total: 1 } }))
  })

  test('reply and members shown; a signed-in consumer joins and lands on their complaint', async () => {
    signIn(my)
    let joined = null
    my._route('POST', '/complaints/41/join', req => { joined = req.data; return { status: 201, data: { id: 77 } } })
    const comp = renderPage('cases/cases', { business_id: '8' })
    await flush()
    expect(text(comp, '#case-0-members')).toBe('集体投诉 · 已有5人加入')
    expect(text(comp, '#case-0-reply')).toContain('逐一退差价')
    comp.querySelector('#join-0').dispatchEvent('tap')
    await flush()
    comp.querySelector('#join-submit').dispatchEvent('tap')
    await flush()
    expect(joined).toEqual({})
    expect(my.navigateTo).toHaveBeenCalledWith({ url: '/pages/complaint/detail?id=77' })
  })
})
