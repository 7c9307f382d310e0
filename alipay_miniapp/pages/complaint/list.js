var api = require('../../utils/api')
var dataset = require('../../utils/page').dataset
var errors = require('../../utils/errors')
var format = require('../../utils/format')
var core = require('../../utils/core')

var STAFF_TABS = [
  { status: 'forwarded', label: '待处理' },
  { status: 'responded', label: '已答复' },
  { status: 'mediating', label: '调解中' },
  { status: '', label: '全部' }
]

var PER_PAGE = 20

function itemView(c) {
  return {
  id: c.id,
  title: c.title,
  public_no: c.public_no || '',
  statusText: format.statusLabel(c.status),
  business_name: c.business_name || (c.business && c.business.name) || '',
  created: format.formatDate(c.created_at),
  deadlineText: c.deadline_at && ['resolved', 'unresolved', 'rejected', 'withdrawn', 'closed'].indexOf(c.status) < 0
    ? format.countdown(c.deadline_at) : ''
  }
}

Page({
  data: {
  signedIn: false,
  isStaff: false,
  tabs: core.STATUS_TABS,
  status: '',
  items: [],
  page: 1,
  hasMore: false,
  loading: false,
  error: ''
  },
  onLoad: function (options) {
    if (options && options.status !== undefined) this.setData({ status: options.status })
  },

  onShow: function () {
    var client = api.getApi()
    var user = client.currentUser()
    if (!client.isSignedIn()) {
      this.setData({ signedIn: false })
      return Promise.resolve()
    }
    var isStaff = !!user && user.kind === 'business_staff'
    var changes = { signedIn: true, isStaff: isStaff, tabs: isStaff ? STAFF_TABS : core.STATUS_TABS }
    if (isStaff && !this.staffInit) {
      // Business staff land on their queue: complaints forwarded to them and awaiting a reply.
      this.staffInit = true
      changes.status = 'forwarded'
    }
    this.setData(changes)
    return this.load(1)
  },

  onPullDownRefresh: function () {
    return this.load(1).then(function () { my.stopPullDownRefresh() })
  },

  onReachBottom: function () {
    if (this.data.hasMore && !this.data.loading) return this.load(this.data.page + 1)
  },

  onTab: function (e) {
    this.setData({ status: dataset(e).status || '' })
    return this.load(1)
  },

  onRetry: function () {
    return this.load(1)
  },

  load: function (page) {
    var self = this
    self.setData({ loading: page === 1, error: '' })
    return api.getApi().get('/complaints', { status: self.data.status, page: page, per_page: PER_PAGE }).then(function (r) {
      var items = ((r && r.items) || []).map(itemView)
      var all = page === 1 ? items : self.data.items.concat(items)
      var total = (r && r.total) || all.length
      self.setData({ loading: false, items: all, page: page, hasMore: all.length < total })
    }, function (err) {
      self.setData({ loading: false, error: errors.errorMessage(err) })
    })
  },

  onOpen: function (e) {
    my.navigateTo({ url: '/pages/complaint/detail?id=' + dataset(e).id })
  },

  onNew: function () {
    my.navigateTo({ url: '/pages/complaint/new' })
  },

  onLogin: function () {
    my.navigateTo({ url: api.LOGIN_PAGE + '?redirect=' + encodeURIComponent('/pages/complaint/list') })
  }
})
