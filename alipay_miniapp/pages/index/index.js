var api = require('../../utils/api')
var errors = require('../../utils/errors')
var format = require('../../utils/format')
var dataset = require('../../utils/page').dataset

function scoreText(b) {
  var idx = b.index || {}
  var score = b.score !== undefined ? b.score : idx.score
  var grade = b.grade || idx.grade
  if (score === null || score === undefined) return '数据不足'
  return Number(score).toFixed(1) + (grade ? ' · ' + grade : '')
}

Page({
  data: {
    statsLoading: true,
    statsError: '',
    stats: {},
    q: '',
    results: [],
    searched: false,
    searchEmpty: false,
    searching: false,
    searchError: '',
    rankings: []
  },

  onLoad: function () {
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
    var client = api.getApi()
    self.setData({ statsLoading: true, statsError: '' })
    var stats = client.get('/public/stats').then(function (s) {
      self.setData({
        statsLoading: false,
        stats: {
          consumers: format.formatCount(s.consumers),
          businesses: format.formatCount(s.businesses),
          complaints_total: format.formatCount(s.complaints_total),
          complaints_resolved: format.formatCount(s.complaints_resolved),
          amount_recovered: format.formatYuanShort(s.amount_recovered),
          resolution_rate: format.formatRate(s.resolution_rate)
        }
      })
    }, function (err) {
      self.setData({ statsLoading: false, statsError: errors.errorMessage(err) })
    })
    var ranks = client.get('/public/rankings', { per_page: 5 }).then(function (r) {
      var items = ((r && r.items) || []).slice(0, 5).map(function (b, i) {
        return { id: b.business_id || b.id, name: b.name || b.business_name, rank: b.rank || i + 1, scoreText: scoreText(b) }
      })
      self.setData({ rankings: items })
    }, function () {})
    return Promise.all([stats, ranks])
  },

  onSearchInput: function (e) {
    this.setData({ q: e.detail.value })
  },

  onSearch: function () {
    var self = this
    var q = String(self.data.q || '').trim()
    if (!q) return Promise.resolve()
    self.setData({ searching: true, searchError: '' })
    return api.getApi().get('/businesses', { q: q }).then(function (r) {
      var results = ((r && r.items) || []).map(function (b) {
        return { id: b.id, name: b.name, scoreText: scoreText(b) }
      })
      self.setData({ searching: false, searched: true, searchEmpty: !results.length, results: results })
    }, function (err) {
      self.setData({ searching: false, searchError: errors.errorMessage(err) })
    })
  },

  onOpenBusiness: function (e) {
    my.navigateTo({ url: '/pages/business/detail?id=' + dataset(e).id })
  },

  onFile: function () {
    if (api.getApi().isSignedIn()) my.navigateTo({ url: '/pages/complaint/new' })
    else my.navigateTo({ url: api.LOGIN_PAGE + '?redirect=' + encodeURIComponent('/pages/complaint/new') })
  },

  onMine: function () {
    my.switchTab({ url: '/pages/complaint/list' })
  },

  onConsult: function () {
    my.navigateTo({ url: '/pages/consult/consult' })
  },

  onRankings: function () {
    my.navigateTo({ url: '/pages/rankings/rankings' })
  },

  onInbox: function () {
    my.navigateTo({ url: '/pages/notifications/notifications' })
  }
})
