// A page of ours on the web (privacy policy, user agreement): utils/pages.js webview.
var page = require('../../utils/pages').webview(require('../../utils/platform'))

Page(Object.assign({ data: page.data }, page.methods))
