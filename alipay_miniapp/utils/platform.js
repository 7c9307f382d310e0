/*
 * The Alipay side of the shared pages in pages.js: my.* behind the small adapter that
 * pages.js documents. Every my call happens when a handler runs, never at require time.
 */
var core = require('./core')
var api = require('./api')
var storage = require('./storage')

function toast(text, icon) {
  my.showToast({ type: icon || 'none', content: text, duration: 2000 })
}

module.exports = {
  api: function () { return api.getApi() },
  loginPage: api.LOGIN_PAGE,
  channel: 'alipay',
  storage: storage,
  defaultDisplayName: '',

  dataset: function (e) {
    return (e && e.currentTarget && e.currentTarget.dataset) || (e && e.target && e.target.dataset) || {}
  },

  navigateTo: function (o) { my.navigateTo(o) },
  redirectTo: function (o) { my.redirectTo(o) },
  switchTab: function (o) { my.switchTab(o) },
  reLaunch: function (o) { my.reLaunch(o) },
  stopPullDownRefresh: function () { my.stopPullDownRefresh() },
  setTitle: function (text) { my.setNavigationBar({ title: text }) },

  /** Full-screen viewer of the evidence photos. */
  previewImages: function (urls, current) {
    var i = urls.indexOf(current)
    my.previewImage({ urls: urls, current: i >= 0 ? i : 0 })
  },

  toast: toast,

  showError: function (err) {
    my.showToast({ type: 'none', content: core.errorMessage(err), duration: 2500 })
  },

  confirm: function (opts) {
    return new Promise(function (resolve) {
      my.confirm({
        title: opts.title,
        content: opts.content,
        confirmButtonText: opts.confirmText,
        cancelButtonText: opts.cancelText,
        success: function (res) { resolve(!!res.confirm) },
        fail: function () { resolve(false) }
      })
    })
  },

  /** my.chooseImage (compressed), then my.compressImage; the chosen files if that fails. */
  choosePhotos: function (count, done) {
    my.chooseImage({
      count: count,
      sizeType: ['compressed'],
      sourceType: ['camera', 'album'],
      success: function (res) {
        var paths = res.apFilePaths || res.filePaths || []
        function add(list) { done(list.map(function (p) { return { path: p } })) }
        my.compressImage({
          apFilePaths: paths,
          compressLevel: 2,
          success: function (c) { add((c && c.apFilePaths) || paths) },
          fail: function () { add(paths) }
        })
      }
    })
  },

  pickDate: function (current, end, done) {
    my.datePicker({
      format: 'yyyy-MM-dd',
      currentDate: current,
      endDate: end,
      success: function (res) {
        if (res && res.date) done(res.date)
      }
    })
  },

  login: function () {
    return api.getApi().loginWithAlipay()
  }
}
