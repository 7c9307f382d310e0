/**
 * Every page of the WeChat app, rendered and photographed (issue 19.5).
 *
 * Each page listed in app.json is rendered by miniprogram-simulate with the server answers recorded in
 * miniapp-shared/test-fixtures/ (tests/api/test_miniapp_fixtures.py keeps them true to the server),
 * written as HTML with the app's styles, and photographed by headless Chromium (playwright-core, the
 * system /usr/bin/chromium). The PNGs are test artifacts: test-artifacts/miniapp-screenshots/wechat/
 * (gitignored). The test then checks what a user would notice on each photo: the page is not blank,
 * no raw {{template}} shows, no English status code leaks, what the page is for is on it, it fits the
 * phone's width, body text is 16px and the primary action is WeChat green.
 */
const fs = require('fs')
const path = require('path')
const { execFileSync } = require('child_process')
const { installWx, signIn, renderPage, flush, ROOT } = require('../helpers/wx')
const { routeFixtures, loadFixtures } = require('../helpers/fixtures')
const { pageHtml, installTemplateMarks } = require('../helpers/page-html')
const vocabulary = require('../../utils/vocabulary')

const OUT = path.resolve(ROOT, '..', 'test-artifacts', 'miniapp-screenshots', 'wechat')
const PAGES = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8')).pages.map(p => p.replace(/^pages\//, ''))
const F = loadFixtures()
const complaint = F.complaint.body
const business = F.business.body

/** Per page: how it is opened, signed in or not, and text a user must see on it (from the fixtures). */
const SETUP = {
  'index/index': { expect: ['消费维权数据', F.public_rankings.body.items[0].name] },
  'login/login': { signedOut: true, expect: ['登录'] },
  'complaint/new': { expect: ['投诉标题'] },
  'complaint/list': { expect: [F.complaints.body.items[0].title] },
  'complaint/detail': { query: { id: String(complaint.id) }, expect: [complaint.title, complaint.public_no] },
  'business/detail': { query: { id: String(business.id) }, expect: [business.name] },
  'cases/cases': { query: { business_id: String(business.id) }, expect: [F.public_complaints.body.items[0].title] },
  'rankings/rankings': { expect: [F.public_rankings.body.items[0].name] },
  'consult/consult': { expect: ['发送'] },
  'notifications/notifications': { expect: [F.notifications.body.items[0].title] },
  'me/me': { expect: [F.me.body.display_name] },
  'webview/webview': { query: { url: encodeURIComponent('https://smart315.example.cn/privacy'), title: encodeURIComponent('隐私政策') }, expect: [], allowEmptyText: true },
  'privacy/privacy': { expect: ['隐私'] }
}

const CODES = [].concat(Object.keys(vocabulary.statuses), Object.keys(vocabulary.actions), Object.keys(vocabulary.demands))
const ENGLISH_CODE = new RegExp('(^|[^A-Za-z_.])(' + CODES.join('|') + ')(?![A-Za-z_])')

let shots = null

beforeAll(async () => {
  installTemplateMarks()
  fs.rmSync(OUT, { recursive: true, force: true })
  fs.mkdirSync(OUT, { recursive: true })
  for (const page of PAGES) {
    const setup = SETUP[page] || {}
    const wx = installWx()
    if (!setup.signedOut) signIn(wx, { display_name: F.me.body.display_name })
    routeFixtures(wx, F)
    const comp = renderPage(page, setup.query || {})
    if (comp.instance.onShow) comp.instance.onShow()
    await flush(12)
    fs.writeFileSync(path.join(OUT, page.replace('/', '--') + '.html'), pageHtml(ROOT, page, comp))
  }
  const json = execFileSync(process.execPath, [path.join(ROOT, 'test', 'screenshots', 'shoot.js'), OUT],
    { encoding: 'utf8', timeout: 120000 })
  shots = JSON.parse(json)
}, 180000)

describe('screenshots of every page of the WeChat app', () => {
  test('every page in app.json has its setup here and a photo', () => {
    expect(Object.keys(SETUP).sort()).toEqual(PAGES.slice().sort())
    PAGES.forEach(page => {
      const png = path.join(OUT, page.replace('/', '--') + '.png')
      expect(fs.existsSync(png)).toBe(true)
      expect(fs.statSync(png).size).toBeGreaterThan(2000)
    })
  })

  test.each(PAGES)('%s: not blank, no raw template, no English codes, its content shown', page => {
    const shot = shots[page.replace('/', '--')]
    const setup = SETUP[page]
    expect(shot.mainHeight).toBeGreaterThan(40)
    expect(shot.mainWidth).toBeGreaterThan(300)
    if (!setup.allowEmptyText) expect(shot.text.trim().length).toBeGreaterThan(4)
    expect(shot.text).not.toContain('{{')
    expect(shot.text).not.toMatch(/\bundefined\b|\bnull\b|NaN|\[object Object\]/)
    const leak = shot.text.match(ENGLISH_CODE)
    expect(leak && leak[2]).toBeNull()
    setup.expect.forEach(t => expect(shot.text).toContain(t))
    expect(shot.overflowX).toBe(false)
  })

  test('WeUI look: 16px body text on WeUI grey, primary actions in WeChat green', () => {
    PAGES.forEach(page => {
      const shot = shots[page.replace('/', '--')]
      expect([page, shot.bodyFontSize]).toEqual([page, '16px'])
      expect([page, shot.background]).toEqual([page, 'rgb(237, 237, 237)'])
      shot.primaryButtons.forEach(bg => expect([page, bg]).toEqual([page, 'rgb(7, 193, 96)']))
    })
    const withPrimary = PAGES.filter(p => shots[p.replace('/', '--')].primaryButtons.length)
    expect(withPrimary.length).toBeGreaterThan(0)
  })
})
