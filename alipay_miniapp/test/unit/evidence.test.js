/**
 * @jest-environment jsdom
 */
// Evidence after filing (issue 18.3) on the Alipay complaint detail page, rendered from its .axml: the
// filing's, a supplement's and the messages' photos show as thumbnails (fetched once, with the Bearer
// header) and open with my.previewImage; a photo sent alone needs no text.
const { installMy, signIn, flush } = require('../helpers/my')
const { renderPage, text } = require('../helpers/render')

function complaint() {
  return {
    id: 7, public_no: 'TS2026120400000007', title: '冰箱不制冷', description: '买来三天就不制冷', status: 'forwarded',
    business_name: '某电器', created_at: '2026-12-01T10:00:00+08:00', allowed_actions: [],
    attachments: [{ id: 'f1', content_type: 'image/png', url: '/api/v1/uploads/f1' }],
    timeline: [
      { action: 'supplement', to_status: 'forwarded', actor_role: 'consumer', note: '发票', created_at: '2026-12-02T10:00:00+08:00',
        data: { attachment_ids: ['s1'] }, attachments: [{ id: 's1', content_type: 'image/jpeg', url: '/api/v1/uploads/s1' }] }
    ]
  }
}

describe('Alipay complaint detail: evidence of both parties', () => {
  let my
  beforeEach(() => {
    my = installMy()
    signIn(my)
    my._route('GET', '/complaints/7', () => ({ data: complaint() }))
    my._route('GET', '/complaints/7/messages', () => ({ data: { items: [
      { id: 1, body: '', author_role: 'business_staff', created_at: '2026-12-02T11:00:00+08:00',
        attachments: [{ id: 'm1', content_type: 'image/jpeg', url: '/api/v1/uploads/m1' }] }
    ] } }))
  })

  test('thumbnails are fetched once and shown; taps preview them with my.previewImage', async () => {
    const comp = renderPage('complaint/detail', { id: '7' })
    await flush(10)
    expect(my.downloadFile.mock.calls.map(c => c[0].url.replace(/^.*\/uploads\//, '')).sort()).toEqual(['f1', 'm1', 's1'])
    expect(my.downloadFile.mock.calls.every(c => c[0].header.Authorization === 'Bearer access-1')).toBe(true)
    for (const id of ['#photo-0', '#event-0-photo-0', '#msg-0-photo-0']) {
      expect(comp.querySelector(id).dom.querySelector('wx-image')).not.toBeNull()
    }
    const data = comp.instance.data
    expect([data.complaint.photos[0].thumb, data.timeline[0].photos[0].thumb, data.messages[0].photos[0].thumb])
      .toEqual(['https://resource/f1.image', 'https://resource/s1.image', 'https://resource/m1.image'])
    expect(text(comp, '#event-0-photo-0')).toBe('材料照片1')

    comp.querySelector('#event-0-photo-0').dispatchEvent('tap')
    await flush()
    expect(my.previewImage).toHaveBeenCalledWith({ urls: ['https://resource/s1.image'], current: 0 })
    comp.querySelector('#msg-0-photo-0').dispatchEvent('tap')
    await flush()
    expect(my.previewImage).toHaveBeenLastCalledWith({ urls: ['https://resource/m1.image'], current: 0 })
    expect(my.downloadFile).toHaveBeenCalledTimes(3)
  })

  test('a photo alone is sent with an empty text and shows as a thumbnail', async () => {
    let posted = null
    my._route('POST', '/complaints/7/messages', req => {
      posted = req.data
      return { status: 201, data: { id: 2, body: '', author_role: 'consumer', mine: true, created_at: '2026-12-02T12:00:00+08:00',
        attachments: [{ id: 'u9', content_type: 'image/jpeg', url: '/api/v1/uploads/u9' }] } }
    })
    my.chooseImage.mockImplementation(opts => opts.success({ apFilePaths: ['https://resource/invoice.jpg'] }))
    my.uploadFile.mockImplementation(opts => {
      setTimeout(() => opts.success({ statusCode: 201, data: JSON.stringify({ id: 'u9', mime: 'image/jpeg', size: 5, sha256: 'x' }) }), 0)
      return { onProgressUpdate: () => {} }
    })
    const comp = renderPage('complaint/detail', { id: '7' })
    await flush(10)
    comp.querySelector('#message-photo-add').dispatchEvent('tap')
    await flush(12)
    comp.querySelector('#message-send').dispatchEvent('tap')
    await flush(10)
    expect(posted).toEqual({ body: '', attachment_ids: ['u9'] })
    expect(comp.instance.data.messages[1].photos[0].thumb).toBe('https://resource/u9.image')
    expect(comp.querySelector('#msg-1-photo-0').dom.querySelector('wx-image')).not.toBeNull()
  })
})
