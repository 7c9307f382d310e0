var api = require('../../utils/api')

var KIND_TEXT = { consumer: '消费者', business_staff: '商家工作人员', mediator: '调解员', admin: '管理员' }

Page({
  data: { signedIn: false, user: {}, kindText: '', isStaff: false },

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
    this.setData({ signedIn: true, user: user, kindText: KIND_TEXT[user.kind] || '', isStaff: user.kind === 'business_staff' })
  },

  onLogin: function () {
    my.navigateTo({ url: api.LOGIN_PAGE + '?redirect=' + encodeURIComponent('/pages/me/me') })
  },

  onComplaints: function () {
    my.switchTab({ url: '/pages/complaint/list' })
  },

  onInbox: function () {
    my.navigateTo({ url: '/pages/notifications/notifications' })
  },

  onConsult: function () {
    my.navigateTo({ url: '/pages/consult/consult' })
  },

  onLogout: function () {
    var self = this
    return api.getApi().logout().then(function () {
      self.setData({ signedIn: false, user: {} })
      my.reLaunch({ url: '/pages/index/index' })
    })
  }
})
