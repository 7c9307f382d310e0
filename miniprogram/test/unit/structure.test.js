const fs = require('fs')
const path = require('path')

const ROOT = path.resolve(__dirname, '../..')
const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))

describe('WeChat mini-program structure', () => {
  test.each(app.pages)('%s has .wxml, .wxss, .js and .json and is a Component', page => {
    for (const ext of ['wxml', 'wxss', 'js', 'json']) {
      expect(fs.existsSync(path.join(ROOT, page + '.' + ext))).toBe(true)
    }
    JSON.parse(fs.readFileSync(path.join(ROOT, page + '.json'), 'utf8'))
    expect(fs.readFileSync(path.join(ROOT, page + '.js'), 'utf8')).toMatch(/\bComponent\(\{/)
  })

  test('tab bar pages exist', () => {
    for (const item of app.tabBar.list) expect(app.pages).toContain(item.pagePath)
  })

  test('the API base URL lives in one config module with the local default', () => {
    expect(require('../../config').DEFAULT_API_BASE_URL).toBe('http://127.0.0.1:8000/api/v1')
  })

  // One source for both apps: miniapp-shared/ is the master of the shared code, templates and
  // styles; scripts/sync-miniapps.js generates this app's copies (make sync-miniapps).
  test.each(['utils/core.js', 'utils/pages.js', 'utils/vocabulary.js'])('the shared %s is byte-identical to the master in miniapp-shared/', file => {
    const mine = fs.readFileSync(path.join(ROOT, file))
    const master = fs.readFileSync(path.join(ROOT, '../miniapp-shared', file))
    expect(mine.equals(master)).toBe(true)
  })

  test('every file generated from miniapp-shared/ is as the sync script would write it', () => {
    const sync = require('../../../scripts/sync-miniapps')
    const stale = sync.plan().filter(it => !fs.existsSync(it.target) || !fs.readFileSync(it.target).equals(it.content))
      .map(it => path.relative(path.join(ROOT, '..'), it.target))
    expect(stale).toEqual([])
  })
})
