const fs = require('fs')
const path = require('path')
const { XMLValidator } = require('fast-xml-parser')

const ROOT = path.resolve(__dirname, '../..')
const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))

describe('Alipay mini-app structure', () => {
  test.each(app.pages)('%s has .axml, .acss, .js and .json', page => {
    for (const ext of ['axml', 'acss', 'js', 'json']) {
      expect(fs.existsSync(path.join(ROOT, page + '.' + ext))).toBe(true)
    }
    JSON.parse(fs.readFileSync(path.join(ROOT, page + '.json'), 'utf8'))
  })

  test.each(app.pages)('%s.axml is well-formed and uses Alipay syntax', page => {
    const axml = fs.readFileSync(path.join(ROOT, page + '.axml'), 'utf8')
    // Several root nodes are fine in axml; wrap them so the validator sees one document.
    const result = XMLValidator.validate('<page>' + axml + '</page>', { allowBooleanAttributes: true })
    expect(result).toBe(true)
    expect(axml).not.toMatch(/\bwx:|\bbind[a-z]+=/)
  })

  test('every event handler named in an axml exists on its page', () => {
    for (const page of app.pages) {
      const axml = fs.readFileSync(path.join(ROOT, page + '.axml'), 'utf8')
      let config = null
      global.Page = c => { config = c }
      global.my = {}
      jest.isolateModules(() => require(path.join(ROOT, page + '.js')))
      const handlers = [...axml.matchAll(/\bon[A-Z][A-Za-z]*="([A-Za-z]+)"/g)].map(m => m[1])
      for (const h of handlers) expect([page, h, typeof config[h]]).toEqual([page, h, 'function'])
    }
  })

  test('tab bar pages exist', () => {
    for (const item of app.tabBar.items) expect(app.pages).toContain(item.pagePath)
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
