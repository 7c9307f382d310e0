var api = require('../../utils/api')
var dataset = require('../../utils/page').dataset
var errors = require('../../utils/errors')
var format = require('../../utils/format')

var EVENT_TITLES = {
  'complaint.forwarded': '投诉已转交商家',
  'complaint.responded': '商家已答复您的投诉',
  'complaint.mediating': '投诉已转入调解',
  'complaint.resolved': '投诉已解决',
  'complaint.unresolved': '投诉调解未成功',
  'complaint.deadline_soon': '投诉即将到期',
  'message.created': '您有新的留言'
}

function view(n) {
  var data = n.data || {}
  return {
  id: n.id,
  title: n.title || EVENT_TITLES[n.type || n.event] || '系统通知',
  body: n.body || '',
  read: !!(n.read || n.read_at),
  time: format.formatDateTime(n.created_at),
  complaintId: n.complaint_id || data.complaint_id || null
  }
}

Page({
  data: { items: [], loading: true, error: '' },
  onLoad: function () {},

  onShow: function () {
    if (!api.getApi().isSignedIn()) {
      my.redirectTo({ url: api.LOGIN_PAGE + '?redirect=' + encodeURIComponent('/pages/notifications/notifications') })
      return Promise.resolve()
    }
    return this.load()
  },

  onPullDownRefresh: function () {
    return this.load().then(function () { my.stopPullDownRefresh() })
  },

  onRetry: function () {
    return this.load()
  },

  load: function () {
    var self = this
    self.setData({ loading: !self.data.items.length, error: '' })
    return api.getApi().get('/notifications', { per_page: 50 }).then(function (r) {
      self.setData({ loading: false, items: ((r && r.items) || []).map(view) })
    }, function (err) {
      self.setData({ loading: false, error: errors.errorMessage(err) })
    })
  },

  onOpen: function (e) {
    var self = this
    var index = Number(dataset(e).index)
    var item = self.data.items[index]
    if (!item) return Promise.resolve()
    var marking = item.read ? Promise.resolve() : api.getApi().post('/notifications/' + item.id + '/read', {}).then(function () {
      self.setData({ ['items[' + index + '].read']: true })
    }, function () {})
    return marking.then(function () {
      if (item.complaintId) my.navigateTo({ url: '/pages/complaint/detail?id=' + item.complaintId })
    })
  }
})
