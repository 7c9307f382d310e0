/* wx.* storage in the {get, set, remove} shape that core.js expects. */
module.exports = {
  get: function (key) {
    try {
      return wx.getStorageSync(key) || null
    } catch (e) {
      return null
    }
  },
  set: function (key, value) {
    wx.setStorageSync(key, value)
  },
  remove: function (key) {
    wx.removeStorageSync(key)
  }
}
