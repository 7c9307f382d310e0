/*
 * WeChat adapter for the shared client in core.js: wx.request, wx.uploadFile and storage.
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

function createApi(options) {
  options = options || {}
  var client = core.createClient({
    baseUrl: options.baseUrl || config.getApiBaseUrl(),
    request: options.request || wxRequest,
    storage: options.storage || storage,
    onSignedOut: options.onSignedOut || goToLogin
  })

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

  /**
   * POST /uploads with wx.uploadFile (multipart field "file", Bearer header).
   * onProgress(percent) is fed from the task's onProgressUpdate.
   */
  client.upload = function (filePath, onProgress) {
    return client.authorized(function (token) {
      return new Promise(function (resolve, reject) {
        var header = {}
        if (token) header.Authorization = 'Bearer ' + token
        var task = wx.uploadFile({
          url: client.baseUrl + '/uploads',
          filePath: filePath,
          name: 'file',
          header: header,
          timeout: 60000,
          success: function (res) {
            resolve({ status: res.statusCode, data: res.data })
          },
          fail: function () {
            reject(core.networkError())
          }
        })
        if (task && typeof task.onProgressUpdate === 'function' && onProgress) {
          task.onProgressUpdate(function (p) {
            onProgress(p.progress)
          })
        }
      })
    })
  }

  /** GET /client-config -> the WeChat subscribe template ids to ask for (at most 3). */
  client.loadSubscribeTemplateIds = function () {
    return client.get('/client-config', undefined).then(function (conf) {
      return core.subscribeTemplateIds(conf, 'wechat', 3)
    }, function () {
      return []
    })
  }

  /**
   * Ask for subscribe-message grants (call straight from a tap: WeChat wants a user gesture),
   * then report them with POST /me/subscriptions. Resolves to the accepted ids; never rejects,
   * since the in-app inbox always works and filing must not wait on grants.
   */
  client.requestSubscriptions = function (ids) {
    if (!ids || !ids.length) return Promise.resolve([])
    return new Promise(function (resolve) {
      wx.requestSubscribeMessage({
        tmplIds: ids,
        success: function (res) { resolve(core.acceptedWechat(res, ids)) },
        fail: function () { resolve([]) }
      })
    }).then(function (accepted) {
      return client.post('/me/subscriptions', {
        channel: 'wechat',
        template_ids: ids,
        accepted: accepted
      }).then(function () { return accepted }, function () { return accepted })
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
