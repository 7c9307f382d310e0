/*
 * The one place for the API base URL. Default: a local server. Override for a deployment by
 * editing DEFAULT_API_BASE_URL, via ext.json `apiBaseUrl`, or at run time with
 * setApiBaseUrl(url) (kept in storage).
 */
var DEFAULT_API_BASE_URL = 'http://127.0.0.1:8000/api/v1'
var OVERRIDE_KEY = 'smart315.api_base_url'

function getApiBaseUrl() {
  try {
    var override = my.getStorageSync({ key: OVERRIDE_KEY })
    if (override && override.data) return override.data
  } catch (e) {}
  try {
    var ext = my.getExtConfigSync && my.getExtConfigSync()
    if (ext && ext.apiBaseUrl) return ext.apiBaseUrl
  } catch (e) {}
  return DEFAULT_API_BASE_URL
}

function setApiBaseUrl(url) {
  if (url) my.setStorageSync({ key: OVERRIDE_KEY, data: url })
  else my.removeStorageSync({ key: OVERRIDE_KEY })
}

module.exports = {
  DEFAULT_API_BASE_URL: DEFAULT_API_BASE_URL,
  getApiBaseUrl: getApiBaseUrl,
  setApiBaseUrl: setApiBaseUrl
}
