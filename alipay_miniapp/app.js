// Smart315 Alipay mini-app.
var api = require('./utils/api.js')

App({
  globalData: {},
  onLaunch: function () {
    // The server's labels over the shipped copy (utils/vocabulary.js); offline the copy stays.
    api.getApi().loadVocabulary()
  }
})
