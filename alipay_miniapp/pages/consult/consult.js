var api = require('../../utils/api')
var dataset = require('../../utils/page').dataset
var errors = require('../../utils/errors')

var HISTORY_TURNS = 6

Page({
  data: { messages: [], question: '', sending: false, error: '' },
  onLoad: function () {},

  onInput: function (e) {
    this.setData({ question: e.detail.value })
  },

  onSend: function () {
    var self = this
    var q = String(self.data.question || '').trim()
    if (!q || self.data.sending) return Promise.resolve()
    var history = self.data.messages.slice(-HISTORY_TURNS).map(function (m) {
      return { role: m.role, content: m.text }
    })
    var messages = self.data.messages.concat([{ role: 'user', text: q, citations: [] }])
    self.setData({ messages: messages, question: '', sending: true, error: '' })
    var body = { question: q }
    if (history.length) body.history = history
    return api.getApi().post('/consult', body).then(function (r) {
      self.setData({
        sending: false,
        messages: self.data.messages.concat([{
          role: 'assistant',
          text: r.answer,
          citations: (r.citations || []).map(function (c) { return { law: c.law, article: c.article, text: c.text } })
        }])
      })
    }, function (err) {
      self.setData({ sending: false, error: errors.errorMessage(err) })
    })
  }
})
