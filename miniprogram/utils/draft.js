/* The complaint draft (form + idempotency key) in wx storage; logic lives in core.js. */
var core = require('./core')

var storage = {
  get: function (key) {
    try {
      return wx.getStorageSync(key) || null
    } catch (e) {
      return null
    }
  },
  set: function (key, value) {
    wx.setStorageSync(key, value)
  },
  remove: function (key) {
    wx.removeStorageSync(key)
  }
}

function getDraftStore() {
  return core.createDraftStore(storage)
}

module.exports = {
  getDraftStore: getDraftStore,
  emptyForm: core.emptyForm,
  validateComplaint: core.validateComplaint,
  buildComplaintPayload: core.buildComplaintPayload,
  hasErrors: core.hasErrors,
  DEMAND_OPTIONS: core.DEMAND_OPTIONS
}
