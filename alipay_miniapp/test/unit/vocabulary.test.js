const core = require('../../utils/core')

describe('labels from the one vocabulary', () => {
  test('every status, action and role of a timeline has a Chinese label', () => {
    expect(core.statusLabel('closed')).toBe('已结案')
    expect(core.actionLabel('to_mediation')).toBe('转入调解')
    expect(core.actionLabel('response_timeout')).toMatch(/超期/)
    expect(core.roleLabel('business_staff')).toBe('商家')
  })

  test('the server\'s labels replace the shipped ones in place', () => {
    const before = core.statusLabel('forwarded')
    core.setVocabulary({ statuses: { forwarded: '已转交商家' }, components: { speed: '答复速度' }, junk: 5 })
    expect(core.statusLabel('forwarded')).toBe('已转交商家')
    expect(core.COMPONENT_LABELS.speed).toBe('答复速度')
    core.setVocabulary({ statuses: { forwarded: before }, components: { speed: '响应速度' } })
    expect(core.statusLabel('forwarded')).toBe(before)
  })

  test('garbage from the network changes nothing', () => {
    core.setVocabulary(null)
    core.setVocabulary('x')
    core.setVocabulary({ statuses: { closed: 7 } })
    expect(core.statusLabel('closed')).toBe('已结案')
  })
})
