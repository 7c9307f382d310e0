// My complaints and the business staff queue: the page lives in utils/pages.js, shared with the WeChat mini-program.
var page = require('../../utils/pages').complaintList(require('../../utils/platform'))

Page(Object.assign({ data: page.data }, page.methods))
