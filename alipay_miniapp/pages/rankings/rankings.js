var api = require('../../utils/api')
var dataset = require('../../utils/page').dataset
var errors = require('../../utils/errors')

var ALL = { code: '', name: '全部行业' }

function scoreText(b) {
  var idx = b.index || {}
  var score = b.score !== undefined ? b.score : idx.score
  var grade = b.grade || idx.grade
  if (score === null || score === undefined) return '数据不足'
  return Number(score).toFixed(1) + (grade ? ' · ' + grade : '')
}

Page({
  data: { industries: [ALL], industry: '', industryName: ALL.name, items: [], loading: true, error: '' },
  onLoad: function () {
    var self = this
    api.getApi().get('/industries').then(function (r) {
      self.setData({ industries: [ALL].concat((r && r.items) || []) })
    }, function () {})
    return self.load()
  },

  onIndustryChange: function (e) {
    var it = this.data.industries[Number(e.detail.value)] || ALL
    this.setData({ industry: it.code, industryName: it.name })
    return this.load()
  },

  onRetry: function () {
    return this.load()
  },

  load: function () {
    var self = this
    self.setData({ loading: true, error: '' })
    return api.getApi().get('/public/rankings', { industry: self.data.industry }).then(function (r) {
      var items = ((r && r.items) || []).map(function (b, i) {
        return { id: b.business_id || b.id, name: b.name || b.business_name, rank: b.rank || i + 1, scoreText: scoreText(b) }
      })
      self.setData({ loading: false, items: items })
    }, function (err) {
      self.setData({ loading: false, error: errors.errorMessage(err) })
    })
  },

  onOpen: function (e) {
    my.navigateTo({ url: '/pages/business/detail?id=' + dataset(e).id })
  }
})
