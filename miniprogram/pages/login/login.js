var getApi = require('../../utils/api').getApi
var errors = require('../../utils/errors')

var TAB_PAGES = ['/pages/index/index', '/pages/complaint/list', '/pages/me/me']

Component({
  data: {
    signedIn: false,
    loading: false,
    binding: false,
    displayName: '',
    phoneMasked: '',
    error: '',
    redirect: ''
  },
  methods: {
    onLoad: function (options) {
      var redirect = options && options.redirect ? decodeURIComponent(options.redirect) : ''
      this.setData({ redirect: redirect })
    },

    onLogin: function () {
      var self = this
      if (self.data.loading) return Promise.resolve()
      self.setData({ loading: true, error: '' })
      return getApi().loginWithWechat().then(function (tokens) {
        var user = tokens.user || {}
        self.setData({
          loading: false,
          signedIn: true,
          displayName: user.display_name || '微信用户',
          phoneMasked: user.phone_masked || ''
        })
        if (user.phone_masked) self.leave()
      }, function (err) {
        self.setData({ loading: false, error: errors.errorMessage(err) })
      })
    },

    onGetPhoneNumber: function (e) {
      var self = this
      var code = e && e.detail && e.detail.code
      if (!code) {
        // The user declined; phone binding is optional.
        self.setData({ error: '未授权手机号，可稍后在“我的”页面绑定' })
        return Promise.resolve()
      }
      self.setData({ binding: true, error: '' })
      return getApi().bindWechatPhone(code).then(function (res) {
        var masked = (res && (res.phone_masked || (res.user && res.user.phone_masked))) || '已绑定'
        self.setData({ binding: false, phoneMasked: masked })
        wx.showToast({ title: '绑定成功', icon: 'success' })
        self.leave()
      }, function (err) {
        self.setData({ binding: false, error: errors.errorMessage(err) })
      })
    },

    onSkip: function () {
      this.leave()
    },

    leave: function () {
      var user = getApi().currentUser() || {}
      var target = this.data.redirect
      if (!target) target = user.kind === 'business_staff' ? '/pages/complaint/list' : '/pages/index/index'
      var path = target.split('?')[0]
      if (TAB_PAGES.indexOf(path) >= 0) wx.switchTab({ url: path })
      else wx.redirectTo({ url: target })
    }
  }
})
