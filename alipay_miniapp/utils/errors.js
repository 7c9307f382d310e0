/* Error display helpers for pages: a plain Chinese sentence, and per-field messages. */
var core = require('./core')

function showError(err) {
  my.showToast({ type: 'none', content: core.errorMessage(err), duration: 2500 })
}

module.exports = {
  ApiError: core.ApiError,
  NETWORK_MESSAGE: core.NETWORK_MESSAGE,
  errorMessage: core.errorMessage,
  fieldErrors: core.fieldErrors,
  showError: showError
}
