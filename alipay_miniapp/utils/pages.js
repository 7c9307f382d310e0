/*
 * Page behaviour shared by the WeChat mini-program and the Alipay mini-app: data, handlers,
 * loading, validation and API calls of every page, written once.
 *
 * Like core.js, this one file is copied byte for byte into miniprogram/utils/pages.js and
 * alipay_miniapp/utils/pages.js (each app is packaged on its own); a test in each app checks
 * that the two copies are identical. It never touches wx.* or my.*. Each export takes the
 * app's platform adapter (utils/platform.js) and returns a fresh page definition
 * { data, methods }; the page file registers it the way its platform wants
 * (WeChat: Component({ data, methods }); Alipay: Page({ data, ...methods })).
 *
 * The adapter:
 *   api()                      the default API client (utils/api.js getApi())
 *   loginPage                  '/pages/login/login'
 *   storage                    {get, set, remove} for the complaint draft
 *   dataset(e)                 the tapped element's data-* attributes
 *   navigateTo({url}), redirectTo({url}), switchTab({url}), reLaunch({url}), stopPullDownRefresh()
 *   toast(text, icon)          icon 'none' (default) or 'success'
 *   showError(err)             a toast with core.errorMessage(err)
 *   confirm(opts)              {title, content, confirmText, cancelText} -> Promise<boolean>
 *   choosePhotos(count, done)  done([{path, size?}]) with compressed images
 *   pickDate(current, end, done)  optional: a date picker called from code (Alipay)
 *   login()                    -> Promise<tokens> (wx.login / my.getAuthCode, then sign in)
 *   bindPhone(code)            optional: bind the phone from a getPhoneNumber button (WeChat)
 *   defaultDisplayName         the name shown for a user without one
 */
var core = require('./core')

var DEMAND_LABELS = {}
core.DEMAND_OPTIONS.forEach(function (d) { DEMAND_LABELS[d.value] = d.label })

var TAB_PAGES = ['/pages/index/index', '/pages/complaint/list', '/pages/me/me']
var CLOSED_STATUSES = ['resolved', 'unresolved', 'rejected', 'withdrawn', 'closed']
var MAX_PHOTOS = 9

function itemsOf(res) {
  return (res && res.items) || []
}

function scoreText(b) {
  var idx = b.index || {}
  var score = b.score !== undefined ? b.score : idx.score
  var grade = b.grade || idx.grade
  if (score === null || score === undefined) return '数据不足'
  return Number(score).toFixed(1) + (grade ? ' · ' + grade : '')
}

function rankingItems(r) {
  return itemsOf(r).map(function (b, i) {
    return { id: b.business_id || b.id, name: b.name || b.business_name, rank: b.rank || i + 1, scoreText: scoreText(b) }
  })
}

/** Pull-to-refresh and the error state's retry button both load (the first page) again. */
function withReload(platform, methods) {
  return Object.assign({
    onPullDownRefresh: function () {
      return this.load(1).then(function () { platform.stopPullDownRefresh() })
    },

    onRetry: function () {
      return this.load(1)
    }
  }, methods)
}

/** Handlers that only open a page. */
function opener(platform, url) {
  return function () { platform.navigateTo({ url: url }) }
}

function tabOpener(platform, url) {
  return function () { platform.switchTab({ url: url }) }
}

/** Go to url, through the login page (and back) when signed out. */
function openSignedIn(platform, url) {
  if (platform.api().isSignedIn()) platform.navigateTo({ url: url })
  else platform.navigateTo({ url: platform.loginPage + '?redirect=' + encodeURIComponent(url) })
}

/** Signed out: replace this page by the login page, which comes back to url. */
function redirectToLogin(platform, url) {
  platform.redirectTo({ url: platform.loginPage + '?redirect=' + encodeURIComponent(url) })
}

// ---------------------------------------------------------------------------------------
// Home: headline figures, business search, top five of the rankings.

function home(platform) {
  return {
    data: {
      statsLoading: true,
      statsError: '',
      stats: {},
      q: '',
      results: [],
      searched: false,
      searching: false,
      searchEmpty: false,
      searchError: '',
      rankings: []
    },
    methods: withReload(platform, {
      onLoad: function () {
        return this.load()
      },

      load: function () {
        var self = this
        var client = platform.api()
        self.setData({ statsLoading: true, statsError: '' })
        var stats = client.get('/public/stats').then(function (s) {
          self.setData({
            statsLoading: false,
            stats: {
              consumers: core.formatCount(s.consumers),
              businesses: core.formatCount(s.businesses),
              complaints_total: core.formatCount(s.complaints_total),
              complaints_resolved: core.formatCount(s.complaints_resolved),
              amount_recovered: core.formatYuanShort(s.amount_recovered),
              resolution_rate: core.formatRate(s.resolution_rate)
            }
          })
        }, function (err) {
          self.setData({ statsLoading: false, statsError: core.errorMessage(err) })
        })
        var ranks = client.get('/public/rankings', { per_page: 5 }).then(function (r) {
          self.setData({ rankings: rankingItems(r).slice(0, 5) })
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
        return platform.api().get('/businesses', { q: q }).then(function (r) {
          var results = itemsOf(r).map(function (b) {
            return { id: b.id, name: b.name, scoreText: scoreText(b) }
          })
          self.setData({ searching: false, searched: true, searchEmpty: !results.length, results: results })
        }, function (err) {
          self.setData({ searching: false, searchError: core.errorMessage(err) })
        })
      },

      onOpenBusiness: function (e) {
        platform.navigateTo({ url: '/pages/business/detail?id=' + platform.dataset(e).id })
      },

      onFile: function () {
        openSignedIn(platform, '/pages/complaint/new')
      },

      onMine: tabOpener(platform, '/pages/complaint/list'),
      onConsult: opener(platform, '/pages/consult/consult'),
      onRankings: opener(platform, '/pages/rankings/rankings'),
      onInbox: opener(platform, '/pages/notifications/notifications')
    })
  }
}

// ---------------------------------------------------------------------------------------
// Login: platform sign-in, then (where the platform offers it) phone binding, then back.

function login(platform) {
  return {
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
        return platform.login().then(function (tokens) {
          var user = tokens.user || {}
          self.setData({
            loading: false,
            signedIn: true,
            displayName: user.display_name || platform.defaultDisplayName || '',
            phoneMasked: user.phone_masked || ''
          })
          // Without phone binding on this platform there is nothing more to ask.
          if (user.phone_masked || !platform.bindPhone) self.leave()
        }, function (err) {
          self.setData({ loading: false, error: core.errorMessage(err) })
        })
      },

      onGetPhoneNumber: function (e) {
        var self = this
        var code = e && e.detail && e.detail.code
        if (!code || !platform.bindPhone) {
          // The user declined; phone binding is optional.
          self.setData({ error: '未授权手机号，可稍后在“我的”页面绑定' })
          return Promise.resolve()
        }
        self.setData({ binding: true, error: '' })
        return platform.bindPhone(code).then(function (res) {
          var masked = (res && (res.phone_masked || (res.user && res.user.phone_masked))) || '已绑定'
          self.setData({ binding: false, phoneMasked: masked })
          platform.toast('绑定成功', 'success')
          self.leave()
        }, function (err) {
          self.setData({ binding: false, error: core.errorMessage(err) })
        })
      },

      onSkip: function () {
        this.leave()
      },

      leave: function () {
        var user = platform.api().currentUser() || {}
        var target = this.data.redirect
        if (!target) target = user.kind === 'business_staff' ? '/pages/complaint/list' : '/pages/index/index'
        var path = target.split('?')[0]
        if (TAB_PAGES.indexOf(path) >= 0) platform.switchTab({ url: path })
        else platform.redirectTo({ url: target })
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// My complaints (and the business staff queue).

var STAFF_TABS = [
  { status: 'forwarded', label: '待处理' },
  { status: 'responded', label: '已答复' },
  { status: 'mediating', label: '调解中' },
  { status: '', label: '全部' }
]

var PER_PAGE = 20

function listItemView(c) {
  return {
    id: c.id,
    title: c.title,
    public_no: c.public_no || '',
    statusText: core.statusLabel(c.status),
    business_name: c.business_name || (c.business && c.business.name) || '',
    created: core.formatDate(c.created_at),
    deadlineText: c.deadline_at && CLOSED_STATUSES.indexOf(c.status) < 0 ? core.countdown(c.deadline_at) : ''
  }
}

function complaintList(platform) {
  return {
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
    methods: withReload(platform, {
      onLoad: function (options) {
        if (options && options.status !== undefined) this.setData({ status: options.status })
      },

      onShow: function () {
        var client = platform.api()
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

      onReachBottom: function () {
        if (this.data.hasMore && !this.data.loading) return this.load(this.data.page + 1)
      },

      onTab: function (e) {
        this.setData({ status: platform.dataset(e).status || '' })
        return this.load(1)
      },

      load: function (page) {
        var self = this
        self.setData({ loading: page === 1, error: '' })
        return platform.api().get('/complaints', { status: self.data.status, page: page, per_page: PER_PAGE }).then(function (r) {
          var items = itemsOf(r).map(listItemView)
          var all = page === 1 ? items : self.data.items.concat(items)
          var total = (r && r.total) || all.length
          self.setData({ loading: false, items: all, page: page, hasMore: all.length < total })
        }, function (err) {
          self.setData({ loading: false, error: core.errorMessage(err) })
        })
      },

      onOpen: function (e) {
        platform.navigateTo({ url: '/pages/complaint/detail?id=' + platform.dataset(e).id })
      },

      onNew: opener(platform, '/pages/complaint/new'),

      onLogin: function () {
        platform.navigateTo({ url: platform.loginPage + '?redirect=' + encodeURIComponent('/pages/complaint/list') })
      }
    })
  }
}

// ---------------------------------------------------------------------------------------
// One complaint: state, timeline, deadline, the allowed actions, and messages.

function complaintView(c) {
  return {
    id: c.id,
    title: c.title,
    public_no: c.public_no || '',
    status: c.status,
    statusText: core.statusLabel(c.status),
    business_name: c.business_name || (c.business && c.business.name) || '',
    description: c.description || '',
    amountText: c.amount_claimed ? core.formatYuan(c.amount_claimed) : '',
    demandsText: (c.demands || []).map(function (d) { return DEMAND_LABELS[d] || d }).join('、'),
    created: core.formatDateTime(c.created_at)
  }
}

function messageView(m) {
  var role = m.author_role || m.role || (m.author && m.author.role) || (m.sender && m.sender.role) || ''
  return { id: m.id, body: m.body, roleText: core.roleLabel(role) || '对方', time: core.formatDateTime(m.created_at) }
}

function starList(rating) {
  return [1, 2, 3, 4, 5].map(function (v) { return { value: v, on: v <= rating } })
}

var NOTE_PLACEHOLDERS = { respond: '填写处理方案，如退款金额、时间', dispute: '说明您不接受的理由' }

function complaintDetail(platform) {
  return {
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
      needsNote: false,
      notePlaceholder: '',
      actionInput: { note: '', amount_recovered: '', rating: 0 },
      actionErrors: {},
      acting: false,
      stars: starList(0),
      messages: [],
      messageBody: '',
      sending: false
    },
    methods: {
      onLoad: function (options) {
        var id = options && options.id
        this.setData({ id: id })
        if (!platform.api().isSignedIn()) {
          // Reached from a template/subscribe message deep link: sign in, then come back.
          redirectToLogin(platform, '/pages/complaint/detail?id=' + id)
          return Promise.resolve()
        }
        return this.load()
      },

      onShow: function () {
        if (this.data.complaint && this.data.complaint.id) {
          this.setData({ deadlineText: core.countdown(this.deadlineAt) })
        }
      },

      onRetry: function () {
        return this.load()
      },

      load: function () {
        var self = this
        var client = platform.api()
        var id = self.data.id
        self.setData({ loading: !self.data.complaint.id, error: '' })
        return Promise.all([
          client.get('/complaints/' + id),
          client.get('/complaints/' + id + '/messages').catch(function () { return { items: [] } })
        ]).then(function (rs) {
          self.show(rs[0])
          self.setData({ messages: itemsOf(rs[1]).map(messageView) })
        }, function (err) {
          self.setData({ loading: false, error: core.errorMessage(err) })
        })
      },

      show: function (c) {
        this.deadlineAt = c.deadline_at
        this.setData({
          loading: false,
          complaint: complaintView(c),
          deadlineText: core.countdown(c.deadline_at),
          timeline: (c.timeline || []).map(core.timelineItem),
          actions: core.actionButtons(c.allowed_actions),
          activeAction: '',
          actionErrors: {}
        })
      },

      onAction: function (e) {
        var self = this
        var action = platform.dataset(e).action
        if (action === 'withdraw') {
          return platform.confirm({
            title: '撤回投诉',
            content: '撤回后投诉将不再处理，确定撤回吗？',
            confirmText: '撤回',
            cancelText: '再想想'
          }).then(function (ok) {
            if (ok) return self.transition('withdraw', {})
          })
        }
        self.setData({
          activeAction: action,
          activeActionLabel: core.actionLabel(action),
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
        var rating = Number(platform.dataset(e).rating)
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
        return platform.api().post('/complaints/' + self.data.id + '/transitions', body).then(function (c) {
          self.setData({ acting: false })
          self.show(c)
          platform.toast('操作成功', 'success')
        }, function (err) {
          self.setData({ acting: false })
          var fe = core.fieldErrors(err)
          if (core.hasErrors(fe)) self.setData({ actionErrors: fe })
          platform.showError(err)
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
          platform.toast('请输入留言内容')
          return Promise.resolve()
        }
        self.setData({ sending: true })
        return platform.api().post('/complaints/' + self.data.id + '/messages', { body: body }).then(function (m) {
          var user = platform.api().currentUser() || {}
          var view = messageView(Object.assign({ role: user.kind }, m || { body: body }))
          self.setData({ sending: false, messageBody: '', messages: self.data.messages.concat([view]) })
        }, function (err) {
          self.setData({ sending: false })
          platform.showError(err)
        })
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// A business profile: its complaint index and counts.

var COUNT_LABELS = {
  complaints_total: '投诉总数',
  complaints_resolved: '已解决',
  complaints_open: '处理中',
  amount_recovered: '挽回金额'
}

function businessDetail(platform) {
  return {
    data: { id: null, loading: true, error: '', business: {}, index: {}, counts: [] },
    methods: {
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
        return platform.api().get('/businesses/' + self.data.id).then(function (b) {
          var counts = []
          var src = b.counts || b
          Object.keys(COUNT_LABELS).forEach(function (k) {
            if (src[k] === undefined || src[k] === null) return
            counts.push({ label: COUNT_LABELS[k], value: k === 'amount_recovered' ? core.formatYuan(src[k]) : String(src[k]) })
          })
          self.setData({
            loading: false,
            business: {
              name: b.name,
              industryText: b.industry_name || b.industry_code || '',
              verifiedText: b.status === 'verified' ? '已认证' : ''
            },
            index: core.indexView(b),
            counts: counts
          })
        }, function (err) {
          self.setData({ loading: false, error: core.errorMessage(err) })
        })
      },

      onFile: function () {
        openSignedIn(platform, '/pages/complaint/new?business_id=' + this.data.id +
          '&business_name=' + encodeURIComponent(this.data.business.name || ''))
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Rankings by industry.

var ALL_INDUSTRIES = { code: '', name: '全部行业' }

function rankings(platform) {
  return {
    data: { industries: [ALL_INDUSTRIES], industry: '', industryName: ALL_INDUSTRIES.name, items: [], loading: true, error: '' },
    methods: {
      onLoad: function () {
        var self = this
        platform.api().get('/industries').then(function (r) {
          self.setData({ industries: [ALL_INDUSTRIES].concat(itemsOf(r)) })
        }, function () {})
        return self.load()
      },

      onIndustryChange: function (e) {
        var it = this.data.industries[Number(e.detail.value)] || ALL_INDUSTRIES
        this.setData({ industry: it.code, industryName: it.name })
        return this.load()
      },

      onRetry: function () {
        return this.load()
      },

      load: function () {
        var self = this
        self.setData({ loading: true, error: '' })
        return platform.api().get('/public/rankings', { industry: self.data.industry }).then(function (r) {
          self.setData({ loading: false, items: rankingItems(r) })
        }, function (err) {
          self.setData({ loading: false, error: core.errorMessage(err) })
        })
      },

      onOpen: function (e) {
        platform.navigateTo({ url: '/pages/business/detail?id=' + platform.dataset(e).id })
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// The legal assistant chat.

var HISTORY_TURNS = 6

function consult(platform) {
  return {
    data: { messages: [], question: '', sending: false, error: '' },
    methods: {
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
        return platform.api().post('/consult', body).then(function (r) {
          self.setData({
            sending: false,
            messages: self.data.messages.concat([{
              role: 'assistant',
              text: r.answer,
              citations: (r.citations || []).map(function (c) { return { law: c.law, article: c.article, text: c.text } })
            }])
          })
        }, function (err) {
          self.setData({ sending: false, error: core.errorMessage(err) })
        })
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// The inbox.

var EVENT_TITLES = {
  'complaint.forwarded': '投诉已转交商家',
  'complaint.responded': '商家已答复您的投诉',
  'complaint.mediating': '投诉已转入调解',
  'complaint.resolved': '投诉已解决',
  'complaint.unresolved': '投诉调解未成功',
  'complaint.deadline_soon': '投诉即将到期',
  'message.created': '您有新的留言'
}

function notificationView(n) {
  var data = n.data || {}
  return {
    id: n.id,
    title: n.title || EVENT_TITLES[n.type || n.event] || '系统通知',
    body: n.body || '',
    read: !!(n.read || n.read_at),
    time: core.formatDateTime(n.created_at),
    complaintId: n.complaint_id || data.complaint_id || null
  }
}

function notifications(platform) {
  return {
    data: { items: [], loading: true, error: '' },
    methods: withReload(platform, {
      onLoad: function () {},

      onShow: function () {
        if (!platform.api().isSignedIn()) {
          redirectToLogin(platform, '/pages/notifications/notifications')
          return Promise.resolve()
        }
        return this.load()
      },

      load: function () {
        var self = this
        self.setData({ loading: !self.data.items.length, error: '' })
        return platform.api().get('/notifications', { per_page: 50 }).then(function (r) {
          self.setData({ loading: false, items: itemsOf(r).map(notificationView) })
        }, function (err) {
          self.setData({ loading: false, error: core.errorMessage(err) })
        })
      },

      onOpen: function (e) {
        var self = this
        var index = Number(platform.dataset(e).index)
        var item = self.data.items[index]
        if (!item) return Promise.resolve()
        var marking = item.read ? Promise.resolve() : platform.api().post('/notifications/' + item.id + '/read', {}).then(function () {
          self.setData({ ['items[' + index + '].read']: true })
        }, function () {})
        return marking.then(function () {
          if (item.complaintId) platform.navigateTo({ url: '/pages/complaint/detail?id=' + item.complaintId })
        })
      }
    })
  }
}

// ---------------------------------------------------------------------------------------
// "Me": the account, shortcuts, phone binding (where offered) and sign-out.

var KIND_TEXT = { consumer: '消费者', business_staff: '商家工作人员', mediator: '调解员', admin: '管理员' }

function me(platform) {
  return {
    data: { signedIn: false, user: {}, kindText: '', isStaff: false },
    methods: {
      onLoad: function () {},

      onShow: function () {
        var self = this
        var client = platform.api()
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
        if (!code || !platform.bindPhone) return Promise.resolve()
        return platform.bindPhone(code).then(function () {
          self.render(platform.api().currentUser() || {})
          platform.toast('绑定成功', 'success')
        }, platform.showError)
      },

      onLogin: function () {
        platform.navigateTo({ url: platform.loginPage + '?redirect=' + encodeURIComponent('/pages/me/me') })
      },

      onComplaints: tabOpener(platform, '/pages/complaint/list'),
      onInbox: opener(platform, '/pages/notifications/notifications'),
      onConsult: opener(platform, '/pages/consult/consult'),

      onLogout: function () {
        var self = this
        return platform.api().logout().then(function () {
          self.setData({ signedIn: false, user: {} })
          platform.reLaunch({ url: '/pages/index/index' })
        })
      }
    }
  }
}

module.exports = {
  home: home,
  login: login,
  complaintList: complaintList,
  complaintDetail: complaintDetail,
  businessDetail: businessDetail,
  rankings: rankings,
  consult: consult,
  notifications: notifications,
  me: me
}
