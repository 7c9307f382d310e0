/*
 * The WeChat side of the shared pages in pages.js: wx.* behind the small adapter that
 * pages.js documents. Every wx call happens when a handler runs, never at require time.
 */
var core = require('./core')
var api = require('./api')
var storage = require('./storage')

module.exports = {
  api: function () { return api.getApi() },
  loginPage: api.LOGIN_PAGE,
  channel: 'wechat',
  storage: storage,
  defaultDisplayName: '微信用户',

  dataset: function (e) {
    return e.currentTarget.dataset
  },

  navigateTo: function (o) { wx.navigateTo(o) },
  redirectTo: function (o) { wx.redirectTo(o) },
  switchTab: function (o) { wx.switchTab(o) },
  reLaunch: function (o) { wx.reLaunch(o) },
  stopPullDownRefresh: function () { wx.stopPullDownRefresh() },
  setTitle: function (text) { wx.setNavigationBarTitle({ title: text }) },

  /** Full-screen viewer of the evidence photos (local paths from client.downloadFile). */
  previewImages: function (urls, current) {
    wx.previewImage({ urls: urls, current: current || urls[0] })
  },

  toast: function (text, icon) {
    wx.showToast({ title: text, icon: icon || 'none' })
  },

  showError: function (err) {
    wx.showToast({ title: core.errorMessage(err), icon: 'none', duration: 2500 })
  },

  /** wx.showModal keeps its stock 确定/取消 buttons here; confirmText/cancelText are not passed. */
  confirm: function (opts) {
    return new Promise(function (resolve) {
      wx.showModal({
        title: opts.title,
        content: opts.content,
        success: function (res) { resolve(!!res.confirm) },
        fail: function () { resolve(false) }
      })
    })
  },

  choosePhotos: function (count, done) {
    wx.chooseMedia({
      count: count,
      mediaType: ['image'],
      sizeType: ['compressed'],
      sourceType: ['album', 'camera'],
      success: function (res) {
        done((res.tempFiles || []).map(function (f) { return { path: f.tempFilePath, size: f.size } }))
      }
    })
  },

  login: function () {
    return api.getApi().loginWithWechat()
  },

  bindPhone: function (code) {
    return api.getApi().bindWechatPhone(code)
  }
}
