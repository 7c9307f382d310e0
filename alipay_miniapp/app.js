// Smart315 Alipay mini-app.
App({
  globalData: {}
})
