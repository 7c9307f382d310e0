var api = require('../../utils/api')
var dataset = require('../../utils/page').dataset
var errors = require('../../utils/errors')
var format = require('../../utils/format')

var COUNT_LABELS = {
  complaints_total: '投诉总数',
  complaints_resolved: '已解决',
  complaints_open: '处理中',
  amount_recovered: '挽回金额'
}

Page({
  data: { id: null, loading: true, error: '', business: {}, index: {}, counts: [] },
  onLoad: function (options) {
    this.setData({ id: options && options.id })
    return this.load()
  },

  onRetry: function () {
    return this.load()
  },

  load: function () {
    var self = this
    self.setData({ loading: true, error: '' })
    return api.getApi().get('/businesses/' + self.data.id).then(function (b) {
      var counts = []
      var src = b.counts || b
      Object.keys(COUNT_LABELS).forEach(function (k) {
        if (src[k] === undefined || src[k] === null) return
        counts.push({ label: COUNT_LABELS[k], value: k === 'amount_recovered' ? format.formatYuan(src[k]) : String(src[k]) })
      })
      self.setData({
        loading: false,
        business: {
          name: b.name,
          industryText: b.industry_name || b.industry_code || '',
          verifiedText: b.status === 'verified' ? '已认证' : ''
        },
        index: format.indexView(b),
        counts: counts
      })
    }, function (err) {
      self.setData({ loading: false, error: errors.errorMessage(err) })
    })
  },

  onFile: function () {
    var url = '/pages/complaint/new?business_id=' + this.data.id + '&business_name=' + encodeURIComponent(this.data.business.name || '')
    if (api.getApi().isSignedIn()) my.navigateTo({ url: url })
    else my.navigateTo({ url: api.LOGIN_PAGE + '?redirect=' + encodeURIComponent(url) })
  }
})
