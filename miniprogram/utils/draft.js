/* The complaint draft (form + idempotency key) in wx storage; logic lives in core.js. */
var core = require('./core')
var storage = require('./storage')

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
