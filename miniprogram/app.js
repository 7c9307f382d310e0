// Smart315 WeChat mini-program.
var api = require('./utils/api.js')
var privacy = require('./utils/privacy.js')

App({
  globalData: {},
  onLaunch: function () {
    // __usePrivacyCheck__: our page answers WeChat's privacy authorisation requests.
    privacy.install()
    // The server's labels over the shipped copy (utils/vocabulary.js); offline the copy stays.
    api.getApi().loadVocabulary()
  }
})
