/* Formatting for pages (money, dates, labels); all from the shared core. */
var core = require('./core')

module.exports = {
  formatYuan: core.formatYuan,
  formatYuanShort: core.formatYuanShort,
  formatCount: core.formatCount,
  formatRate: core.formatRate,
  formatDateTime: core.formatDateTime,
  formatDate: core.formatDate,
  todayString: core.todayString,
  countdown: core.countdown,
  normalizeAmount: core.normalizeAmount,
  statusLabel: core.statusLabel,
  actionLabel: core.actionLabel,
  roleLabel: core.roleLabel,
  timelineItem: core.timelineItem,
  indexView: core.indexView
}
