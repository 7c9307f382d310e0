// The privacy guideline prompt behind wx.onNeedPrivacyAuthorization (see utils/privacy.js).
var privacy = require('../../utils/privacy')

Component({
  data: { contractName: '《智慧3·15小程序隐私保护指引》', answered: false },
  methods: {
    onLoad: function () {
      var self = this
      if (typeof wx.getPrivacySetting !== 'function') return
      wx.getPrivacySetting({
        success: function (res) {
          if (res && res.privacyContractName) self.setData({ contractName: res.privacyContractName })
        }
      })
    },

    onOpenContract: function () {
      if (typeof wx.openPrivacyContract === 'function') wx.openPrivacyContract({})
    },

    /** The agree button has open-type="agreePrivacyAuthorization": WeChat records the consent. */
    onAgree: function () {
      privacy.answer('agree', 'agree-btn')
      this.setData({ answered: true })
      wx.navigateBack({ delta: 1 })
    },

    onDisagree: function () {
      privacy.answer('disagree')
      this.setData({ answered: true })
      wx.showToast({ title: '未同意隐私保护指引，该功能暂不可用', icon: 'none' })
      wx.navigateBack({ delta: 1 })
    },

    /** Leaving without an answer counts as disagreeing, so the waiting call does not hang. */
    onUnload: function () {
      if (!this.data.answered) privacy.answer('disagree')
    }
  }
})
