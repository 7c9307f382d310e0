// One complaint (also the deep link target ?id=): the page lives in utils/pages.js, shared with the Alipay mini-app.
var page = require('../../utils/pages').complaintDetail(require('../../utils/platform'))

Component({ data: page.data, methods: page.methods })
