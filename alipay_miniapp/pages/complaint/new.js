var api = require('../../utils/api')
var errors = require('../../utils/errors')
var draft = require('../../utils/draft')
var format = require('../../utils/format')
var page = require('../../utils/page')

function demandOptions(selected) {
  return draft.DEMAND_OPTIONS.map(function (d) {
    return { value: d.value, label: d.label, checked: (selected || []).indexOf(d.value) >= 0 }
  })
}

function itemsOf(res) {
  return (res && res.items) || []
}

function withFlags(list) {
  return (list || []).map(function (a) {
    return Object.assign({}, a, { uploading: !a.id && !a.failed })
  })
}

Page({
  data: {
    form: draft.emptyForm(),
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
    restored: false,
    submitting: false,
    submitError: ''
  },

  onLoad: function (query) {
    query = query || {}
    var client = api.getApi()
    if (!client.isSignedIn()) {
      my.redirectTo({ url: api.LOGIN_PAGE + '?redirect=' + encodeURIComponent('/pages/complaint/new') })
      return Promise.resolve()
    }
    this.store = draft.getDraftStore()
    var saved = this.store.load()
    var form = saved ? Object.assign(draft.emptyForm(), saved.form) : draft.emptyForm()
    if (query.business_id) {
      form.business_id = Number(query.business_id) || query.business_id
      form.business_name = query.business_name ? decodeURIComponent(query.business_name) : form.business_name
      this.store.save(form)
    }
    this.setData({
      form: form,
      restored: !!saved,
      demandOptions: demandOptions(form.demands),
      descriptionLength: (form.description || '').length,
      canAddPhoto: form.attachments.length < 9
    })
    var self = this
    self.subscribeIds = []
    client.loadSubscribeTemplateIds().then(function (ids) { self.subscribeIds = ids })
    var tasks = [
      client.get('/industries').then(function (r) { self.setData({ industries: itemsOf(r) }) }),
      client.get('/categories').then(function (r) { self.setData({ categories: itemsOf(r) }) }),
      client.get('/regions').then(function (r) { self.setData({ provinces: itemsOf(r) }) })
    ]
    if (/^\d{6}$/.test(form.region_code)) {
      tasks.push(client.get('/regions', { parent: form.region_code.slice(0, 2) }).then(function (r) { self.setData({ cities: itemsOf(r) }) }))
      tasks.push(client.get('/regions', { parent: form.region_code.slice(0, 4) }).then(function (r) { self.setData({ districts: itemsOf(r) }) }))
    }
    return Promise.all(tasks).catch(errors.showError)
  },

  /** Change form fields, clear their errors, and save the draft (every change). */
  update: function (changes) {
    var form = Object.assign({}, this.data.form, changes)
    var errs = Object.assign({}, this.data.errors)
    Object.keys(changes).forEach(function (k) { delete errs[k] })
    if (changes.business_id !== undefined) delete errs.business_name
    if (changes.attachments) delete errs.attachment_ids
    if (changes.attachments) form.attachments = withFlags(changes.attachments)
    this.setData({ form: form, errors: errs, submitError: '', canAddPhoto: form.attachments.length < 9 })
    if (this.store) this.store.save(form)
  },

  onBusinessInput: function (e) {
    this.update({ business_name: e.detail.value, business_id: null })
  },

  onBusinessSearch: function () {
    var self = this
    var q = String(self.data.form.business_name || '').trim()
    if (!q) return Promise.resolve()
    return api.getApi().get('/businesses', { q: q }).then(function (r) {
      var opts = itemsOf(r).map(function (b) { return { id: b.id, name: b.name } })
      self.setData({ businessOptions: opts })
      if (!opts.length) page.toast('平台上暂无该商家，可直接按名称投诉')
    }, errors.showError)
  },

  onPickBusiness: function (e) {
    var ds = page.dataset(e)
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

  onClassify: function () {
    var self = this
    var f = self.data.form
    var text = [f.business_name, f.title, f.description].filter(Boolean).join('\n')
    if (text.length < 4) return Promise.resolve()
    return api.getApi().post('/assist/classify', { text: text }).then(function (r) {
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
    }, function () {})
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
    return api.getApi().get('/regions', { parent: p.code }).then(function (r) {
      self.setData({ cities: itemsOf(r) })
    }, errors.showError)
  },

  onCityChange: function (e) {
    var self = this
    var c = self.data.cities[Number(e.detail.value)]
    if (!c) return Promise.resolve()
    self.update({ region_code: '', region_names: [self.data.form.region_names[0], c.name] })
    self.setData({ districts: [] })
    return api.getApi().get('/regions', { parent: c.code }).then(function (r) {
      self.setData({ districts: itemsOf(r) })
    }, errors.showError)
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
    var n = format.normalizeAmount(this.data.form.amount_claimed)
    if (n !== null) this.update({ amount_claimed: n })
  },

  onPickDate: function () {
    var self = this
    my.datePicker({
      format: 'yyyy-MM-dd',
      currentDate: self.data.form.purchase_date || format.todayString(),
      endDate: format.todayString(),
      success: function (res) {
        if (res && res.date) self.update({ purchase_date: res.date })
      }
    })
  },

  onOrderInput: function (e) {
    this.update({ order_no: e.detail.value })
  },

  onConsentChange: function (e) {
    this.update({ public_consent: !!e.detail.value })
  },

  onChoosePhotos: function () {
    var self = this
    var room = 9 - self.data.form.attachments.length
    if (room <= 0) return
    my.chooseImage({
      count: room,
      sizeType: ['compressed'],
      sourceType: ['camera', 'album'],
      success: function (res) {
        var paths = res.apFilePaths || res.filePaths || []
        my.compressImage({
          apFilePaths: paths,
          compressLevel: 2,
          success: function (c) { self.addPhotos((c && c.apFilePaths) || paths) },
          fail: function () { self.addPhotos(paths) }
        })
      }
    })
  },

  addPhotos: function (paths) {
    var self = this
    var added = paths.map(function (p) { return { path: p, progress: 0, id: null, failed: false } })
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
    var list0 = self.data.form.attachments.slice()
    list0[index] = Object.assign({}, att, { failed: false })
    self.update({ attachments: list0 })
    return api.getApi().upload(att.path, function (percent) {
      self.setData({ ['form.attachments[' + index + '].progress']: percent })
    }).then(function (r) {
      var list = self.data.form.attachments.slice()
      list[index] = Object.assign({}, list[index], { id: r.id, progress: 100, failed: false })
      self.update({ attachments: list })
    }, function (err) {
      var list = self.data.form.attachments.slice()
      list[index] = Object.assign({}, list[index], { failed: true })
      self.update({ attachments: list })
      errors.showError(err)
    })
  },

  onRetryUpload: function (e) {
    return this.uploadAt(Number(page.dataset(e).index))
  },

  onRemovePhoto: function (e) {
    var list = this.data.form.attachments.slice()
    list.splice(Number(page.dataset(e).index), 1)
    this.update({ attachments: list })
  },

  onSubmit: function () {
    var self = this
    if (self.data.submitting) return Promise.resolve()
    var form = self.data.form
    var errs = draft.validateComplaint(form)
    if (draft.hasErrors(errs)) {
      self.setData({ errors: errs, submitError: '请完善标红的内容' })
      page.toast(errs[Object.keys(errs)[0]])
      return Promise.resolve()
    }
    var client = api.getApi()
    // Made once with the draft; every retry of this draft sends the same key.
    var key = self.store.idempotencyKey()
    self.setData({ submitting: true, submitError: '' })
    return client.requestSubscriptions(self.subscribeIds).then(function () {
      return client.post('/complaints', draft.buildComplaintPayload(form), { idempotencyKey: key })
    }).then(function (created) {
      self.store.clear()
      self.setData({ submitting: false })
      page.toast('投诉已提交', 'success')
      my.redirectTo({ url: '/pages/complaint/detail?id=' + created.id })
    }, function (err) {
      var fieldErrs = errors.fieldErrors(err)
      if (fieldErrs.business_id) fieldErrs.business_name = fieldErrs.business_id
      self.setData({ submitting: false, errors: fieldErrs, submitError: errors.errorMessage(err) })
    })
  }
})
