/*
 * The one place for the API base URL. Default: a local server. Override for a deployment by
 * editing DEFAULT_API_BASE_URL, via extConfig (third-party platform) `apiBaseUrl`, or at run
 * time with setApiBaseUrl(url) (kept in storage; handy on a test phone).
 */
var DEFAULT_API_BASE_URL = 'http://127.0.0.1:8000/api/v1'
var OVERRIDE_KEY = 'smart315.api_base_url'

function getApiBaseUrl() {
  try {
    var override = wx.getStorageSync(OVERRIDE_KEY)
    if (override) return override
  } catch (e) {}
  try {
    var ext = wx.getExtConfigSync && wx.getExtConfigSync()
    if (ext && ext.apiBaseUrl) return ext.apiBaseUrl
  } catch (e) {}
  return DEFAULT_API_BASE_URL
}

function setApiBaseUrl(url) {
  if (url) wx.setStorageSync(OVERRIDE_KEY, url)
  else wx.removeStorageSync(OVERRIDE_KEY)
}

module.exports = {
  DEFAULT_API_BASE_URL: DEFAULT_API_BASE_URL,
  getApiBaseUrl: getApiBaseUrl,
  setApiBaseUrl: setApiBaseUrl
}
