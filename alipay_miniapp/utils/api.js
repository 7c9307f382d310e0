/*
 * Alipay adapter for the shared client in core.js: my.request, my.uploadFile and storage.
 * Pages use getApi(); tests and the e2e run build their own with createApi({baseUrl}).
 */
var core = require('./core')
var config = require('../config')
var storage = require('./storage')

var LOGIN_PAGE = '/pages/login/login'

function myRequest(opts) {
  return new Promise(function (resolve, reject) {
    var hasBody = opts.data !== undefined && opts.method !== 'GET'
    my.request({
      url: opts.url,
      method: opts.method,
      headers: opts.headers,
      data: hasBody ? JSON.stringify(opts.data) : undefined,
      dataType: 'json',
      timeout: 15000,
      success: function (res) {
        resolve({ status: res.status, data: res.data, headers: res.headers || {} })
      },
      fail: function (err) {
        // Non-2xx answers arrive here (error 19 etc.) with the HTTP status and body attached.
        if (err && err.status) resolve({ status: err.status, data: err.data, headers: err.headers || {} })
        else reject(err)
      }
    })
  })
}

function goToLogin() {
  if (typeof my.reLaunch === 'function') my.reLaunch({ url: LOGIN_PAGE })
}

function authCode() {
  return new Promise(function (resolve, reject) {
    my.getAuthCode({
      scopes: 'auth_base',
      success: function (res) {
        if (res && res.authCode) resolve(res.authCode)
        else reject(new core.ApiError({ code: 'invalid_code', status: 400 }))
      },
      fail: function () {
        reject(new core.ApiError({ code: 'invalid_code', status: 400 }))
      }
    })
  })
}

function createApi(options) {
  options = options || {}
  var client = core.createClient({
    baseUrl: options.baseUrl || config.getApiBaseUrl(),
    request: options.request || myRequest,
    storage: options.storage || storage,
    onSignedOut: options.onSignedOut || goToLogin
  })

  /** my.getAuthCode({scopes:'auth_base'}) -> POST /auth/alipay {auth_code}. */
  client.loginWithAlipay = function () {
    return authCode().then(function (code) {
      return client.signIn('/auth/alipay', { auth_code: code })
    })
  }

  /** POST /uploads with my.uploadFile (multipart field "file", Bearer header), with progress. */
  client.upload = function (filePath, onProgress) {
    return client.authorized(function (token) {
      return new Promise(function (resolve, reject) {
        var header = {}
        if (token) header.Authorization = 'Bearer ' + token
        var task = my.uploadFile({
          url: client.baseUrl + '/uploads',
          filePath: filePath,
          fileName: 'file',
          fileType: 'image',
          header: header,
          success: function (res) {
            resolve({ status: res.statusCode, data: res.data })
          },
          fail: function (err) {
            if (err && err.statusCode) resolve({ status: err.statusCode, data: err.data })
            else reject(core.networkError())
          }
        })
        if (task && typeof task.onProgressUpdate === 'function' && onProgress) {
          task.onProgressUpdate(function (p) { onProgress(p.progress) })
        }
      })
    })
  }

  /** GET /client-config -> the Alipay subscribe template ids to ask for. */
  client.loadSubscribeTemplateIds = function () {
    return client.get('/client-config').then(function (conf) {
      return core.subscribeTemplateIds(conf, 'alipay', 3)
    }, function () {
      return []
    })
  }

  /** my.requestSubscribeMessage, then POST /me/subscriptions; never rejects. */
  client.requestSubscriptions = function (ids) {
    if (!ids || !ids.length || typeof my.requestSubscribeMessage !== 'function') return Promise.resolve([])
    return new Promise(function (resolve) {
      my.requestSubscribeMessage({
        entityIds: ids,
        success: function (res) { resolve(core.acceptedAlipay(res, ids)) },
        fail: function () { resolve([]) }
      })
    }).then(function (accepted) {
      return client.post('/me/subscriptions', {
        channel: 'alipay',
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

function resetApi() {
  instance = null
}

module.exports = { createApi: createApi, getApi: getApi, resetApi: resetApi, LOGIN_PAGE: LOGIN_PAGE }
