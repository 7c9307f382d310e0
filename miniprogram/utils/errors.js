/* Error display helpers for pages: a plain Chinese sentence, and per-field messages. */
var core = require('./core')

function showError(err) {
  wx.showToast({ title: core.errorMessage(err), icon: 'none', duration: 2500 })
}

module.exports = {
  ApiError: core.ApiError,
  NETWORK_MESSAGE: core.NETWORK_MESSAGE,
  errorMessage: core.errorMessage,
  fieldErrors: core.fieldErrors,
  showError: showError
}
