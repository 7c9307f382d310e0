var getApi = require('../../utils/api').getApi
var errors = require('../../utils/errors')

var TAB_PAGES = ['/pages/index/index', '/pages/complaint/list', '/pages/me/me']

Page({
  data: { loading: false, error: '', redirect: '' },

  onLoad: function (query) {
    this.setData({ redirect: query && query.redirect ? decodeURIComponent(query.redirect) : '' })
  },

  onLogin: function () {
    var self = this
    if (self.data.loading) return Promise.resolve()
    self.setData({ loading: true, error: '' })
    return getApi().loginWithAlipay().then(function (tokens) {
      self.setData({ loading: false })
      var user = tokens.user || {}
      var target = self.data.redirect || (user.kind === 'business_staff' ? '/pages/complaint/list' : '/pages/index/index')
      var path = target.split('?')[0]
      if (TAB_PAGES.indexOf(path) >= 0) my.switchTab({ url: path })
      else my.redirectTo({ url: target })
    }, function (err) {
      self.setData({ loading: false, error: errors.errorMessage(err) })
    })
  }
})
