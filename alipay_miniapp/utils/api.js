/*
 * Alipay adapter for the shared client in core.js: my.request, my.uploadFile, subscribe
 * messages, my.getAuthCode and storage.
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

/** my.uploadFile for core's client.upload (multipart field "file"). */
function myUploadFile(o) {
  return new Promise(function (resolve, reject) {
    var task = my.uploadFile({
      url: o.url,
      filePath: o.filePath,
      fileName: 'file',
      fileType: 'image',
      header: o.header,
      success: function (res) {
        resolve({ status: res.statusCode, data: res.data })
      },
      fail: function (err) {
        if (err && err.statusCode) resolve({ status: err.statusCode, data: err.data })
        else reject(core.networkError())
      }
    })
    core.watchUploadProgress(task, o.onProgress)
  })
}

/** my.downloadFile for core's client.downloadFile (evidence photos behind the Bearer header). */
function myDownloadFile(o) {
  return new Promise(function (resolve, reject) {
    my.downloadFile({
      url: o.url,
      header: o.header,
      success: function (res) {
        resolve({ status: res.statusCode || 200, data: { path: res.apFilePath || res.tempFilePath } })
      },
      fail: function (err) {
        if (err && (err.status || err.statusCode)) resolve({ status: err.status || err.statusCode, data: err.data })
        else reject(core.networkError())
      }
    })
  })
}

/** my.requestSubscribeMessage -> the accepted ids; null where this client cannot ask. */
function myAskSubscriptions(ids) {
  if (typeof my.requestSubscribeMessage !== 'function') return null
  return new Promise(function (resolve) {
    my.requestSubscribeMessage({
      entityIds: ids,
      success: function (res) { resolve(core.acceptedAlipay(res, ids)) },
      fail: function () { resolve([]) }
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
  // upload, loadSubscribeTemplateIds, requestSubscriptions (at most 3 Alipay templates).
  core.addPlatformCalls(client, { channel: 'alipay', uploadFile: myUploadFile, downloadFile: myDownloadFile, askSubscriptions: myAskSubscriptions })

  /** my.getAuthCode({scopes:'auth_base'}) -> POST /auth/alipay {auth_code}. */
  client.loginWithAlipay = function () {
    return authCode().then(function (code) {
      return client.signIn('/auth/alipay', { auth_code: code })
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
