/*
 * Platform-agnostic client logic shared by the WeChat mini-program and the Alipay mini-app.
 *
 * This one file is copied byte for byte into miniprogram/utils/core.js and
 * alipay_miniapp/utils/core.js (each app is packaged on its own, so neither may reach into
 * the other); a test in each app checks that the two copies are identical. It never touches
 * wx.* or my.*: the platform adapter passes in its request function and its storage.
 */

var NETWORK_MESSAGE = '网络不给力，请稍后重试'
var AUTH_STORAGE_KEY = 'smart315.auth'
var DRAFT_STORAGE_KEY = 'smart315.complaint_draft'

var CODE_MESSAGES = {
  validation_error: '填写的信息有误，请检查后再提交',
  rate_limited: '操作太频繁，请稍后再试',
  upstream_unavailable: '服务暂时繁忙，请稍后重试',
  invalid_transition: '当前状态下不能进行此操作，请刷新后重试',
  not_found: '内容不存在或已被删除',
  forbidden: '没有权限进行此操作',
  unauthorized: '登录已失效，请重新登录',
  invalid_code: '授权失败，请重新登录',
  idempotency_conflict: '该投诉已提交过且内容不同，请刷新后重试',
  bad_request: '请求有误，请检查后重试',
  payload_too_large: '文件太大，请选择10MB以内的文件',
  unsupported_media_type: '文件格式不支持，请上传图片或PDF',
  content_rejected: '内容未通过安全审核，请修改后再提交',
  duplicate_complaint: '您已提交过相同的投诉，请勿重复提交'
}

// Codes whose problem `detail` (Chinese, from the server) is shown as is.
var DETAIL_CODES = ['content_rejected', 'duplicate_complaint']

var STATUS_MESSAGES = {
  400: '请求有误，请检查后重试',
  401: '登录已失效，请重新登录',
  403: '没有权限进行此操作',
  404: '内容不存在或已被删除',
  409: '当前状态下不能进行此操作，请刷新后重试',
  413: '文件太大，请选择10MB以内的文件',
  415: '文件格式不支持，请上传图片或PDF',
  422: '填写的信息有误，请检查后再提交',
  429: '操作太频繁，请稍后再试',
  502: '服务暂时繁忙，请稍后重试',
  503: '服务暂时繁忙，请稍后重试'
}


// Labels come from the server's one vocabulary (server/core/vocabulary.py), shipped as
// utils/vocabulary.js and refreshed from GET /api/v1/vocabulary (setVocabulary).
var VOCABULARY = require('./vocabulary.js')
var FIELD_LABELS = VOCABULARY.fields

var DEMAND_ORDER = ['refund', 'return', 'exchange', 'repair', 'compensation', 'apology', 'other']
var DEMAND_OPTIONS = DEMAND_ORDER.map(function (v) { return { value: v, label: VOCABULARY.demands[v] || v } })

var STATUS_LABELS = VOCABULARY.statuses

var STATUS_TABS = [{ status: '', label: '全部' }].concat(
  ['submitted', 'forwarded', 'responded', 'mediating', 'resolved'].map(function (st) {
    return { status: st, label: STATUS_LABELS[st] }
  }))

var ACTION_LABELS = VOCABULARY.actions

var ROLE_LABELS = VOCABULARY.roles

var COMPONENT_ORDER = ['response', 'speed', 'settlement', 'cooperation', 'mediation', 'satisfaction']
var COMPONENT_LABELS = {}
COMPONENT_ORDER.forEach(function (k) { COMPONENT_LABELS[k] = VOCABULARY.components[k] })

// Actions that this client knows how to offer; anything else in allowed_actions is ignored.
// fulfilled / not_fulfilled (the fulfilment question) have a block of their own on the detail page.
var CLIENT_ACTIONS = ['confirm', 'dispute', 'withdraw', 'rate', 'respond', 'supplement', 'reopen']

// The events worth a one-time subscribe grant while a complaint is in each status (what can
// happen next), most important first; a request asks for at most three (WeChat's limit).
var SUBSCRIBE_EVENTS_BY_STATUS = {
  submitted: ['complaint.forwarded', 'complaint.rejected', 'complaint.responded'],
  accepted: ['complaint.forwarded', 'complaint.responded', 'complaint.rejected'],
  forwarded: ['complaint.responded', 'complaint.mediating', 'complaint.deadline_soon'],
  responded: ['complaint.resolved', 'complaint.mediating', 'complaint.deadline_soon'],
  mediating: ['complaint.resolved', 'complaint.unresolved', 'complaint.materials_requested'],
  resolved: ['complaint.fulfilment_check', 'complaint.reopened', 'message.created']
}

// Order in which subscribe-message events are asked for (WeChat allows three per request).
var SUBSCRIBE_EVENT_PRIORITY = [
  'complaint.responded',
  'complaint.resolved',
  'complaint.mediating',
  'complaint.forwarded',
  'complaint.unresolved',
  'complaint.deadline_soon',
  'message.created'
]

/* ---------------------------------------------------------------- errors */

function ApiError(problem) {
  problem = problem || {}
  this.name = 'ApiError'
  this.status = problem.status || 0
  this.code = problem.code || ''
  this.title = problem.title || ''
  this.detail = problem.detail || ''
  this.type = problem.type || ''
  this.errors = Array.isArray(problem.errors) ? problem.errors : []
  this.network = !!problem.network
  // duplicate_complaint (409): the consumer's open complaint, and an open collective case to join instead.
  this.existing_id = problem.existing_id || null
  this.collective_suggestion = problem.collective_suggestion || null
  this.message = errorMessage(this)
}
ApiError.prototype = Object.create(Error.prototype)
ApiError.prototype.constructor = ApiError

function networkError() {
  return new ApiError({ network: true, code: 'network_error' })
}

function fieldLabel(field) {
  var key = String(field || '').split('.')[0]
  return FIELD_LABELS[key] || key
}

/** Map {field: message} from a validation_error problem. */
function fieldErrors(err) {
  var out = {}
  if (!err || !Array.isArray(err.errors)) return out
  for (var i = 0; i < err.errors.length; i++) {
    var e = err.errors[i] || {}
    var key = String(e.field || '').split('.')[0] || '_'
    if (!out[key]) out[key] = e.message || '格式不正确'
  }
  return out
}

/** A plain Chinese sentence for any error this client can meet. */
function errorMessage(err) {
  if (!err) return '操作失败，请稍后重试'
  if (err.network || err.code === 'network_error') return NETWORK_MESSAGE
  if (err.code === 'validation_error' && err.errors && err.errors.length) {
    var parts = []
    for (var i = 0; i < err.errors.length && parts.length < 3; i++) {
      var e = err.errors[i] || {}
      var label = fieldLabel(e.field)
      parts.push((label ? label + '：' : '') + (e.message || '格式不正确'))
    }
    return parts.join('；')
  }
  // Content-security verdicts: the server's own Chinese explanation says what to change.
  if (DETAIL_CODES.indexOf(err.code) >= 0) return err.detail || CODE_MESSAGES[err.code]
  if (err.code && CODE_MESSAGES[err.code]) return CODE_MESSAGES[err.code]
  if (err.status && STATUS_MESSAGES[err.status]) return STATUS_MESSAGES[err.status]
  if (err.status >= 500) return '服务暂时不可用，请稍后重试'
  if (!err.status && !err.code) return NETWORK_MESSAGE
  return '操作失败，请稍后重试'
}

/* ----------------------------------------------------------------- money */

var MONEY_RE = /^\d{1,10}(\.\d{0,2})?$/

/** Normalise what a user typed ("199", "199.5", " ¥1,299 ") into "199.00"; null if not money. */
function normalizeAmount(input) {
  if (input === null || input === undefined) return null
  var s = String(input).replace(/[\s,，¥￥元]/g, '')
  if (!s || !MONEY_RE.test(s)) return null
  var parts = s.split('.')
  var frac = (parts[1] || '').concat('00').slice(0, 2)
  var whole = parts[0].replace(/^0+(?=\d)/, '')
  return whole + '.' + frac
}

/** Decimal yuan string to integer fen (no floating point). */
function toFen(amount) {
  var n = normalizeAmount(amount)
  if (n === null) return null
  var parts = n.split('.')
  return parseInt(parts[0], 10) * 100 + parseInt(parts[1], 10)
}

function groupThousands(intString) {
  return intString.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** "1299.00" -> "¥1,299.00". */
function formatYuan(amount) {
  var n = normalizeAmount(amount)
  if (n === null) return '¥0.00'
  var parts = n.split('.')
  return '¥' + groupThousands(parts[0]) + '.' + parts[1]
}

/** Headline form: "1.23亿元", "45.6万元", "199.00元". */
function formatYuanShort(amount) {
  var fen = toFen(amount)
  if (fen === null) return '0元'
  var yuan = fen / 100
  if (yuan >= 100000000) return trimZeros((yuan / 100000000).toFixed(2)) + '亿元'
  if (yuan >= 10000) return trimZeros((yuan / 10000).toFixed(2)) + '万元'
  return normalizeAmount(amount) + '元'
}

function trimZeros(s) {
  return s.indexOf('.') >= 0 ? s.replace(/\.?0+$/, '') : s
}

function formatCount(n) {
  n = Number(n) || 0
  if (n >= 100000000) return trimZeros((n / 100000000).toFixed(2)) + '亿'
  if (n >= 10000) return trimZeros((n / 10000).toFixed(1)) + '万'
  return String(n)
}

/** resolution_rate may be a fraction (0.853) or a percentage (85.3). */
function formatRate(rate) {
  var r = Number(rate)
  if (!isFinite(r)) return '—'
  if (r <= 1) r = r * 100
  return trimZeros(r.toFixed(1)) + '%'
}

/* ----------------------------------------------------------------- dates */

var SHANGHAI_OFFSET_MS = 8 * 3600 * 1000

function pad2(n) {
  return (n < 10 ? '0' : '') + n
}

function shanghaiParts(iso) {
  var t = typeof iso === 'number' ? iso : Date.parse(iso)
  if (!isFinite(t)) return null
  var d = new Date(t + SHANGHAI_OFFSET_MS)
  return {
    y: d.getUTCFullYear(),
    m: d.getUTCMonth() + 1,
    d: d.getUTCDate(),
    hh: d.getUTCHours(),
    mm: d.getUTCMinutes()
  }
}

/** ISO time -> "2026-11-28 10:00" in the platform's time zone (Asia/Shanghai). */
function formatDateTime(iso) {
  var p = shanghaiParts(iso)
  if (!p) return ''
  return p.y + '-' + pad2(p.m) + '-' + pad2(p.d) + ' ' + pad2(p.hh) + ':' + pad2(p.mm)
}

function formatDate(iso) {
  var p = shanghaiParts(iso)
  if (!p) return ''
  return p.y + '-' + pad2(p.m) + '-' + pad2(p.d)
}

/** Today's date in Asia/Shanghai as "YYYY-MM-DD". */
function todayString(nowMs) {
  return formatDate(nowMs === undefined ? Date.now() : nowMs)
}

/** "剩余2天3小时" until a deadline, "已超时" after it, "" without one. */
function countdown(deadlineIso, nowMs) {
  if (!deadlineIso) return ''
  var t = Date.parse(deadlineIso)
  if (!isFinite(t)) return ''
  var now = nowMs === undefined ? Date.now() : nowMs
  var left = t - now
  if (left <= 0) return '已超时'
  var minutes = Math.floor(left / 60000)
  var days = Math.floor(minutes / 1440)
  var hours = Math.floor((minutes % 1440) / 60)
  var mins = minutes % 60
  if (days > 0) return '剩余' + days + '天' + hours + '小时'
  if (hours > 0) return '剩余' + hours + '小时' + mins + '分钟'
  return '剩余' + Math.max(mins, 1) + '分钟'
}

/* ---------------------------------------------------------------- labels */

function statusLabel(status) {
  return STATUS_LABELS[status] || status || ''
}

function actionLabel(action) {
  return ACTION_LABELS[action] || action || ''
}

function roleLabel(role) {
  return ROLE_LABELS[role] || role || ''
}

/** Timeline event -> what a page shows. */
/** The photos among a list of attachments ({id, url, content_type or mime}), numbered for their tiles. */
function evidencePhotos(list) {
  return (list || []).filter(function (a) { return /^image\//.test(a.content_type || a.mime || '') })
    .map(function (a, i) { return { id: a.id, url: a.url, index: i } })
}

function timelineItem(ev) {
  ev = ev || {}
  var role = ev.actor_role || ev.role || (ev.actor && ev.actor.role) || ev.actor || ''
  return {
    action: ev.action,
    actionText: actionLabel(ev.action),
    fromText: statusLabel(ev.from || ev.from_status),
    toText: statusLabel(ev.to || ev.to_status),
    note: ev.note || '',
    roleText: roleLabel(role),
    time: formatDateTime(ev.created_at),
    // Evidence the event brought (a supplement's photos).
    photos: evidencePhotos(ev.attachments)
  }
}

/** The action buttons this caller may use: exactly the API's allowed_actions we can render. */
function actionButtons(allowed) {
  var out = []
  if (!Array.isArray(allowed)) return out
  for (var i = 0; i < allowed.length; i++) {
    var a = allowed[i]
    if (CLIENT_ACTIONS.indexOf(a) >= 0) out.push({ action: a, label: actionLabel(a) })
  }
  return out
}

/** What a transition needs from the user, and its validation. */
function validateTransition(action, input) {
  input = input || {}
  var errors = {}
  var NOTE_NEEDED = { respond: '请填写处理方案', dispute: '请说明异议理由', supplement: '请说明补充的材料', reopen: '请说明重新打开的理由' }
  var note = String(input.note || '').trim()
  if (NOTE_NEEDED[action] && !note) errors.note = NOTE_NEEDED[action]
  else if (note.length > 2000) errors.note = '说明不能超过2000字'
  if (action === 'confirm' && input.amount_recovered !== undefined && input.amount_recovered !== '') {
    if (normalizeAmount(input.amount_recovered) === null) errors.amount_recovered = '请输入正确的金额，如 199.00'
  }
  if (action === 'rate') {
    var r = Number(input.rating)
    if (!(r >= 1 && r <= 5 && Math.floor(r) === r)) errors.rating = '请选择1到5星'
  }
  return errors
}

function buildTransitionBody(action, input) {
  input = input || {}
  var body = { action: action }
  var note = String(input.note || '').trim()
  if (note) body.note = note
  if (action === 'confirm' && input.amount_recovered !== undefined && input.amount_recovered !== '') {
    body.amount_recovered = normalizeAmount(input.amount_recovered)
  }
  if (action === 'rate') body.rating = Number(input.rating)
  if (action === 'supplement' && input.attachment_ids && input.attachment_ids.length) body.attachment_ids = input.attachment_ids.slice()
  return body
}

/** Business profile index -> {insufficient, score, grade, components:[{key,label,value}]}. */
function indexView(business) {
  business = business || {}
  var idx = business.index || business.current_index || null
  // `insufficient` (too few complaints to be ranked): its score would mislead, so none is shown.
  var insufficient = !idx || idx.score === null || idx.score === undefined || idx.insufficient === true ||
    business.insufficient === true || idx.insufficient_data === true || idx.grade === 'insufficient_data' || idx.status === 'insufficient_data'
  var comps = []
  var raw = idx && idx.components
  var keys = Object.keys(COMPONENT_LABELS)
  for (var i = 0; i < keys.length; i++) {
    var k = keys[i]
    var v = null
    if (Array.isArray(raw)) {
      for (var j = 0; j < raw.length; j++) {
        if (raw[j] && (raw[j].name === k || raw[j].key === k)) v = raw[j].value !== undefined ? raw[j].value : raw[j].score
      }
    } else if (raw && raw[k] !== undefined) {
      v = raw[k] && typeof raw[k] === 'object' ? raw[k].value !== undefined ? raw[k].value : raw[k].score : raw[k]
    }
    comps.push({ key: k, label: COMPONENT_LABELS[k], value: v === null || v === undefined ? '—' : formatScore(v) })
  }
  return {
    insufficient: insufficient,
    score: insufficient ? '' : formatScore(idx.score),
    grade: insufficient ? '' : idx.grade || '',
    components: comps
  }
}

function formatScore(v) {
  var n = Number(v)
  if (!isFinite(n)) return String(v)
  return trimZeros(n.toFixed(1))
}

/* ------------------------------------------------------------- subscribe */

/** Template ids to ask for on a channel ("wechat" | "alipay"), at most `limit`. */
function subscribeTemplateIds(clientConfig, channel, limit) {
  var conf = clientConfig && clientConfig[channel] && clientConfig[channel].subscribe_templates
  if (!conf) return []
  var ids = []
  var events = SUBSCRIBE_EVENT_PRIORITY.concat(Object.keys(conf))
  for (var i = 0; i < events.length; i++) {
    var id = conf[events[i]]
    // An entry is a template id or {"id", "fields"} (API.md: template fields are configuration).
    if (typeof id === 'object' && id) id = id.id
    if (id && ids.indexOf(id) < 0) ids.push(id)
  }
  return ids.slice(0, limit || 3)
}

/**
 * Template ids for what can happen next to a complaint in `status` (SUBSCRIBE_EVENTS_BY_STATUS),
 * at most `limit` (3); [] when the server configures none of them.
 */
function subscribeIdsForStatus(clientConfig, channel, status, limit) {
  var conf = clientConfig && clientConfig[channel] && clientConfig[channel].subscribe_templates
  var events = SUBSCRIBE_EVENTS_BY_STATUS[status]
  if (!conf || !events) return []
  var ids = []
  for (var i = 0; i < events.length; i++) {
    var id = conf[events[i]]
    if (typeof id === 'object' && id) id = id.id
    if (id && ids.indexOf(id) < 0) ids.push(id)
  }
  return ids.slice(0, limit || 3)
}

/** wx.requestSubscribeMessage success: {<tmplId>: 'accept'|'reject'|'ban'|'filter'}. */
function acceptedWechat(res, ids) {
  var out = []
  for (var i = 0; i < ids.length; i++) if (res && res[ids[i]] === 'accept') out.push(ids[i])
  return out
}

/** my.requestSubscribeMessage success: result.subscribeEntityIds (or keys / per-id 'accept'). */
function acceptedAlipay(res, ids) {
  res = res || {}
  var list = (res.result && (res.result.subscribeEntityIds || res.result.subscribedEntityIds)) ||
    res.subscribeEntityIds || res.keys || null
  var out = []
  for (var i = 0; i < ids.length; i++) {
    if ((list && list.indexOf(ids[i]) >= 0) || res[ids[i]] === 'accept') out.push(ids[i])
  }
  return out
}

/* ---------------------------------------------------------------- drafts */

function newIdempotencyKey() {
  var s = ''
  for (var i = 0; i < 4; i++) s += Math.floor(Math.random() * 0x100000000).toString(16)
  return 'draft-' + Date.now().toString(36) + '-' + s
}

function emptyForm() {
  return {
    business_id: null,
    business_name: '',
    industry_code: '',
    industry_name: '',
    category: '',
    category_name: '',
    region_code: '',
    region_names: [],
    title: '',
    description: '',
    purchase_date: '',
    order_no: '',
    amount_claimed: '',
    demands: [],
    public_consent: false,
    // How the business may reach the consumer: 'message' (the thread only) or 'phone' (API.md issue 18.4).
    contact_preference: 'message',
    attachments: []
  }
}

/**
 * The complaint draft in storage: {form, idempotency_key, updated_at}. The key is made once per
 * draft and kept until clear(), so a retried submit sends the same key and never files twice.
 */
function createDraftStore(storage, key) {
  key = key || DRAFT_STORAGE_KEY
  function load() {
    var d = storage.get(key)
    if (!d || typeof d !== 'object' || !d.form) return null
    return d
  }
  return {
    load: load,
    save: function (form) {
      var prev = load()
      var d = {
        form: form,
        idempotency_key: (prev && prev.idempotency_key) || newIdempotencyKey(),
        updated_at: Date.now()
      }
      storage.set(key, d)
      return d
    },
    idempotencyKey: function () {
      var d = load()
      if (d && d.idempotency_key) return d.idempotency_key
      return this.save(emptyForm()).idempotency_key
    },
    clear: function () {
      storage.remove(key)
    }
  }
}

function strLen(s) {
  // Count code points, as the server does, so an emoji is one character.
  return Array.from ? Array.from(String(s || '')).length : String(s || '').length
}

/** Client-side checks before POST /complaints; {field: message}, empty when fine. */
function validateComplaint(form, nowMs) {
  var e = {}
  form = form || {}
  if (!form.business_id && !String(form.business_name || '').trim()) e.business_name = '请选择或填写被投诉商家'
  if (!form.industry_code) e.industry_code = '请选择行业'
  if (!form.category) e.category = '请选择问题类型'
  if (!/^\d{6}$/.test(String(form.region_code || ''))) e.region_code = '请选择到区县一级的地区'
  var title = String(form.title || '').trim()
  if (!title) e.title = '请填写投诉标题'
  else if (strLen(title) > 60) e.title = '标题不能超过60个字'
  var desc = String(form.description || '').trim()
  if (!desc) e.description = '请描述遇到的问题'
  else if (strLen(desc) > 5000) e.description = '问题描述不能超过5000字'
  if (form.amount_claimed !== '' && form.amount_claimed !== null && form.amount_claimed !== undefined &&
      normalizeAmount(form.amount_claimed) === null) {
    e.amount_claimed = '请输入正确的金额，如 199.00'
  }
  if (!form.demands || !form.demands.length) e.demands = '请至少选择一项诉求'
  if (form.purchase_date) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(form.purchase_date)) e.purchase_date = '日期格式不正确'
    else if (form.purchase_date > todayString(nowMs)) e.purchase_date = '购买日期不能晚于今天'
  }
  if (form.order_no && strLen(form.order_no) > 64) e.order_no = '订单号不能超过64个字符'
  var atts = form.attachments || []
  for (var i = 0; i < atts.length; i++) {
    if (!atts[i].id) {
      e.attachment_ids = '还有证据照片未上传完成'
      break
    }
  }
  return e
}

/** Only the API's fields, in the API's names. */
function buildComplaintPayload(form) {
  var body = {
    industry_code: form.industry_code,
    region_code: form.region_code,
    category: form.category,
    title: String(form.title || '').trim(),
    description: String(form.description || '').trim(),
    demands: (form.demands || []).slice(),
    public_consent: !!form.public_consent,
    contact_preference: form.contact_preference === 'phone' ? 'phone' : 'message',
    attachment_ids: (form.attachments || []).filter(function (a) { return a.id }).map(function (a) { return a.id })
  }
  if (form.business_id) body.business_id = form.business_id
  else body.business_name = String(form.business_name || '').trim()
  if (form.purchase_date) body.purchase_date = form.purchase_date
  if (form.order_no) body.order_no = String(form.order_no).trim()
  var amount = normalizeAmount(form.amount_claimed)
  if (amount !== null) body.amount_claimed = amount
  return body
}

function hasErrors(errors) {
  return Object.keys(errors || {}).length > 0
}

/* ---------------------------------------------------------------- client */

function parseBody(data) {
  if (typeof data === 'string') {
    if (!data) return null
    try {
      return JSON.parse(data)
    } catch (e) {
      return data
    }
  }
  return data === undefined ? null : data
}

function buildQuery(query) {
  if (!query) return ''
  var parts = []
  var keys = Object.keys(query)
  for (var i = 0; i < keys.length; i++) {
    var v = query[keys[i]]
    if (v === undefined || v === null || v === '') continue
    parts.push(encodeURIComponent(keys[i]) + '=' + encodeURIComponent(v))
  }
  return parts.length ? '?' + parts.join('&') : ''
}

/**
 * The API client.
 *   options.baseUrl      e.g. "http://127.0.0.1:8000/api/v1"
 *   options.request      ({url, method, data, headers}) => Promise<{status, data, headers}>;
 *                        rejects only when no HTTP answer came back (network failure)
 *   options.storage      {get(key), set(key, value), remove(key)}, synchronous
 *   options.onSignedOut  called after tokens are dropped because refresh failed
 */
function createClient(options) {
  var baseUrl = String(options.baseUrl || '').replace(/\/+$/, '')
  var request = options.request
  var storage = options.storage
  var onSignedOut = options.onSignedOut || function () {}
  var refreshing = null

  function getAuth() {
    var a = storage.get(AUTH_STORAGE_KEY)
    return a && typeof a === 'object' && a.access_token ? a : null
  }

  function setAuth(tokens) {
    var prev = getAuth() || {}
    var a = {
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      user: tokens.user || prev.user || null,
      obtained_at: Date.now()
    }
    storage.set(AUTH_STORAGE_KEY, a)
    return a
  }

  function signOut(notify) {
    storage.remove(AUTH_STORAGE_KEY)
    if (notify !== false) onSignedOut()
  }

  function toError(res) {
    var body = parseBody(res.data)
    var problem = body && typeof body === 'object' ? body : {}
    return new ApiError({
      status: res.status,
      code: problem.code,
      title: problem.title,
      detail: problem.detail,
      type: problem.type,
      errors: problem.errors,
      existing_id: problem.existing_id,
      collective_suggestion: problem.collective_suggestion
    })
  }

  function send(opts) {
    return request(opts).then(
      function (res) { return res },
      function () { throw networkError() }
    )
  }

  function doRefresh() {
    var a = getAuth()
    if (!a || !a.refresh_token) {
      signOut()
      return Promise.resolve(false)
    }
    return send({
      url: baseUrl + '/auth/refresh',
      method: 'POST',
      data: { refresh_token: a.refresh_token },
      headers: { 'Content-Type': 'application/json' }
    }).then(function (res) {
      var body = parseBody(res.data)
      if (res.status >= 200 && res.status < 300 && body && body.access_token) {
        setAuth(body)
        return true
      }
      if (res.status >= 500 || res.status === 429) throw toError(res)
      // The refresh token was refused (expired, revoked, or reused: the family is gone).
      signOut()
      return false
    })
  }

  /** Single flight: concurrent 401s share one POST /auth/refresh. */
  function refresh() {
    if (!refreshing) {
      refreshing = doRefresh().then(
        function (ok) { refreshing = null; return ok },
        function (err) { refreshing = null; throw err }
      )
    }
    return refreshing
  }

  /**
   * Run an authorised platform call: attempt(token) => Promise<{status, data}>. On 401 the
   * tokens are refreshed once and the call is made again; if refresh fails, the user is signed out.
   */
  function authorized(attempt, useAuth) {
    var auth = useAuth === false ? null : getAuth()
    var tokenUsed = auth ? auth.access_token : null
    return Promise.resolve(attempt(tokenUsed)).then(function (res) {
      if (res.status !== 401 || !tokenUsed) return res
      var current = getAuth()
      // Someone else already refreshed while this call was in flight: just use the new token.
      var ready = current && current.access_token !== tokenUsed ? Promise.resolve(true) : refresh()
      return ready.then(function (ok) {
        if (!ok) throw new ApiError({ status: 401, code: 'unauthorized' })
        return attempt(getAuth().access_token)
      })
    }).then(function (res) {
      if (res.status === 401 && tokenUsed) {
        signOut()
      }
      if (res.status >= 200 && res.status < 300) return res.status === 204 ? null : parseBody(res.data)
      throw toError(res)
    })
  }

  /** call(method, path, {data, query, headers, auth, idempotencyKey}) => Promise<body>. */
  function call(method, path, opts) {
    opts = opts || {}
    var url = baseUrl + path + buildQuery(opts.query)
    return authorized(function (token) {
      var headers = { 'Content-Type': 'application/json', Accept: 'application/json' }
      if (token) headers.Authorization = 'Bearer ' + token
      if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey
      var extra = opts.headers || {}
      for (var k in extra) if (Object.prototype.hasOwnProperty.call(extra, k)) headers[k] = extra[k]
      return send({ url: url, method: method, data: opts.data, headers: headers })
    }, opts.auth)
  }

  /** Sign in with a provider (path "/auth/wechat" with {code}, "/auth/alipay" with {auth_code}). */
  function signIn(path, body) {
    return call('POST', path, { data: body, auth: false }).then(function (tokens) {
      setAuth(tokens)
      return tokens
    })
  }

  /** The complaint draft stays with the account that wrote it: gone at sign-out and deletion. */
  function forgetPersonalData() {
    storage.remove(DRAFT_STORAGE_KEY)
  }

  function logout() {
    var a = getAuth()
    forgetPersonalData()
    if (!a) return Promise.resolve()
    return call('POST', '/auth/logout', { data: { refresh_token: a.refresh_token } })
      .catch(function () {})
      .then(function () { signOut(false) })
  }

  /** 注销账号: DELETE /me, then tokens and draft are dropped; a refusal keeps everything. */
  function deleteAccount() {
    return call('DELETE', '/me').then(function () {
      forgetPersonalData()
      signOut(false)
    })
  }

  return {
    baseUrl: baseUrl,
    call: call,
    get: function (path, query) { return call('GET', path, { query: query }) },
    post: function (path, data, opts) {
      opts = opts || {}
      opts.data = data
      return call('POST', path, opts)
    },
    authorized: authorized,
    refresh: refresh,
    signIn: signIn,
    logout: logout,
    deleteAccount: deleteAccount,
    signOut: signOut,
    getAuth: getAuth,
    setAuth: setAuth,
    isSignedIn: function () { return !!getAuth() },
    currentUser: function () {
      var a = getAuth()
      return (a && a.user) || null
    },
    setUser: function (user) {
      var a = getAuth()
      if (!a) return
      a.user = user
      storage.set(AUTH_STORAGE_KEY, a)
    }
  }
}

/**
 * The calls each app makes through its own platform APIs, added to a client from createClient.
 *   platform.channel            'wechat' | 'alipay': its key in /client-config and /me/subscriptions
 *   platform.uploadFile(o)      o = {url, filePath, header, onProgress} => Promise<{status, data}>;
 *                               rejects only when no HTTP answer came back
 *   platform.askSubscriptions(ids)  asks the user for subscribe-message grants (call it straight
 *                               from a tap) => Promise<accepted ids>, or null where the platform
 *                               cannot ask
 */
/**
 * Take the server's current labels (GET /api/v1/vocabulary) over the shipped copy, in place, so a
 * label added on the server shows without a new release of the app.
 */
function setVocabulary(v) {
  if (!v || typeof v !== 'object') return
  Object.keys(VOCABULARY).forEach(function (kind) {
    var fresh = v[kind]
    if (!fresh || typeof fresh !== 'object') return
    Object.keys(fresh).forEach(function (k) {
      if (typeof fresh[k] === 'string') VOCABULARY[kind][k] = fresh[k]
    })
  })
  COMPONENT_ORDER.forEach(function (k) { COMPONENT_LABELS[k] = VOCABULARY.components[k] })
  DEMAND_OPTIONS.forEach(function (d) { d.label = VOCABULARY.demands[d.value] || d.label })
}

function addPlatformCalls(client, platform) {
  /** GET /vocabulary -> setVocabulary; a failure keeps the shipped labels. */
  client.loadVocabulary = function () {
    return client.call('GET', '/vocabulary', { auth: false }).then(setVocabulary, function () {})
  }

  /**
   * Download a file of ours (an evidence photo: "/api/v1/uploads/<id>") with the Bearer header ->
   * Promise<local path>; platform.downloadFile(o) o = {url, header} => Promise<{status, data: {path}}>.
   */
  client.downloadFile = function (url) {
    var origin = (client.baseUrl.match(/^[a-z]+:\/\/[^/]+/i) || [''])[0]
    var full = /^https?:\/\//.test(url) ? url : origin + url
    return client.authorized(function (token) {
      var header = {}
      if (token) header.Authorization = 'Bearer ' + token
      return platform.downloadFile({ url: full, header: header })
    }).then(function (body) { return body && body.path })
  }

  /** GET /legal -> {privacy: {version, title, url}, terms: {...}}. */
  client.loadLegal = function () {
    return client.call('GET', '/legal', { auth: false })
  }

  /** Record the signed-in user's consent to both documents (POST /me/consents, this channel). */
  client.recordConsents = function (legal) {
    var docs = ['privacy', 'terms'].filter(function (d) { return legal && legal[d] && legal[d].version })
    return Promise.all(docs.map(function (d) {
      return client.post('/me/consents', { document: d, version: legal[d].version, channel: platform.channel })
    }))
  }

  /** POST /uploads (multipart field "file", Bearer header); onProgress(percent). */
  client.upload = function (filePath, onProgress) {
    return client.authorized(function (token) {
      var header = {}
      if (token) header.Authorization = 'Bearer ' + token
      return platform.uploadFile({ url: client.baseUrl + '/uploads', filePath: filePath, header: header, onProgress: onProgress })
    })
  }

  /** GET /client-config -> this platform's subscribe template ids to ask for (at most 3). */
  client.loadSubscribeTemplateIds = function () {
    return client.get('/client-config').then(function (conf) {
      return subscribeTemplateIds(conf, platform.channel, 3)
    }, function () {
      return []
    })
  }

  /** GET /client-config as the server gives it (null when it cannot be had). */
  client.loadClientConfig = function () {
    return client.get('/client-config').then(function (conf) { return conf || null }, function () { return null })
  }

  /**
   * Ask for subscribe-message grants, then report them with POST /me/subscriptions. Resolves to
   * the accepted ids; never rejects, since the in-app inbox always works and filing must not
   * wait on grants.
   */
  client.requestSubscriptions = function (ids) {
    var asking = ids && ids.length ? platform.askSubscriptions(ids) : null
    if (!asking) return Promise.resolve([])
    return asking.then(function (accepted) {
      return client.post('/me/subscriptions', {
        channel: platform.channel,
        template_ids: ids,
        accepted: accepted
      }).then(function () { return accepted }, function () { return accepted })
    })
  }

  return client
}

/** Feed an upload task's progress events ({progress: 0-100}) to onProgress, where it has them. */
function watchUploadProgress(task, onProgress) {
  if (task && typeof task.onProgressUpdate === 'function' && onProgress) {
    task.onProgressUpdate(function (p) { onProgress(p.progress) })
  }
}

module.exports = {
  NETWORK_MESSAGE: NETWORK_MESSAGE,
  AUTH_STORAGE_KEY: AUTH_STORAGE_KEY,
  DRAFT_STORAGE_KEY: DRAFT_STORAGE_KEY,
  DEMAND_OPTIONS: DEMAND_OPTIONS,
  STATUS_TABS: STATUS_TABS,
  STATUS_LABELS: STATUS_LABELS,
  VOCABULARY: VOCABULARY,
  setVocabulary: setVocabulary,
  COMPONENT_LABELS: COMPONENT_LABELS,
  ApiError: ApiError,
  networkError: networkError,
  errorMessage: errorMessage,
  fieldErrors: fieldErrors,
  fieldLabel: fieldLabel,
  normalizeAmount: normalizeAmount,
  toFen: toFen,
  formatYuan: formatYuan,
  formatYuanShort: formatYuanShort,
  formatCount: formatCount,
  formatRate: formatRate,
  formatDateTime: formatDateTime,
  formatDate: formatDate,
  todayString: todayString,
  countdown: countdown,
  statusLabel: statusLabel,
  actionLabel: actionLabel,
  roleLabel: roleLabel,
  timelineItem: timelineItem,
  evidencePhotos: evidencePhotos,
  actionButtons: actionButtons,
  validateTransition: validateTransition,
  buildTransitionBody: buildTransitionBody,
  indexView: indexView,
  subscribeTemplateIds: subscribeTemplateIds,
  subscribeIdsForStatus: subscribeIdsForStatus,
  acceptedWechat: acceptedWechat,
  acceptedAlipay: acceptedAlipay,
  newIdempotencyKey: newIdempotencyKey,
  emptyForm: emptyForm,
  createDraftStore: createDraftStore,
  validateComplaint: validateComplaint,
  buildComplaintPayload: buildComplaintPayload,
  hasErrors: hasErrors,
  createClient: createClient,
  addPlatformCalls: addPlatformCalls,
  watchUploadProgress: watchUploadProgress
}
