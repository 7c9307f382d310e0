var api = require('../../utils/api')
var dataset = require('../../utils/page').dataset
var errors = require('../../utils/errors')
var format = require('../../utils/format')
var core = require('../../utils/core')

var DEMAND_LABELS = {}
core.DEMAND_OPTIONS.forEach(function (d) { DEMAND_LABELS[d.value] = d.label })

function complaintView(c) {
  return {
  id: c.id,
  title: c.title,
  public_no: c.public_no || '',
  status: c.status,
  statusText: format.statusLabel(c.status),
  business_name: c.business_name || (c.business && c.business.name) || '',
  description: c.description || '',
  amountText: c.amount_claimed ? format.formatYuan(c.amount_claimed) : '',
  demandsText: (c.demands || []).map(function (d) { return DEMAND_LABELS[d] || d }).join('、'),
  created: format.formatDateTime(c.created_at)
  }
}

function messageView(m) {
  var role = m.author_role || m.role || (m.author && m.author.role) || (m.sender && m.sender.role) || ''
  return { id: m.id, body: m.body, roleText: format.roleLabel(role) || '对方', time: format.formatDateTime(m.created_at) }
}

function starList(rating) {
  return [1, 2, 3, 4, 5].map(function (v) { return { value: v, on: v <= rating } })
}

var NOTE_PLACEHOLDERS = { respond: '填写处理方案，如退款金额、时间', dispute: '说明您不接受的理由' }

Page({
  data: {
  id: null,
  loading: true,
  error: '',
  complaint: {},
  deadlineText: '',
  timeline: [],
  actions: [],
  activeAction: '',
  activeActionLabel: '',
  actionInput: { note: '', amount_recovered: '', rating: 0 },
  actionErrors: {},
  acting: false,
  stars: [1, 2, 3, 4, 5],
  messages: [],
  messageBody: '',
  sending: false
  },
  onLoad: function (options) {
    var id = options && options.id
    this.setData({ id: id })
    if (!api.getApi().isSignedIn()) {
      // Reached from a template/subscribe message deep link: sign in, then come back.
      my.redirectTo({ url: api.LOGIN_PAGE + '?redirect=' + encodeURIComponent('/pages/complaint/detail?id=' + id) })
      return Promise.resolve()
    }
    return this.load()
  },

  onShow: function () {
    if (this.data.complaint && this.data.complaint.id) {
      this.setData({ deadlineText: format.countdown(this.deadlineAt) })
    }
  },

  onRetry: function () {
    return this.load()
  },

  load: function () {
    var self = this
    var client = api.getApi()
    var id = self.data.id
    self.setData({ loading: !self.data.complaint.id, error: '' })
    return Promise.all([
      client.get('/complaints/' + id),
      client.get('/complaints/' + id + '/messages').catch(function () { return { items: [] } })
    ]).then(function (rs) {
      self.show(rs[0])
      self.setData({ messages: ((rs[1] && rs[1].items) || []).map(messageView) })
    }, function (err) {
      self.setData({ loading: false, error: errors.errorMessage(err) })
    })
  },

  show: function (c) {
    this.deadlineAt = c.deadline_at
    this.setData({
      loading: false,
      complaint: complaintView(c),
      deadlineText: format.countdown(c.deadline_at),
      timeline: (c.timeline || []).map(format.timelineItem),
      actions: core.actionButtons(c.allowed_actions),
      activeAction: '',
      actionErrors: {}
    })
  },

  onAction: function (e) {
    var self = this
    var action = dataset(e).action
    if (action === 'withdraw') {
      return new Promise(function (resolve) {
        my.confirm({
          title: '撤回投诉',
          content: '撤回后投诉将不再处理，确定撤回吗？',
          confirmButtonText: '撤回',
          cancelButtonText: '再想想',
          success: function (res) {
            if (res.confirm) resolve(self.transition('withdraw', {}))
            else resolve()
          },
          fail: function () { resolve() }
        })
      })
    }
    self.setData({
      activeAction: action,
      activeActionLabel: format.actionLabel(action),
      needsNote: !!NOTE_PLACEHOLDERS[action],
      notePlaceholder: NOTE_PLACEHOLDERS[action] || '',
      stars: starList(0),
      actionInput: { note: '', amount_recovered: '', rating: 0 },
      actionErrors: {}
    })
    return Promise.resolve()
  },

  onActionNote: function (e) {
    this.setData({ 'actionInput.note': e.detail.value })
  },

  onActionAmount: function (e) {
    this.setData({ 'actionInput.amount_recovered': e.detail.value })
  },

  onRate: function (e) {
    var rating = Number(dataset(e).rating)
    this.setData({ 'actionInput.rating': rating, stars: starList(rating) })
  },

  onActionCancel: function () {
    this.setData({ activeAction: '', actionErrors: {} })
  },

  onActionSubmit: function () {
    var action = this.data.activeAction
    var input = this.data.actionInput
    var errs = core.validateTransition(action, input)
    if (core.hasErrors(errs)) {
      this.setData({ actionErrors: errs })
      return Promise.resolve()
    }
    return this.transition(action, input)
  },

  transition: function (action, input) {
    var self = this
    self.setData({ acting: true })
    var body = core.buildTransitionBody(action, input)
    return api.getApi().post('/complaints/' + self.data.id + '/transitions', body).then(function (c) {
      self.setData({ acting: false })
      self.show(c)
      my.showToast({ type: 'success', content: '操作成功' })
    }, function (err) {
      self.setData({ acting: false })
      var fe = errors.fieldErrors(err)
      if (core.hasErrors(fe)) self.setData({ actionErrors: fe })
      errors.showError(err)
      // The state moved on under us: show what is allowed now.
      if (err.code === 'invalid_transition') return self.load()
    })
  },

  onMessageInput: function (e) {
    this.setData({ messageBody: e.detail.value })
  },

  onSendMessage: function () {
    var self = this
    var body = String(self.data.messageBody || '').trim()
    if (!body) {
      my.showToast({ type: 'none', content: '请输入留言内容' })
      return Promise.resolve()
    }
    self.setData({ sending: true })
    return api.getApi().post('/complaints/' + self.data.id + '/messages', { body: body }).then(function (m) {
      var user = api.getApi().currentUser() || {}
      var view = messageView(Object.assign({ role: user.kind }, m || { body: body }))
      self.setData({ sending: false, messageBody: '', messages: self.data.messages.concat([view]) })
    }, function (err) {
      self.setData({ sending: false })
      errors.showError(err)
    })
  }
})
