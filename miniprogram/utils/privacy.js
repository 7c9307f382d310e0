/*
 * WeChat's privacy check (app.json `__usePrivacyCheck__: true`): when a call needs the user's
 * consent to the privacy guideline (wx.chooseMedia, getPhoneNumber, ...), WeChat calls the
 * listener registered with wx.onNeedPrivacyAuthorization; we open pages/privacy/privacy,
 * which shows the guideline and answers resolve({event: 'agree' | 'disagree'}).
 */
var PRIVACY_PAGE = '/pages/privacy/privacy'
var pending = null

function install() {
  if (typeof wx.onNeedPrivacyAuthorization !== 'function') return false
  wx.onNeedPrivacyAuthorization(function (resolve, eventInfo) {
    // A second request while the page is open replaces the first one's answer.
    if (pending) pending({ event: 'disagree' })
    pending = resolve
    wx.navigateTo({ url: PRIVACY_PAGE + '?api=' + encodeURIComponent((eventInfo && eventInfo.referrer) || '') })
  })
  return true
}

/** Answer the waiting request: 'agree' (with the agree button's id) or 'disagree'. */
function answer(event, buttonId) {
  var resolve = pending
  pending = null
  if (!resolve) return false
  if (event === 'agree') resolve({ buttonId: buttonId, event: 'agree' })
  else resolve({ event: 'disagree' })
  return true
}

function isPending() {
  return !!pending
}

module.exports = { install: install, answer: answer, isPending: isPending, PRIVACY_PAGE: PRIVACY_PAGE }
