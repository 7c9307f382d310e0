var api = require('../../utils/api')
var errors = require('../../utils/errors')

var KIND_TEXT = { consumer: '消费者', business_staff: '商家工作人员', mediator: '调解员', admin: '管理员' }

Component({
  data: { signedIn: false, user: {}, kindText: '', isStaff: false },
  methods: {
    onLoad: function () {},

    onShow: function () {
      var self = this
      var client = api.getApi()
      if (!client.isSignedIn()) {
        self.setData({ signedIn: false, user: {} })
        return Promise.resolve()
      }
      self.render(client.currentUser() || {})
      return client.get('/me').then(function (me) {
        var user = Object.assign({}, client.currentUser() || {}, me || {})
        client.setUser(user)
        self.render(user)
      }, function () {})
    },

    render: function (user) {
      this.setData({
        signedIn: true,
        user: user,
        kindText: KIND_TEXT[user.kind] || '',
        isStaff: user.kind === 'business_staff'
      })
    },

    onGetPhoneNumber: function (e) {
      var self = this
      var code = e && e.detail && e.detail.code
      if (!code) return Promise.resolve()
      return api.getApi().bindWechatPhone(code).then(function () {
        self.render(api.getApi().currentUser() || {})
        wx.showToast({ title: '绑定成功', icon: 'success' })
      }, errors.showError)
    },

    onLogin: function () {
      wx.navigateTo({ url: api.LOGIN_PAGE + '?redirect=' + encodeURIComponent('/pages/me/me') })
    },

    onComplaints: function () {
      wx.switchTab({ url: '/pages/complaint/list' })
    },

    onInbox: function () {
      wx.navigateTo({ url: '/pages/notifications/notifications' })
    },

    onConsult: function () {
      wx.navigateTo({ url: '/pages/consult/consult' })
    },

    onLogout: function () {
      var self = this
      return api.getApi().logout().then(function () {
        self.setData({ signedIn: false, user: {} })
        wx.reLaunch({ url: '/pages/index/index' })
      })
    }
  }
})
