/*
 * The ONE file a deployer edits: the API base URL of each Alipay build (envVersion from
 * my.getAccountInfoSync(): develop = the IDE / preview, trial = 体验版, release = 正式版;
 * gray = 灰度版 uses the release URL). `scripts/check-miniapp-release.js` refuses to package when
 * the trial or release URL is not https or points at a loopback / private address.
 * See docs/miniprogram-release.md.
 *
 * Overrides, in order: a storage override set with setApiBaseUrl(url) (develop and trial
 * only), ext.json `apiBaseUrl`, then the table.
 */
var API_BASE_URLS = {
  develop: 'http://127.0.0.1:8000/api/v1',
  trial: 'https://smart315.example.cn/api/v1',
  release: 'https://smart315.example.cn/api/v1'
}
var DEFAULT_API_BASE_URL = API_BASE_URLS.develop
var OVERRIDE_KEY = 'smart315.api_base_url'

/** 'develop' | 'trial' | 'release'; 'develop' where the base library cannot tell. */
function envVersion() {
  try {
    var info = my.getAccountInfoSync && my.getAccountInfoSync()
    var v = info && info.miniProgram && info.miniProgram.envVersion
    if (v === 'gray') return 'release'
    if (v && API_BASE_URLS[v]) return v
  } catch (e) {}
  return 'develop'
}

function getApiBaseUrl() {
  var env = envVersion()
  if (env !== 'release') {
    try {
      var override = my.getStorageSync({ key: OVERRIDE_KEY })
      if (override && override.data) return override.data
    } catch (e) {}
  }
  try {
    var ext = my.getExtConfigSync && my.getExtConfigSync()
    if (ext && ext.apiBaseUrl) return ext.apiBaseUrl
  } catch (e) {}
  return API_BASE_URLS[env]
}

function setApiBaseUrl(url) {
  if (url) my.setStorageSync({ key: OVERRIDE_KEY, data: url })
  else my.removeStorageSync({ key: OVERRIDE_KEY })
}

module.exports = {
  API_BASE_URLS: API_BASE_URLS,
  DEFAULT_API_BASE_URL: DEFAULT_API_BASE_URL,
  envVersion: envVersion,
  getApiBaseUrl: getApiBaseUrl,
  setApiBaseUrl: setApiBaseUrl
}
