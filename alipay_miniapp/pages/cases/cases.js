// Published cases (?business_id=): the page lives in utils/pages.js, shared with the WeChat mini-program.
var page = require('../../utils/pages').publicCases(require('../../utils/platform'))

Page(Object.assign({ data: page.data }, page.methods))
