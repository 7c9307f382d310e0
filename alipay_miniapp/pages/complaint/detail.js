// One complaint (also the deep link target ?id=): the page lives in utils/pages.js, shared with the WeChat mini-program.
var page = require('../../utils/pages').complaintDetail(require('../../utils/platform'))

Page(Object.assign({ data: page.data }, page.methods))
