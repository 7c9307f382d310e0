// Evidence after filing (issue 18.3) on the WeChat complaint detail page: the filing's, a supplement's
// and the messages' photos show as thumbnails (fetched once, with the Bearer header) and open with
// wx.previewImage; a photo sent alone needs no text.
const { installWx, signIn, renderPage, flush, text } = require('../helpers/wx')

function complaint() {
  return {
    id: 7, public_no: 'TS2026120400000007', title: '冰箱不制冷', description: '买来三天就不制冷', status: 'forwarded',
    business_name: '某电器', created_at: '2026-12-01T10:00:00+08:00', allowed_actions: [],
    attachments: [{ id: 'f1', content_type: 'image/png', url: '/api/v1/uploads/f1' },
      { id: 'f2', content_type: 'application/pdf', url: '/api/v1/uploads/f2' }],
    timeline: [
      { action: 'submit', to_status: 'submitted', actor_role: 'consumer', created_at: '2026-12-01T10:00:00+08:00' },
      { action: 'supplement', to_status: 'forwarded', actor_role: 'consumer', note: '发票', created_at: '2026-12-02T10:00:00+08:00',
        data: { attachment_ids: ['s1'] }, attachments: [{ id: 's1', content_type: 'image/jpeg', url: '/api/v1/uploads/s1' }] }
    ]
  }
}

const image = (comp, id) => comp.querySelector(id).dom.querySelector('wx-image')

describe('complaint detail: evidence of both parties', () => {
  let wx
  beforeEach(() => {
    wx = installWx()
    signIn(wx)
    wx._route('GET', '/complaints/7', () => ({ data: complaint() }))
    wx._route('GET', '/complaints/7/messages', () => ({ data: { items: [
      { id: 1, body: '', author_role: 'business_staff', created_at: '2026-12-02T11:00:00+08:00',
        attachments: [{ id: 'm1', content_type: 'image/jpeg', url: '/api/v1/uploads/m1' }] }
    ] } }))
  })

  test('thumbnails of the filing, the supplement and the business\'s message, each fetched once', async () => {
    const comp = renderPage('complaint/detail', { id: '7' })
    await flush(10)
    const urls = wx.downloadFile.mock.calls.map(c => c[0].url.replace(/^.*\/uploads\//, ''))
    expect(urls.sort()).toEqual(['f1', 'm1', 's1'])
    expect(wx.downloadFile.mock.calls.every(c => c[0].header.Authorization === 'Bearer access-1')).toBe(true)
    // Each tile now holds its picture (the simulator keeps no src attribute: the page's data has it).
    for (const id of ['#photo-0', '#event-1-photo-0', '#msg-0-photo-0']) expect(image(comp, id)).not.toBeNull()
    const data = comp.instance.data
    expect([data.complaint.photos[0].thumb, data.timeline[1].photos[0].thumb, data.messages[0].photos[0].thumb])
      .toEqual(['wxfile://tmp/f1.jpg', 'wxfile://tmp/s1.jpg', 'wxfile://tmp/m1.jpg'])
    expect(text(comp, '#event-1-photo-0')).toBe('材料照片1')
    // The PDF is not a photo; the message without text shows no empty bubble.
    expect(comp.querySelector('#photo-1')).toBeUndefined()
    expect(comp.querySelector('#msg-0 .msg-body')).toBeUndefined()

    comp.querySelector('#event-1-photo-0').dispatchEvent('tap')
    await flush()
    expect(wx.previewImage).toHaveBeenCalledWith({ urls: ['wxfile://tmp/s1.jpg'], current: 'wxfile://tmp/s1.jpg' })
    comp.querySelector('#msg-0-photo-0').dispatchEvent('tap')
    await flush()
    expect(wx.previewImage).toHaveBeenLastCalledWith({ urls: ['wxfile://tmp/m1.jpg'], current: 'wxfile://tmp/m1.jpg' })
    expect(wx.downloadFile).toHaveBeenCalledTimes(3) // previews reuse the thumbnails' files
  })

  test('a thumbnail that cannot be fetched keeps its label and is fetched again on tap', async () => {
    wx.downloadFile = jest.fn(o => o.fail({ errMsg: 'downloadFile:fail' }))
    const comp = renderPage('complaint/detail', { id: '7' })
    await flush(10)
    expect(image(comp, '#photo-0')).toBeNull()
    expect(text(comp, '#photo-0')).toBe('证据照片1')
    expect(wx.showToast).not.toHaveBeenCalled()
    const before = wx.downloadFile.mock.calls.length
    comp.querySelector('#photo-0').dispatchEvent('tap')
    await flush(8)
    expect(wx.downloadFile.mock.calls.length).toBe(before + 1)
    expect(wx.previewImage).not.toHaveBeenCalled()
    expect(wx.showToast.mock.calls.pop()[0].title).toBe('网络不给力，请稍后重试')
  })
})
