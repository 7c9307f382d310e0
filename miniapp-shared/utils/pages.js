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
 *   channel                    'wechat' | 'alipay' (whose subscribe templates /client-config gives)
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
 *   setTitle(text)             optional: the navigation bar title
 *   previewImages(urls, current)  optional: full-screen photo viewer
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

var INSUFFICIENT_TEXT = '投诉不足，暂不评分'

function scoreText(b) {
  var idx = b.index || {}
  var score = b.score !== undefined ? b.score : idx.score
  var grade = b.grade || idx.grade
  if (b.insufficient === true || idx.insufficient === true) return INSUFFICIENT_TEXT
  if (score === null || score === undefined) return INSUFFICIENT_TEXT
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

/**
 * How a page shows something from the API: set its busy flag to `busy` (false where a reload
 * keeps what is already shown) and clear its error, run request(), then set the data
 * view(result) returns, or the error's Chinese message, turning the flag off either way.
 * The promise always resolves, so pull-down refresh stops after a failure too. The flag and
 * error fields are `loading` and `error` unless fields ({flag, error}) names others.
 */
function fetchInto(page, busy, request, view, fields) {
  var flag = (fields && fields.flag) || 'loading'
  var error = (fields && fields.error) || 'error'
  page.setData({ [flag]: busy, [error]: '' })
  return request().then(function (result) {
    page.setData(Object.assign({ [flag]: false }, view(result)))
  }, function (err) {
    page.setData({ [flag]: false, [error]: core.errorMessage(err) })
  })
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

      onShareAppMessage: function () {
        return share('智慧3·15 · 消费投诉与商家投诉处理指数', '/pages/index/index')
      },

      load: function () {
        var self = this
        var client = platform.api()
        var stats = fetchInto(self, true, function () { return client.get('/public/stats') }, function (s) {
          return {
            stats: {
              consumers: core.formatCount(s.consumers),
              businesses: core.formatCount(s.businesses),
              complaints_total: core.formatCount(s.complaints_total),
              complaints_resolved: core.formatCount(s.complaints_resolved),
              amount_recovered: core.formatYuanShort(s.amount_recovered),
              resolution_rate: core.formatRate(s.resolution_rate)
            }
          }
        }, { flag: 'statsLoading', error: 'statsError' })
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
        return fetchInto(self, true, function () { return platform.api().get('/businesses', { q: q }) }, function (r) {
          var results = itemsOf(r).map(function (b) {
            return { id: b.id, name: b.name, scoreText: scoreText(b) }
          })
          return { searched: true, searchEmpty: !results.length, results: results }
        }, { flag: 'searching', error: 'searchError' })
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
      agreed: false,
      legal: null,
      displayName: '',
      phoneMasked: '',
      error: '',
      redirect: ''
    },
    methods: {
      onLoad: function (options) {
        var self = this
        var redirect = options && options.redirect ? decodeURIComponent(options.redirect) : ''
        self.setData({ redirect: redirect })
        // The policy and agreement links (and their versions, recorded at sign-in).
        return platform.api().loadLegal().then(function (legal) {
          self.setData({ legal: legal || null })
        }, function () {})
      },

      onToggleAgree: function () {
        this.setData({ agreed: !this.data.agreed, error: '' })
      },

      onOpenPrivacy: function () {
        return this.openDocument('privacy')
      },

      onOpenTerms: function () {
        return this.openDocument('terms')
      },

      openDocument: function (kind) {
        var doc = this.data.legal && this.data.legal[kind]
        if (!doc || !doc.url) {
          platform.toast('文件加载中，请稍后再试')
          return
        }
        platform.navigateTo({
          url: '/pages/webview/webview?url=' + encodeURIComponent(doc.url) + '&title=' + encodeURIComponent(doc.title || '')
        })
      },

      onLogin: function () {
        var self = this
        if (self.data.loading) return Promise.resolve()
        if (!self.data.agreed) {
          self.setData({ error: '请先阅读并同意《隐私政策》和《用户服务协议》' })
          return Promise.resolve()
        }
        self.setData({ loading: true, error: '' })
        return platform.login().then(function (tokens) {
          var user = tokens.user || {}
          // The consent given with the checkbox, on record with its versions (best effort:
          // the server also asks again for a version the user has not agreed to).
          var client = platform.api()
          var legal = self.data.legal ? Promise.resolve(self.data.legal) : client.loadLegal()
          return legal.then(function (docs) { return client.recordConsents(docs) })
            .catch(function () {})
            .then(function () { return user })
        }).then(function (user) {
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
// Filing a complaint: the form, kept as a draft (with its idempotency key) on every change.

function demandOptions(selected) {
  return core.DEMAND_OPTIONS.map(function (d) {
    return { value: d.value, label: d.label, checked: (selected || []).indexOf(d.value) >= 0 }
  })
}

/** Attachments with an `uploading` flag for the templates. */
function withFlags(list) {
  return (list || []).map(function (a) {
    return Object.assign({}, a, { uploading: !a.id && !a.failed })
  })
}

var DUPLICATE_NOTE = '您已有一件针对该商家、内容相同的投诉正在处理中，不能再单独提交一件；如需补充情况或证据，请在原投诉中留言'

function complaintNew(platform) {
  return {
    data: {
      form: core.emptyForm(),
      errors: {},
      industries: [],
      categories: [],
      provinces: [],
      cities: [],
      districts: [],
      businessOptions: [],
      demandOptions: demandOptions([]),
      descriptionLength: 0,
      canAddPhoto: true,
      classifyHint: '',
      today: core.todayString(),
      restored: false,
      submitting: false,
      submitError: '',
      // An open collective case against the same business (集体投诉), from classify or a 409 duplicate.
      collective: null,
      joining: false,
      joinError: '',
      duplicateNote: '',
      existingId: null
    },
    methods: {
      onLoad: function (options) {
        options = options || {}
        var client = platform.api()
        if (!client.isSignedIn()) {
          redirectToLogin(platform, '/pages/complaint/new')
          return Promise.resolve()
        }
        this.store = core.createDraftStore(platform.storage)
        var saved = this.store.load()
        var form = saved ? Object.assign(core.emptyForm(), saved.form) : core.emptyForm()
        if (options.business_id) {
          form.business_id = Number(options.business_id) || options.business_id
          form.business_name = options.business_name ? decodeURIComponent(options.business_name) : form.business_name
        }
        this.setData({
          form: form,
          restored: !!saved,
          demandOptions: demandOptions(form.demands),
          descriptionLength: (form.description || '').length,
          canAddPhoto: (form.attachments || []).length < MAX_PHOTOS
        })
        if (options.business_id) this.store.save(form)
        this.subscribeIds = []
        var self = this
        client.loadSubscribeTemplateIds().then(function (ids) { self.subscribeIds = ids })
        return Promise.all([
          client.get('/industries').then(function (r) { self.setData({ industries: itemsOf(r) }) }),
          client.get('/categories').then(function (r) { self.setData({ categories: itemsOf(r) }) }),
          client.get('/regions').then(function (r) { self.setData({ provinces: itemsOf(r) }) }),
          self.restoreRegionLists(form.region_code)
        ]).catch(function (err) {
          platform.showError(err)
        })
      },

      /** After a restore, refill the city and district lists for the saved region. */
      restoreRegionLists: function (code) {
        var self = this
        var client = platform.api()
        if (!/^\d{6}$/.test(code || '')) return Promise.resolve()
        return Promise.all([
          client.get('/regions', { parent: code.slice(0, 2) }),
          client.get('/regions', { parent: code.slice(0, 4) })
        ]).then(function (rs) {
          self.setData({ cities: itemsOf(rs[0]), districts: itemsOf(rs[1]) })
        })
      },

      /** Change form fields, clear their errors, and save the draft (every change). */
      update: function (changes) {
        var form = Object.assign({}, this.data.form, changes)
        var errs = Object.assign({}, this.data.errors)
        Object.keys(changes).forEach(function (k) { delete errs[k] })
        if (changes.business_id !== undefined || changes.business_name !== undefined) delete errs.business_name
        if (changes.attachments) {
          delete errs.attachment_ids
          form.attachments = withFlags(changes.attachments)
        }
        // Only the changed fields go through setData (a keystroke sends one field, not the form).
        var patch = { submitError: '', canAddPhoto: (form.attachments || []).length < MAX_PHOTOS }
        Object.keys(changes).forEach(function (k) { patch['form.' + k] = form[k] })
        var cleared = Object.keys(this.data.errors || {}).filter(function (k) { return !errs[k] })
        cleared.forEach(function (k) { patch['errors.' + k] = '' })
        this.setData(patch)
        if (this.store) this.store.save(form)
      },

      onBusinessInput: function (e) {
        this.update({ business_name: e.detail.value, business_id: null })
      },

      onBusinessSearch: function () {
        var self = this
        var q = String(self.data.form.business_name || '').trim()
        if (!q) return Promise.resolve()
        return platform.api().get('/businesses', { q: q }).then(function (r) {
          var opts = itemsOf(r).map(function (b) { return { id: b.id, name: b.name } })
          self.setData({ businessOptions: opts })
          if (!opts.length) platform.toast('平台上暂无该商家，可直接按名称投诉')
        }, platform.showError)
      },

      onPickBusiness: function (e) {
        var ds = platform.dataset(e)
        this.update({ business_id: ds.id, business_name: ds.name })
        this.setData({ businessOptions: [] })
      },

      onTitleInput: function (e) {
        this.update({ title: e.detail.value })
      },

      onDescriptionInput: function (e) {
        this.update({ description: e.detail.value })
        this.setData({ descriptionLength: e.detail.value.length })
      },

      /** Ask the assistant to guess industry, category and the business from the text. */
      onClassify: function () {
        var self = this
        var f = self.data.form
        var text = [f.business_name, f.title, f.description].filter(Boolean).join('\n')
        if (text.length < 4) return Promise.resolve()
        return platform.api().post('/assist/classify', { text: text }).then(function (r) {
          if (!r) return
          var changes = {}
          var hints = []
          if (!f.industry_code && r.industry_code) {
            var ind = self.data.industries.filter(function (i) { return i.code === r.industry_code })[0]
            changes.industry_code = r.industry_code
            changes.industry_name = ind ? ind.name : r.industry_code
            hints.push('行业“' + changes.industry_name + '”')
          }
          if (!f.category && r.category) {
            var cat = self.data.categories.filter(function (c) { return c.code === r.category })[0]
            changes.category = r.category
            changes.category_name = cat ? cat.name : r.category
            hints.push('问题类型“' + changes.category_name + '”')
          }
          if (Object.keys(changes).length) self.update(changes)
          var candidates = (r.business_candidates || []).map(function (b) { return { id: b.id, name: b.name } })
          if (!f.business_id && candidates.length) self.setData({ businessOptions: candidates })
          self.setData({ classifyHint: hints.length ? '已根据描述推荐' + hints.join('、') + '，可修改' : '' })
          if (r.collective_suggestion) self.showCollective(r.collective_suggestion, false)
        }, function () {
          // Suggestions are optional; the user can still pick by hand.
        })
      },

      onIndustryChange: function (e) {
        var it = this.data.industries[Number(e.detail.value)]
        if (it) this.update({ industry_code: it.code, industry_name: it.name })
      },

      onCategoryChange: function (e) {
        var it = this.data.categories[Number(e.detail.value)]
        if (it) this.update({ category: it.code, category_name: it.name })
      },

      onProvinceChange: function (e) {
        var self = this
        var p = self.data.provinces[Number(e.detail.value)]
        if (!p) return Promise.resolve()
        self.update({ region_code: '', region_names: [p.name] })
        self.setData({ cities: [], districts: [] })
        return platform.api().get('/regions', { parent: p.code }).then(function (r) {
          self.setData({ cities: itemsOf(r) })
        }, platform.showError)
      },

      onCityChange: function (e) {
        var self = this
        var c = self.data.cities[Number(e.detail.value)]
        if (!c) return Promise.resolve()
        self.update({ region_code: '', region_names: [self.data.form.region_names[0], c.name] })
        self.setData({ districts: [] })
        return platform.api().get('/regions', { parent: c.code }).then(function (r) {
          self.setData({ districts: itemsOf(r) })
        }, platform.showError)
      },

      onDistrictChange: function (e) {
        var d = this.data.districts[Number(e.detail.value)]
        if (!d) return
        var names = this.data.form.region_names
        this.update({ region_code: d.code, region_names: [names[0], names[1], d.name] })
      },

      onDemandsChange: function (e) {
        var selected = e.detail.value || []
        this.update({ demands: selected })
        this.setData({ demandOptions: demandOptions(selected) })
      },

      onAmountInput: function (e) {
        this.update({ amount_claimed: e.detail.value })
      },

      onAmountBlur: function () {
        var n = core.normalizeAmount(this.data.form.amount_claimed)
        if (n !== null) this.update({ amount_claimed: n })
      },

      /** A date picker in the template (WeChat <picker mode="date">). */
      onDateChange: function (e) {
        this.update({ purchase_date: e.detail.value })
      },

      /** A date picker opened from code (Alipay my.datePicker). */
      onPickDate: function () {
        var self = this
        if (!platform.pickDate) return
        var today = core.todayString()
        platform.pickDate(self.data.form.purchase_date || today, today, function (date) {
          self.update({ purchase_date: date })
        })
      },

      onOrderInput: function (e) {
        this.update({ order_no: e.detail.value })
      },

      onConsentChange: function (e) {
        this.update({ public_consent: !!e.detail.value })
      },

      /** The radio group 商家如何联系您: the message thread only, or the business may call. */
      onContactChange: function (e) {
        this.update({ contact_preference: e.detail.value === 'phone' ? 'phone' : 'message' })
      },

      onChoosePhotos: function () {
        var self = this
        var room = MAX_PHOTOS - self.data.form.attachments.length
        if (room <= 0) return
        platform.choosePhotos(room, function (files) { self.addPhotos(files) })
      },

      /** Add chosen photos to the form and upload them one after another. */
      addPhotos: function (files) {
        var self = this
        var added = files.map(function (f) { return Object.assign({}, f, { progress: 0, id: null, failed: false }) })
        var start = self.data.form.attachments.length
        self.update({ attachments: self.data.form.attachments.concat(added) })
        self.uploadChain = added.reduce(function (chain, _, i) {
          return chain.then(function () { return self.uploadAt(start + i) })
        }, self.uploadChain || Promise.resolve())
        return self.uploadChain
      },

      uploadAt: function (index) {
        var self = this
        var att = self.data.form.attachments[index]
        if (!att || att.id) return Promise.resolve()
        var retrying = self.data.form.attachments.slice()
        retrying[index] = Object.assign({}, att, { failed: false })
        self.update({ attachments: retrying })
        return platform.api().upload(att.path, function (percent) {
          self.setData({ ['form.attachments[' + index + '].progress']: percent })
        }).then(function (r) {
          var list = self.data.form.attachments.slice()
          list[index] = Object.assign({}, list[index], { id: r.id, progress: 100, failed: false })
          self.update({ attachments: list })
        }, function (err) {
          var list = self.data.form.attachments.slice()
          list[index] = Object.assign({}, list[index], { failed: true })
          self.update({ attachments: list })
          platform.showError(err)
        })
      },

      onRetryUpload: function (e) {
        return this.uploadAt(Number(platform.dataset(e).index))
      },

      onRemovePhoto: function (e) {
        var list = this.data.form.attachments.slice()
        list.splice(Number(platform.dataset(e).index), 1)
        this.update({ attachments: list })
      },

      onSubmit: function () {
        var self = this
        if (self.data.submitting) return Promise.resolve()
        var form = self.data.form
        var errs = core.validateComplaint(form)
        if (core.hasErrors(errs)) {
          self.setData({ errors: errs, submitError: '请完善标红的内容' })
          platform.toast(errs[Object.keys(errs)[0]])
          return Promise.resolve()
        }
        var client = platform.api()
        // The key was made with the draft and is reused on every retry of this same draft.
        var key = self.store.idempotencyKey()
        self.setData({ submitting: true, submitError: '' })
        return client.requestSubscriptions(self.subscribeIds).then(function () {
          return client.post('/complaints', core.buildComplaintPayload(form), { idempotencyKey: key })
        }).then(function (created) {
          self.store.clear()
          self.setData({ submitting: false })
          platform.toast('投诉已提交', 'success')
          platform.redirectTo({ url: '/pages/complaint/detail?id=' + created.id })
        }, function (err) {
          var fieldErrs = core.fieldErrors(err)
          if (fieldErrs.business_id) fieldErrs.business_name = fieldErrs.business_id
          self.setData({ submitting: false, errors: fieldErrs, submitError: core.errorMessage(err) })
          if (err && err.code === 'duplicate_complaint') {
            self.setData({ existingId: err.existing_id || null })
            if (err.collective_suggestion) self.showCollective(err.collective_suggestion, true)
            else self.setData({ duplicateNote: DUPLICATE_NOTE })
          }
        })
      },

      /** The card 已有N人投诉同一商家的类似问题 (the web form's wording: server/web/static/js/complaint-new.js). */
      showCollective: function (s, duplicate) {
        if (!s || !s.id) return
        // A suggestion dismissed while typing is not offered again by the next classify (a 409 offers it again).
        if (!duplicate && this.dismissedCollective === s.id) return
        this.setData({
          collective: {
            id: s.id,
            title: s.title || '',
            members: s.members || 0,
            text: '已有' + (s.members || 0) + '人投诉同一商家的类似问题：「' + (s.title || '') + '」',
            duplicate: !!duplicate
          },
          joinError: '',
          duplicateNote: ''
        })
      },

      /** 加入集体投诉: POST /complaints/{id}/join with this form's amount, description and uploaded photos. */
      onJoinCollective: function () {
        var self = this
        var c = self.data.collective
        if (!c || self.data.joining) return Promise.resolve()
        var form = self.data.form
        var photos = form.attachments || []
        if (photos.some(function (a) { return !a.id && !a.failed })) {
          platform.toast('证据仍在上传，请稍候')
          return Promise.resolve()
        }
        var body = { attachment_ids: photos.filter(function (a) { return a.id }).map(function (a) { return a.id }) }
        // A malformed amount goes as typed: the server's 422 then says what is wrong with it.
        var amount = core.normalizeAmount(form.amount_claimed)
        var typed = String(form.amount_claimed || '').trim()
        if (amount !== null || typed) body.amount_claimed = amount !== null ? amount : typed
        var text = String(form.description || '').trim()
        if (text) body.description = text
        // One key per join attempt: a network retry of the same tap reuses it, a refused one does not.
        self.joinKey = self.joinKey || core.newIdempotencyKey()
        var client = platform.api()
        self.setData({ joining: true, joinError: '' })
        return client.requestSubscriptions(self.subscribeIds).then(function () {
          return client.post('/complaints/' + c.id + '/join', body, { idempotencyKey: self.joinKey })
        }).then(function (created) {
          self.joinKey = null
          if (self.store) self.store.clear()
          self.setData({ joining: false })
          platform.toast('已加入集体投诉', 'success')
          platform.redirectTo({ url: '/pages/complaint/detail?id=' + created.id })
        }, function (err) {
          if (err && err.status && err.status < 500) self.joinKey = null
          // The join's refusals (own case, already joined, case closed) carry their reason in Chinese.
          var why = err && (err.status === 403 || err.status === 409) && err.detail ? err.detail : core.errorMessage(err)
          self.setData({ joining: false, joinError: why })
        })
      },

      /** 仍然单独投诉: hide the card; after a 409 say why this form cannot be filed again as it is. */
      onDismissCollective: function () {
        var c = this.data.collective
        if (c) this.dismissedCollective = c.id
        this.setData({ collective: null, joinError: '', duplicateNote: c && c.duplicate ? DUPLICATE_NOTE : '' })
      },

      /** 查看原投诉: the consumer's open complaint that the 409 named. */
      onOpenExisting: function () {
        if (this.data.existingId) platform.navigateTo({ url: '/pages/complaint/detail?id=' + this.data.existingId })
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
        return fetchInto(self, page === 1, function () {
          return platform.api().get('/complaints', { status: self.data.status, page: page, per_page: PER_PAGE })
        }, function (r) {
          var items = itemsOf(r).map(listItemView)
          var all = page === 1 ? items : self.data.items.concat(items)
          var total = (r && r.total) || all.length
          return { items: all, page: page, hasMore: all.length < total }
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

// What the complaint's deadline_at means in each status (the server moves it with the status).
var DEADLINE_LABELS = {
  submitted: '受理时限',
  forwarded: '商家答复时限',
  responded: '确认期限（请在期限内确认解决或申请调解）',
  mediating: '调解时限',
  resolved: '自动结案',
  unresolved: '自动结案'
}

// After the business answers, the clock is the consumer's, whoever looks at it.
var STAFF_DEADLINE_LABELS = { responded: '消费者确认期限（期满未回复视为解决）' }

var OPEN_STATUSES = ['submitted', 'accepted', 'forwarded', 'responded', 'mediating']

/**
 * The countdown and what it means: {label, text, paused}. A paused clock shows why instead of a
 * running countdown (paused time does not count and the deadline moves when it resumes).
 */
function clockView(c, viewerKind) {
  if (c.paused) {
    var reason = (core.VOCABULARY.pause_reasons || {})[c.paused_reason] || ''
    return {
      label: '计时已暂停',
      text: (reason ? '原因：' + reason : '调解员已暂停计时') + '，暂停期间不计入处理期限',
      paused: true
    }
  }
  var staff = viewerKind === 'business_staff'
  var label = (staff && STAFF_DEADLINE_LABELS[c.status]) || DEADLINE_LABELS[c.status] || '处理时限'
  return { label: label, text: core.countdown(c.deadline_at), paused: false }
}

/** The note of the timeline's last event with `action` and a note: {note, time} or null. */
function lastNoteOf(c, action) {
  var tl = c.timeline || []
  for (var i = tl.length - 1; i >= 0; i--) {
    if (tl[i] && tl[i].action === action && tl[i].note) {
      return { note: tl[i].note, time: core.formatDateTime(tl[i].created_at) }
    }
  }
  return null
}

/** The business's latest proposal (the note of its last `respond`), shown above the timeline. */
function proposalOf(c) {
  return lastNoteOf(c, 'respond')
}

/** A mediator's open request for materials: {note, dueText, countdown} or null. */
function materialsView(c) {
  if (!c.materials_due_at) return null
  var req = lastNoteOf(c, 'request_materials')
  return {
    note: req ? req.note : '',
    dueText: core.formatDateTime(c.materials_due_at),
    countdown: core.countdown(c.materials_due_at)
  }
}

var imagesOf = core.evidencePhotos

function complaintView(c) {
  var reply = c.business_reply || c.public_reply || null
  var collective = c.collective || null
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
    created: core.formatDateTime(c.created_at),
    photos: imagesOf(c.attachments),
    files: (c.attachments || []).filter(function (a) { return !/^image\//.test(a.content_type || a.mime || '') })
      .map(function (a) { return { id: a.id, url: a.url } }),
    reviewText: c.moderation === 'review' ? '内容正在安全审核，审核通过前商家和公众暂时看不到这条投诉' :
      c.moderation === 'rejected' ? '内容未通过安全审核，不向商家和公众展示' : '',
    publicReply: reply && reply.text ? { text: reply.text, time: core.formatDateTime(reply.replied_at) } : null,
    collectiveText: collective ? ['集体投诉', core.formatCount(collective.members) + '位消费者参与']
      .concat(collective.amount_claimed_total ? ['涉及金额合计' + core.formatYuan(collective.amount_claimed_total)] : [])
      .join(' · ') : '',
    joinedText: c.collective_id && c.collective_id !== c.id ? '您已加入一件集体投诉，商家和调解员将一并处理' : ''
  }
}

function messageView(m) {
  var role = m.author_role || m.role || (m.author && m.author.role) || (m.sender && m.sender.role) || ''
  return {
    id: m.id,
    body: m.body,
    roleText: core.roleLabel(role) || '对方',
    time: core.formatDateTime(m.created_at),
    photos: imagesOf(m.attachments)
  }
}

function starList(rating) {
  return [1, 2, 3, 4, 5].map(function (v) { return { value: v, on: v <= rating } })
}

var NOTE_PLACEHOLDERS = {
  respond: '填写处理方案，如退款金额、时间',
  dispute: '说明您不接受的理由',
  supplement: '说明补充的材料，如发票、检测报告',
  reopen: '说明重新打开的理由，如商家未兑现承诺',
  not_fulfilled: '说明商家未履行的情况（必填，将告知商家和调解员）'
}

// The form title where the vocabulary has no label for the answer yet.
var FORM_TITLES = { not_fulfilled: '商家未履行承诺' }

var MAX_MESSAGE_PHOTOS = 9

function complaintDetail(platform) {
  return {
    data: {
      id: null,
      loading: true,
      error: '',
      complaint: {},
      deadlineText: '',
      deadlineLabel: '',
      clockPaused: false,
      proposal: null,
      materials: null,
      askFulfilment: false,
      timeline: [],
      actions: [],
      activeAction: '',
      activeActionLabel: '',
      needsNote: false,
      notePlaceholder: '',
      actionInput: { note: '', amount_recovered: '', rating: 0 },
      actionPhotos: [],
      actionErrors: {},
      acting: false,
      stars: starList(0),
      canSubscribe: false,
      subscribeHint: '',
      messages: [],
      messageBody: '',
      messagePhotos: [],
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
        if (this.data.complaint && this.data.complaint.id && !this.data.clockPaused) {
          this.setData({ deadlineText: core.countdown(this.deadlineAt) })
        }
      },

      onRetry: function () {
        return this.load()
      },

      onPullDownRefresh: function () {
        return this.load().then(function () { platform.stopPullDownRefresh() })
      },

      /** An evidence photo's local file: fetched once with the Authorization header (a failure is retried). */
      photoPath: function (url) {
        var self = this
        self.photoPaths = self.photoPaths || {}
        if (!self.photoPaths[url]) {
          self.photoPaths[url] = platform.api().downloadFile(url).catch(function (err) {
            delete self.photoPaths[url]
            throw err
          })
        }
        return self.photoPaths[url]
      },

      /** Evidence photos, full screen: fetched with the Authorization header, then shown. */
      previewPhotos: function (photos, index) {
        var self = this
        if (!photos.length || !platform.previewImages) return Promise.resolve()
        return Promise.all(photos.map(function (p) { return self.photoPath(p.url) })).then(function (paths) {
          platform.previewImages(paths, paths[index] || paths[0])
        }, platform.showError)
      },

      /** Thumbnails of the filing's, the supplements' and the messages' photos, each shown as it arrives;
       * one that cannot be fetched keeps its tile's text (a tap says why). */
      loadThumbs: function () {
        var self = this
        var jobs = []
        ;(self.data.complaint.photos || []).forEach(function (p, i) { jobs.push(['complaint.photos[' + i + '].thumb', p]) })
        ;(self.data.timeline || []).forEach(function (t, ti) {
          (t.photos || []).forEach(function (p, pi) { jobs.push(['timeline[' + ti + '].photos[' + pi + '].thumb', p]) })
        })
        ;(self.data.messages || []).forEach(function (m, mi) {
          (m.photos || []).forEach(function (p, pi) { jobs.push(['messages[' + mi + '].photos[' + pi + '].thumb', p]) })
        })
        return Promise.all(jobs.filter(function (j) { return !j[1].thumb }).map(function (j) {
          return self.photoPath(j[1].url).then(function (path) { self.setData({ [j[0]]: path }) }, function () {})
        }))
      },

      onPreviewPhoto: function (e) {
        return this.previewPhotos(this.data.complaint.photos || [], Number(platform.dataset(e).index) || 0)
      },

      /** A photo sent with a message (data-msg: the message's position, data-index: the photo's). */
      onPreviewMessagePhoto: function (e) {
        var d = platform.dataset(e)
        var m = this.data.messages[Number(d.msg) || 0]
        return this.previewPhotos((m && m.photos) || [], Number(d.index) || 0)
      },

      /** A photo given with a timeline event (data-event: the event's position, data-index: the photo's). */
      onPreviewEventPhoto: function (e) {
        var d = platform.dataset(e)
        var t = this.data.timeline[Number(d.event) || 0]
        return this.previewPhotos((t && t.photos) || [], Number(d.index) || 0)
      },

      load: function () {
        var self = this
        var client = platform.api()
        var id = self.data.id
        if (!self.clientConfig) {
          // The subscribe templates come from the server's configuration; wanted before a tap,
          // since WeChat asks for grants only straight from the tap's handler.
          self.clientConfig = client.loadClientConfig().then(function (conf) {
            self.subscribeConfig = conf
            if (self.complaintStatus) self.showSubscribe(self.complaintStatus)
            return conf
          })
        }
        return fetchInto(self, !self.data.complaint.id, function () {
          return Promise.all([
            client.get('/complaints/' + id),
            client.get('/complaints/' + id + '/messages').catch(function () { return { items: [] } })
          ])
        }, function (rs) {
          self.show(rs[0])
          return { messages: itemsOf(rs[1]).map(messageView) }
        }).then(function () { self.thumbs = self.loadThumbs() })
      },

      show: function (c) {
        var user = platform.api().currentUser() || {}
        var allowed = c.allowed_actions || []
        var clock = clockView(c, user.kind)
        var askFulfilment = allowed.indexOf('fulfilled') >= 0 || allowed.indexOf('not_fulfilled') >= 0
        this.deadlineAt = c.deadline_at
        this.complaintStatus = c.status
        this.setData({
          loading: false,
          complaint: complaintView(c),
          deadlineText: clock.text,
          deadlineLabel: clock.label,
          clockPaused: clock.paused,
          // The proposal the consumer is asked about: to confirm or dispute, or whether it was kept.
          proposal: c.status === 'responded' || askFulfilment ? proposalOf(c) : null,
          materials: allowed.indexOf('supplement') >= 0 ? materialsView(c) : null,
          askFulfilment: askFulfilment,
          timeline: (c.timeline || []).map(core.timelineItem),
          actions: core.actionButtons(allowed),
          activeAction: '',
          actionPhotos: [],
          actionErrors: {}
        })
        this.showSubscribe(c.status)
      },

      /** A consumer viewing a complaint with something still to come is offered the reminders. */
      showSubscribe: function (status) {
        var user = platform.api().currentUser() || {}
        var ids = user.kind === 'consumer' ? core.subscribeIdsForStatus(this.subscribeConfig, platform.channel, status, 3) : []
        this.subscribeIds = ids
        this.setData({
          canSubscribe: ids.length > 0,
          subscribeHint: status === 'responded' ? '商家已答复，订阅后续进展，结果第一时间通知您' : '订阅进展提醒，有新进展时通知您'
        })
      },

      /** From the tap (WeChat requires it): ask for at most three grants, the server is told. */
      onSubscribe: function () {
        var self = this
        var ids = self.subscribeIds || []
        if (!ids.length) return Promise.resolve()
        return platform.api().requestSubscriptions(ids).then(function (accepted) {
          if (accepted.length) {
            self.setData({ canSubscribe: false })
            platform.toast('已订阅进展提醒', 'success')
          } else {
            platform.toast('未订阅提醒，可在消息中心查看进展')
          }
        })
      },

      openForm: function (action) {
        this.setData({
          activeAction: action,
          activeActionLabel: FORM_TITLES[action] && !core.VOCABULARY.actions[action] ? FORM_TITLES[action] : core.actionLabel(action),
          needsNote: !!NOTE_PLACEHOLDERS[action],
          notePlaceholder: NOTE_PLACEHOLDERS[action] || '',
          stars: starList(0),
          actionInput: { note: '', amount_recovered: '', rating: 0 },
          actionPhotos: [],
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
        self.openForm(action)
        return Promise.resolve()
      },

      /** The fulfilment question: kept (after a confirmation) or not (with a note, required by the server). */
      onFulfilled: function () {
        var self = this
        return platform.confirm({
          title: '确认商家已履行',
          content: '确认商家已按承诺履行（如退款已到账）吗？',
          confirmText: '已履行',
          cancelText: '再想想'
        }).then(function (ok) {
          if (ok) return self.transition('fulfilled', {})
        })
      },

      onNotFulfilled: function () {
        this.openForm('not_fulfilled')
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
        this.setData({ activeAction: '', actionPhotos: [], actionErrors: {} })
      },

      /** Photos for a list of the page's data (`actionPhotos`, `messagePhotos`), uploaded one by one. */
      addPhotosTo: function (key, files) {
        var self = this
        var added = files.map(function (f) { return { path: f.path, id: null, failed: false, uploading: true } })
        var start = self.data[key].length
        self.setData({ [key]: self.data[key].concat(added) })
        var chainKey = key + 'Chain'
        self[chainKey] = added.reduce(function (chain, _, i) {
          return chain.then(function () { return self.uploadPhotoAt(key, start + i) })
        }, self[chainKey] || Promise.resolve())
        return self[chainKey]
      },

      uploadPhotoAt: function (key, index) {
        var self = this
        var att = self.data[key][index]
        if (!att || att.id) return Promise.resolve()
        self.setData({ [key + '[' + index + '].failed']: false, [key + '[' + index + '].uploading']: true })
        return platform.api().upload(att.path).then(function (r) {
          self.setData({ [key + '[' + index + ']']: { path: att.path, id: r.id, failed: false, uploading: false } })
        }, function (err) {
          self.setData({ [key + '[' + index + ']']: { path: att.path, id: null, failed: true, uploading: false } })
          platform.showError(err)
        })
      },

      choosePhotosFor: function (key) {
        var self = this
        var room = MAX_MESSAGE_PHOTOS - self.data[key].length
        if (room <= 0) {
          platform.toast('最多' + MAX_MESSAGE_PHOTOS + '张照片')
          return
        }
        platform.choosePhotos(room, function (files) { self.addPhotosTo(key, files) })
      },

      onChooseActionPhotos: function () { this.choosePhotosFor('actionPhotos') },
      onChooseMessagePhotos: function () { this.choosePhotosFor('messagePhotos') },

      onRemoveActionPhoto: function (e) {
        var list = this.data.actionPhotos.slice()
        list.splice(Number(platform.dataset(e).index), 1)
        this.setData({ actionPhotos: list })
      },

      onRemoveMessagePhoto: function (e) {
        var list = this.data.messagePhotos.slice()
        list.splice(Number(platform.dataset(e).index), 1)
        this.setData({ messagePhotos: list })
      },

      onRetryActionPhoto: function (e) { return this.uploadPhotoAt('actionPhotos', Number(platform.dataset(e).index)) },
      onRetryMessagePhoto: function (e) { return this.uploadPhotoAt('messagePhotos', Number(platform.dataset(e).index)) },

      /** The uploaded ids of a photo list, or null (with a toast) while some are not uploaded. */
      uploadedIds: function (key) {
        var list = this.data[key] || []
        if (list.some(function (a) { return !a.id })) {
          platform.toast(list.some(function (a) { return a.failed }) ? '有照片上传失败，请重试或删除' : '照片正在上传，请稍候')
          return null
        }
        return list.map(function (a) { return a.id })
      },

      onActionSubmit: function () {
        var action = this.data.activeAction
        var input = Object.assign({}, this.data.actionInput)
        if (action === 'supplement') {
          var ids = this.uploadedIds('actionPhotos')
          if (!ids) return Promise.resolve()
          input.attachment_ids = ids
        }
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
          self.thumbs = self.loadThumbs()
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
        var ids = self.uploadedIds('messagePhotos')
        if (!ids) return Promise.resolve()
        if (!body && !ids.length) {
          platform.toast('请输入留言内容')
          return Promise.resolve()
        }
        // With photos the text may be empty.
        var payload = { body: body }
        if (ids.length) payload.attachment_ids = ids
        self.setData({ sending: true })
        return platform.api().post('/complaints/' + self.data.id + '/messages', payload).then(function (m) {
          var user = platform.api().currentUser() || {}
          var view = messageView(Object.assign({ role: user.kind }, m || payload))
          self.setData({ sending: false, messageBody: '', messagePhotos: [], messages: self.data.messages.concat([view]) })
          self.thumbs = self.loadThumbs()
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

/** The profile's `counts` ({total, <status>: n}) -> 投诉总数 / 处理中 / 已解决. */
function countItems(counts) {
  counts = counts || {}
  if (counts.total === undefined || counts.total === null) return []
  var closed = 0
  CLOSED_STATUSES.forEach(function (st) { closed += Number(counts[st] || 0) })
  return [
    { label: '投诉总数', value: core.formatCount(counts.total) },
    { label: '处理中', value: core.formatCount(Math.max(0, Number(counts.total) - closed)) },
    { label: '已解决', value: core.formatCount(Number(counts.resolved || 0)) }
  ]
}

/** onShareAppMessage: a public page shared with its title and path. */
function share(title, path) {
  return { title: title, path: path }
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
        return fetchInto(self, true, function () { return platform.api().get('/businesses/' + self.data.id) }, function (b) {
          var counts = countItems(b.counts)
          return {
            business: {
              name: b.name,
              industryText: b.industry_name || b.industry_code || '',
              verifiedText: b.status === 'verified' ? '已认证' : ''
            },
            index: core.indexView(b),
            counts: counts
          }
        })
      },

      onShareAppMessage: function () {
        var name = this.data.business.name || ''
        return share((name ? name + '的' : '') + '投诉处理指数 · 智慧3·15', '/pages/business/detail?id=' + this.data.id)
      },

      onCases: function () {
        platform.navigateTo({ url: '/pages/cases/cases?business_id=' + this.data.id +
          '&business_name=' + encodeURIComponent(this.data.business.name || '') })
      },

      onFile: function () {
        openSignedIn(platform, '/pages/complaint/new?business_id=' + this.data.id +
          '&business_name=' + encodeURIComponent(this.data.business.name || ''))
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Published cases (of one business, or all): the consumer's side, the business's public reply,
// the number of members of a collective case, and joining it.

// An open case can be joined unless the server says otherwise (`joinable: false`); joining needs
// the case's `id` (POST /complaints/{id}/join). `members`: how many joined a collective case, the
// lead included (null for a case nobody joined).
function publicCaseView(c, i) {
  var reply = c.business_reply || c.public_reply || null
  var members = c.members
  return {
    index: i,
    id: c.id || null,
    title: c.title || '',
    description: c.description || '',
    statusText: core.statusLabel(c.status),
    business_name: c.business_name || '',
    created: core.formatDate(c.created_at),
    amountText: c.amount_claimed ? core.formatYuan(c.amount_claimed) : '',
    replyText: reply && reply.text ? reply.text : '',
    replyTime: reply && reply.replied_at ? core.formatDateTime(reply.replied_at) : '',
    membersText: members ? '集体投诉 · 已有' + core.formatCount(members) + '人加入' : '',
    joinable: !!c.id && c.joinable !== false && CLOSED_STATUSES.indexOf(c.status) < 0 && c.status !== 'withdrawn'
  }
}

function publicCases(platform) {
  return {
    data: {
      businessId: '',
      title: '',
      items: [],
      page: 1,
      hasMore: false,
      loading: true,
      error: '',
      joining: -1,
      joinInput: { amount_claimed: '', description: '' },
      joinErrors: {},
      submitting: false
    },
    methods: withReload(platform, {
      onLoad: function (options) {
        options = options || {}
        this.setData({ businessId: options.business_id || '', title: options.business_name ? decodeURIComponent(options.business_name) : '' })
        if (this.data.title && platform.setTitle) platform.setTitle(this.data.title + '的公开投诉')
        return this.load(1)
      },

      onReachBottom: function () {
        if (this.data.hasMore && !this.data.loading) return this.load(this.data.page + 1)
      },

      onShareAppMessage: function () {
        var q = this.data.businessId ? '?business_id=' + this.data.businessId + '&business_name=' + encodeURIComponent(this.data.title) : ''
        return share((this.data.title ? this.data.title + '的' : '') + '公开投诉案例 · 智慧3·15', '/pages/cases/cases' + q)
      },

      load: function (page) {
        var self = this
        var query = { page: page, per_page: PER_PAGE }
        if (self.data.businessId) query.business_id = self.data.businessId
        return fetchInto(self, page === 1, function () {
          return platform.api().get('/public/complaints', query)
        }, function (r) {
          var offset = page === 1 ? 0 : self.data.items.length
          var items = itemsOf(r).map(function (c, i) { return publicCaseView(c, offset + i) })
          var all = page === 1 ? items : self.data.items.concat(items)
          var total = (r && r.total) || all.length
          return { items: all, page: page, hasMore: all.length < total }
        })
      },

      /** 我也遇到了: sign in first (and come back here), then the join form under that case. */
      onJoin: function (e) {
        var index = Number(platform.dataset(e).index)
        if (!platform.api().isSignedIn()) {
          var back = '/pages/cases/cases' + (this.data.businessId ? '?business_id=' + this.data.businessId : '')
          platform.navigateTo({ url: platform.loginPage + '?redirect=' + encodeURIComponent(back) })
          return
        }
        this.setData({ joining: index, joinInput: { amount_claimed: '', description: '' }, joinErrors: {} })
      },

      onJoinCancel: function () {
        this.setData({ joining: -1, joinErrors: {} })
      },

      onJoinAmount: function (e) {
        this.setData({ 'joinInput.amount_claimed': e.detail.value })
      },

      onJoinDescription: function (e) {
        this.setData({ 'joinInput.description': e.detail.value })
      },

      onJoinSubmit: function () {
        var self = this
        var item = self.data.items[self.data.joining]
        if (!item || !item.id || self.data.submitting) return Promise.resolve()
        var input = self.data.joinInput
        var body = {}
        var errs = {}
        var amount = String(input.amount_claimed || '').trim()
        if (amount) {
          var normalized = core.normalizeAmount(amount)
          if (normalized === null) errs.amount_claimed = '请输入正确的金额，如 199.00'
          else body.amount_claimed = normalized
        }
        var description = String(input.description || '').trim()
        if (description.length > 2000) errs.description = '说明不能超过2000字'
        else if (description) body.description = description
        if (core.hasErrors(errs)) {
          self.setData({ joinErrors: errs })
          return Promise.resolve()
        }
        self.setData({ submitting: true, joinErrors: {} })
        return platform.api().post('/complaints/' + item.id + '/join', body).then(function (created) {
          self.setData({ submitting: false, joining: -1 })
          platform.toast('已加入集体投诉', 'success')
          platform.navigateTo({ url: '/pages/complaint/detail?id=' + created.id })
        }, function (err) {
          self.setData({ submitting: false })
          var fe = core.fieldErrors(err)
          if (core.hasErrors(fe)) self.setData({ joinErrors: fe })
          platform.showError(err)
        })
      }
    })
  }
}

// ---------------------------------------------------------------------------------------
// Rankings by industry.

var ALL_INDUSTRIES = { code: '', name: '全部行业' }

function rankings(platform) {
  return {
    data: { industries: [ALL_INDUSTRIES], industry: '', industryName: ALL_INDUSTRIES.name, items: [], loading: true, error: '' },
    methods: {
      onLoad: function (options) {
        var self = this
        // A shared link carries its industry.
        var industry = options && options.industry ? decodeURIComponent(options.industry) : ''
        if (industry) self.setData({ industry: industry })
        platform.api().get('/industries').then(function (r) {
          var list = [ALL_INDUSTRIES].concat(itemsOf(r))
          var named = list.filter(function (it) { return it.code === self.data.industry })[0]
          self.setData(Object.assign({ industries: list }, named ? { industryName: named.name } : {}))
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
        return fetchInto(self, true, function () {
          return platform.api().get('/public/rankings', { industry: self.data.industry })
        }, function (r) {
          return { items: rankingItems(r) }
        })
      },

      onOpen: function (e) {
        platform.navigateTo({ url: '/pages/business/detail?id=' + platform.dataset(e).id })
      },

      onShareAppMessage: function () {
        var q = this.data.industry ? '?industry=' + encodeURIComponent(this.data.industry) : ''
        return share(this.data.industryName + '商家投诉处理指数排名 · 智慧3·15', '/pages/rankings/rankings' + q)
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
        self.setData({ messages: messages, question: '' })
        var body = { question: q }
        if (history.length) body.history = history
        return fetchInto(self, true, function () { return platform.api().post('/consult', body) }, function (r) {
          return {
            messages: self.data.messages.concat([{
              role: 'assistant',
              text: r.answer,
              citations: (r.citations || []).map(function (c) { return { law: c.law, article: c.article, text: c.text } })
            }])
          }
        }, { flag: 'sending' })
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// The inbox.

// The notification's own title comes from the server; the vocabulary's event name is the fallback.
var EVENT_TITLES = core.VOCABULARY.events

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
        return fetchInto(self, !self.data.items.length, function () {
          return platform.api().get('/notifications', { per_page: 50 })
        }, function (r) {
          return { items: itemsOf(r).map(notificationView) }
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
    data: { signedIn: false, user: {}, kindText: '', isStaff: false, deleting: false },
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
      },

      /** 注销账号: a confirmation, then DELETE /me; signed out (tokens and draft gone) after. */
      onDeleteAccount: function () {
        var self = this
        if (self.data.deleting) return Promise.resolve()
        return platform.confirm({
          title: '注销账号',
          content: '注销后将删除您的个人信息（姓名、手机号、登录方式），已提交的投诉匿名保留，且无法恢复。确定注销吗？',
          confirmText: '确定注销',
          cancelText: '再想想'
        }).then(function (ok) {
          if (!ok) return
          self.setData({ deleting: true })
          return platform.api().deleteAccount().then(function () {
            self.setData({ deleting: false, signedIn: false, user: {} })
            platform.toast('账号已注销', 'success')
            platform.reLaunch({ url: '/pages/index/index' })
          }, function (err) {
            self.setData({ deleting: false })
            platform.showError(err)
          })
        })
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// A web page of ours (the privacy policy, the user agreement) in a web-view.

function webview(platform) {
  return {
    data: { url: '', title: '' },
    methods: {
      onLoad: function (options) {
        var url = options && options.url ? decodeURIComponent(options.url) : ''
        var title = options && options.title ? decodeURIComponent(options.title) : ''
        this.setData({ url: url, title: title })
        if (title && platform.setTitle) platform.setTitle(title)
      }
    }
  }
}

module.exports = {
  home: home,
  login: login,
  complaintNew: complaintNew,
  complaintList: complaintList,
  complaintDetail: complaintDetail,
  businessDetail: businessDetail,
  publicCases: publicCases,
  rankings: rankings,
  consult: consult,
  notifications: notifications,
  me: me,
  webview: webview
}
