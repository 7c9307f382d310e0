const fs = require('fs')
const os = require('os')
const path = require('path')
const { installWx } = require('../helpers/wx')
const check = require('../../../scripts/check-miniapp-release')

describe('API base URL by envVersion', () => {
  let wx
  beforeEach(() => { wx = installWx() })
  const config = () => require('../../config')

  test.each(['develop', 'trial', 'release'])('%s build uses its own URL from config.js', env => {
    wx.getAccountInfoSync = jest.fn(() => ({ miniProgram: { appId: 'wx1', envVersion: env } }))
    expect(config().getApiBaseUrl()).toBe(config().API_BASE_URLS[env])
  })

  test('the requests of a release build go to the release URL', async () => {
    wx.getAccountInfoSync = jest.fn(() => ({ miniProgram: { envVersion: 'release' } }))
    config().API_BASE_URLS.release = 'https://api.smart315.cn/api/v1'
    try {
      require('../../utils/api').resetApi()
      await require('../../utils/api').getApi().loadVocabulary()
      expect(wx.request.mock.calls[0][0].url).toBe('https://api.smart315.cn/api/v1/vocabulary')
    } finally {
      config().API_BASE_URLS.release = 'https://smart315.example.cn/api/v1'
    }
  })

  test('a storage override is ignored by a release build, honoured by a trial build', () => {
    wx._store.set('smart315.api_base_url', 'http://192.168.1.5:8000/api/v1')
    wx.getAccountInfoSync = jest.fn(() => ({ miniProgram: { envVersion: 'release' } }))
    expect(config().getApiBaseUrl()).toBe(config().API_BASE_URLS.release)
    wx.getAccountInfoSync = jest.fn(() => ({ miniProgram: { envVersion: 'trial' } }))
    expect(config().getApiBaseUrl()).toBe('http://192.168.1.5:8000/api/v1')
  })

  test('without getAccountInfoSync the develop URL is used', () => {
    delete wx.getAccountInfoSync
    expect(config().getApiBaseUrl()).toBe('http://127.0.0.1:8000/api/v1')
  })
})

describe('scripts/check-miniapp-release.js', () => {
  function fakeApp(name, urls, appid) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rel-'))
    const app = path.join(dir, name)
    fs.mkdirSync(app)
    fs.writeFileSync(path.join(app, 'config.js'), 'module.exports = { API_BASE_URLS: ' + JSON.stringify(urls) + ' }')
    if (appid !== undefined) fs.writeFileSync(path.join(app, 'project.config.json'), JSON.stringify({ appid: appid }))
    return app
  }

  test.each([
    ['http://127.0.0.1:8000/api/v1', /loopback|https/],
    ['https://127.0.0.1/api/v1', /loopback/],
    ['https://localhost/api/v1', /loopback/],
    ['https://[::1]/api/v1', /loopback/],
    ['https://192.168.1.2/api/v1', /private/],
    ['http://api.smart315.cn/api/v1', /https/],
    ['https://smart315.example.cn/api/v1', /placeholder/]
  ])('refuses %s', (url, why) => {
    expect(check.urlProblem(url)).toMatch(why)
  })

  test('refuses a release config pointing at a loopback address and touristappid', () => {
    const app = fakeApp('miniprogram', { develop: 'http://127.0.0.1:8000/api/v1', trial: 'https://api.smart315.cn/api/v1', release: 'http://127.0.0.1:8000/api/v1' }, 'touristappid')
    const problems = check.checkApp(app)
    expect(problems.join('\n')).toMatch(/API_BASE_URLS\.release/)
    expect(problems.join('\n')).toMatch(/touristappid/)
    expect(problems.join('\n')).not.toMatch(/API_BASE_URLS\.trial/)
  })

  test('accepts a real https domain and app id (develop may stay local)', () => {
    const app = fakeApp('miniprogram', { develop: 'http://127.0.0.1:8000/api/v1', trial: 'https://api.smart315.cn/api/v1', release: 'https://api.smart315.cn/api/v1' }, 'wx0123456789abcdef')
    expect(check.checkApp(app)).toEqual([])
  })

  test('the shipped configuration is refused until the deployer edits it', () => {
    expect(check.checkApp(path.resolve(__dirname, '../..')).length).toBeGreaterThan(0)
    expect(check.main(['miniprogram'])).toBe(1)
  })
})
