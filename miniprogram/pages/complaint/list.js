// My complaints and the business staff queue: the page lives in utils/pages.js, shared with the Alipay mini-app.
var page = require('../../utils/pages').complaintList(require('../../utils/platform'))

Component({ data: page.data, methods: page.methods })
