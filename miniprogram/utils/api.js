/*
 * WeChat adapter for the shared client in core.js: wx.request, wx.uploadFile, subscribe
 * messages, wx.login and storage.
 * Pages use the default instance from getApi(); tests and the e2e run build their own with
 * createApi({baseUrl}).
 */
var core = require('./core')
var config = require('../config')
var storage = require('./storage')

var LOGIN_PAGE = '/pages/login/login'

function wxRequest(opts) {
  return new Promise(function (resolve, reject) {
    wx.request({
      url: opts.url,
      method: opts.method,
      data: opts.data,
      header: opts.headers,
      timeout: 15000,
      success: function (res) {
        resolve({ status: res.statusCode, data: res.data, headers: res.header || {} })
      },
      fail: function (err) {
        reject(err)
      }
    })
  })
}

function goToLogin() {
  if (typeof wx.reLaunch === 'function') wx.reLaunch({ url: LOGIN_PAGE })
}

function wxLoginCode() {
  return new Promise(function (resolve, reject) {
    wx.login({
      success: function (res) {
        if (res && res.code) resolve(res.code)
        else reject(new core.ApiError({ code: 'invalid_code', status: 400 }))
      },
      fail: function () {
        reject(core.networkError())
      }
    })
  })
}

/** wx.uploadFile for core's client.upload (multipart field "file"). */
function wxUploadFile(o) {
  return new Promise(function (resolve, reject) {
    var task = wx.uploadFile({
      url: o.url,
      filePath: o.filePath,
      name: 'file',
      header: o.header,
      timeout: 60000,
      success: function (res) {
        resolve({ status: res.statusCode, data: res.data })
      },
      fail: function () {
        reject(core.networkError())
      }
    })
    core.watchUploadProgress(task, o.onProgress)
  })
}

/** wx.downloadFile for core's client.downloadFile (evidence photos behind the Bearer header). */
function wxDownloadFile(o) {
  return new Promise(function (resolve, reject) {
    wx.downloadFile({
      url: o.url,
      header: o.header,
      timeout: 60000,
      success: function (res) {
        resolve({ status: res.statusCode, data: { path: res.tempFilePath } })
      },
      fail: function () {
        reject(core.networkError())
      }
    })
  })
}

/** wx.requestSubscribeMessage (WeChat wants it straight from a tap) -> the accepted ids. */
function wxAskSubscriptions(ids) {
  return new Promise(function (resolve) {
    wx.requestSubscribeMessage({
      tmplIds: ids,
      success: function (res) { resolve(core.acceptedWechat(res, ids)) },
      fail: function () { resolve([]) }
    })
  })
}

function createApi(options) {
  options = options || {}
  var client = core.createClient({
    baseUrl: options.baseUrl || config.getApiBaseUrl(),
    request: options.request || wxRequest,
    storage: options.storage || storage,
    onSignedOut: options.onSignedOut || goToLogin
  })
  // upload, loadSubscribeTemplateIds, requestSubscriptions (at most 3 WeChat templates).
  core.addPlatformCalls(client, { channel: 'wechat', uploadFile: wxUploadFile, downloadFile: wxDownloadFile, askSubscriptions: wxAskSubscriptions })

  /** wx.login -> POST /auth/wechat {code}; tokens go to storage. */
  client.loginWithWechat = function () {
    return wxLoginCode().then(function (code) {
      return client.signIn('/auth/wechat', { code: code })
    })
  }

  /** getPhoneNumber button's detail.code -> POST /me/phone/wechat {phone_code}. */
  client.bindWechatPhone = function (phoneCode) {
    return client.post('/me/phone/wechat', { phone_code: phoneCode }).then(function (res) {
      var user = client.currentUser() || {}
      if (res && res.phone_masked) user.phone_masked = res.phone_masked
      else if (res && res.user) user = res.user
      client.setUser(user)
      return res
    })
  }

  return client
}

var instance = null

function getApi() {
  if (!instance) instance = createApi()
  return instance
}

/** For tests: forget the default instance so the next getApi() reads config again. */
function resetApi() {
  instance = null
}

module.exports = {
  createApi: createApi,
  getApi: getApi,
  resetApi: resetApi,
  LOGIN_PAGE: LOGIN_PAGE
}
