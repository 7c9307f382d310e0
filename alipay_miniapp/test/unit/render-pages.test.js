/**
 * @jest-environment jsdom
 */
// Every page of the Alipay mini-app rendered for real (issue 19.6: rendered, not only parsed): each
// page's .axml compiled by miniprogram-simulate (test/helpers/render.js) with its Page() config, its
// requests answered by the server answers recorded in miniapp-shared/test-fixtures/ (kept true to the
// server by tests/api/test_miniapp_fixtures.py). Each rendered page must show what it is for, with no
// raw {{template}}, no English status code and no undefined/null leaking into the text; then every page
// is photographed in headless Chromium with its .acss (test-artifacts/miniapp-screenshots/alipay/).
const fs = require('fs')
const path = require('path')
const { execFileSync } = require('child_process')
const { installMy, signIn, flush, ROOT } = require('../helpers/my')
const { renderPage } = require('../helpers/render')
const { routeFixtures, loadFixtures } = require('../helpers/fixtures')
const vocabulary = require('../../utils/vocabulary')

const PAGES = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8')).pages.map(p => p.replace(/^pages\//, ''))
const F = loadFixtures()
const complaint = F.complaint.body
const business = F.business.body

const SETUP = {
  'index/index': { expect: ['消费维权数据', F.public_rankings.body.items[0].name, String(F.public_stats.body.complaints_total)] },
  'login/login': { signedOut: true, expect: ['登录'] },
  'complaint/new': { expect: ['投诉标题', '请选择行业', '提交投诉'] },
  'complaint/list': { expect: F.complaints.body.items.map(i => i.title).concat([vocabulary.statuses[F.complaints.body.items[0].status]]) },
  'complaint/detail': {
    query: { id: String(complaint.id) },
    expect: [complaint.title, complaint.public_no, vocabulary.statuses[complaint.status],
      complaint.timeline[complaint.timeline.length - 1].note].concat(F.complaint_messages.body.items.map(m => m.body))
  },
  'business/detail': { query: { id: String(business.id) }, expect: [business.name] },
  'cases/cases': { query: { business_id: String(business.id) }, expect: [F.public_complaints.body.items[0].title] },
  'rankings/rankings': { expect: [F.public_rankings.body.items[0].name] },
  'consult/consult': { expect: ['发送'] },
  'notifications/notifications': { expect: F.notifications.body.items.slice(0, 3).map(n => n.title) },
  'me/me': { expect: [F.me.body.display_name] },
  'webview/webview': { query: { url: encodeURIComponent('https://smart315.example.cn/privacy'), title: encodeURIComponent('隐私政策') }, expect: [], blankOk: true }
}

const CODES = [].concat(Object.keys(vocabulary.statuses), Object.keys(vocabulary.actions), Object.keys(vocabulary.demands))
const ENGLISH_CODE = new RegExp('(^|[^A-Za-z_.])(' + CODES.join('|') + ')(?![A-Za-z_])')

// The WeChat app's screenshot harness (its page-html helper and Chromium script, with playwright-core
// from miniprogram/node_modules: make test-js installs the WeChat app first).
const WECHAT = path.resolve(ROOT, '..', 'miniprogram')
const { pageHtml, markBuiltins } = require(path.join(WECHAT, 'test', 'helpers', 'page-html'))
const OUT = path.resolve(ROOT, '..', 'test-artifacts', 'miniapp-screenshots', 'alipay')

async function render(page) {
  const setup = SETUP[page]
  const my = installMy()
  if (!setup.signedOut) signIn(my, { display_name: F.me.body.display_name })
  routeFixtures(my, F)
  const comp = renderPage(page, setup.query || {}, markBuiltins)
  if (comp.instance.onShow) comp.instance.onShow()
  await flush(12)
  return comp
}

const rendered = {}

beforeAll(async () => {
  fs.rmSync(OUT, { recursive: true, force: true })
  fs.mkdirSync(OUT, { recursive: true })
  for (const page of PAGES) {
    rendered[page] = await render(page)
    fs.writeFileSync(path.join(OUT, page.replace('/', '--') + '.html'),
      pageHtml(ROOT, page, rendered[page], { styleExt: '.acss', prefix: null }))
  }
})

test('every page in app.json is rendered here', () => {
  expect(Object.keys(SETUP).sort()).toEqual(PAGES.slice().sort())
})

test.each(PAGES)('%s renders the recorded server data the way a user reads it', page => {
  const setup = SETUP[page]
  const shown = rendered[page].dom.textContent.replace(/\s+/g, ' ')
  if (!setup.blankOk) expect(shown.trim().length).toBeGreaterThan(4)
  expect(shown).not.toContain('{{')
  expect(shown).not.toMatch(/\bundefined\b|\bnull\b|NaN|\[object Object\]/)
  const leak = shown.match(ENGLISH_CODE)
  expect(leak && leak[2]).toBeNull()
  setup.expect.forEach(t => expect(shown).toContain(t))
})

test('the complaint detail offers the consumer the actions the server allows, in Chinese', () => {
  const labels = rendered['complaint/detail'].querySelectorAll('.action-btn').map(b => b.dom.textContent.trim())
  expect(labels.length).toBe(complaint.allowed_actions.length)
  labels.forEach(l => expect(l).toMatch(/^[\u4e00-\u9fa5，、]+$/))
  complaint.allowed_actions.forEach(a => expect(labels).not.toContain(a))
})

test('photographed in headless Chromium with the .acss styles: not blank, 16px text, green primary buttons', () => {
  const json = execFileSync(process.execPath, [path.join(WECHAT, 'test', 'screenshots', 'shoot.js'), OUT],
    { encoding: 'utf8', timeout: 120000 })
  const shots = JSON.parse(json)
  PAGES.forEach(page => {
    const shot = shots[page.replace('/', '--')]
    expect(fs.statSync(path.join(OUT, page.replace('/', '--') + '.png')).size).toBeGreaterThan(2000)
    expect([page, shot.mainHeight > 40, shot.mainWidth > 300, shot.overflowX]).toEqual([page, true, true, false])
    expect([page, shot.bodyFontSize, shot.background]).toEqual([page, '16px', 'rgb(237, 237, 237)'])
    shot.primaryButtons.forEach(bg => expect([page, bg]).toEqual([page, 'rgb(7, 193, 96)']))
    if (!SETUP[page].blankOk) expect(shot.text).not.toContain('{{')
  })
}, 150000)
