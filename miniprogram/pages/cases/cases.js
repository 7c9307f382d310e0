// Published cases (?business_id=): the page lives in utils/pages.js, shared with the Alipay mini-app.
var page = require('../../utils/pages').publicCases(require('../../utils/platform'))

Component({ data: page.data, methods: page.methods })
