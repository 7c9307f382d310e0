/* my.* storage in the {get, set, remove} shape that core.js expects. */
module.exports = {
  get: function (key) {
    try {
      var res = my.getStorageSync({ key: key })
      return (res && res.data) || null
    } catch (e) {
      return null
    }
  },
  set: function (key, value) {
    my.setStorageSync({ key: key, data: value })
  },
  remove: function (key) {
    my.removeStorageSync({ key: key })
  }
}
