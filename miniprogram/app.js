// Smart315 WeChat mini-program. Pages are written with the Component constructor.
App({
  globalData: {}
})
