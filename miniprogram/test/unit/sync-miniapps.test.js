// scripts/sync-miniapps.js: the one source of both apps (issue 19 item 6). Run against a scratch
// copy of the three folders, so that a drifted copy can be made and must be caught.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync, spawnSync } = require('child_process')

const REPO = path.resolve(__dirname, '../../..')
const SCRIPT = path.join(REPO, 'scripts/sync-miniapps.js')
const { toAxml } = require(SCRIPT)

function scratch() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sync-miniapps-'))
  for (const d of ['miniapp-shared', 'miniprogram', 'alipay_miniapp']) {
    fs.cpSync(path.join(REPO, d), path.join(dir, d), { recursive: true, filter: src => !src.includes('node_modules') })
  }
  return dir
}

function run(root, args) {
  return spawnSync(process.execPath, [SCRIPT].concat(args), { env: Object.assign({}, process.env, { SMART315_SYNC_ROOT: root }), encoding: 'utf8' })
}

describe('sync-miniapps', () => {
  test('wxml becomes axml mechanically: directives and event bindings', () => {
    expect(toAxml('<view wx:if="{{a}}" wx:for="{{l}}" bindtap="onTap" catchtap="onStop" bind:input="onIn" bindconfirm="onGo">x</view>', 't'))
      .toBe('<view a:if="{{a}}" a:for="{{l}}" onTap="onTap" catchTap="onStop" onInput="onIn" onConfirm="onGo">x</view>')
  })

  test('a template with a WeChat-only construct is refused, not half translated', () => {
    expect(() => toAxml('<button open-type="getPhoneNumber" bindgetphonenumber="onPhone">绑定</button>', 'pages/login/login.wxml'))
      .toThrow(/pages\/login\/login.wxml.*keep this template per app/)
  })

  test('--check passes on the repository as committed', () => {
    const out = execFileSync(process.execPath, [SCRIPT, '--check'], { encoding: 'utf8' })
    expect(out).toMatch(/^mini-programs in sync with miniapp-shared\/ \(\d+ files\)/)
  })

  test('--check fails on a hand edit of a generated copy and names it; a sync repairs it', () => {
    const root = scratch()
    try {
      fs.appendFileSync(path.join(root, 'alipay_miniapp/utils/pages.js'), '\n// a hand edit\n')
      fs.writeFileSync(path.join(root, 'miniprogram/pages/complaint/detail.wxss'), '.drifted {}\n')
      const bad = run(root, ['--check'])
      expect(bad.status).toBe(1)
      expect(bad.stderr).toContain('alipay_miniapp/utils/pages.js')
      expect(bad.stderr).toContain('miniprogram/pages/complaint/detail.wxss')
      // --check changed nothing.
      expect(fs.readFileSync(path.join(root, 'miniprogram/pages/complaint/detail.wxss'), 'utf8')).toBe('.drifted {}\n')
      expect(run(root, []).status).toBe(0)
      expect(run(root, ['--check']).status).toBe(0)
      expect(fs.readFileSync(path.join(root, 'alipay_miniapp/pages/complaint/detail.axml'), 'utf8'))
        .toBe(toAxml(fs.readFileSync(path.join(root, 'miniapp-shared/pages/complaint/detail.wxml'), 'utf8'), 'x'))
    } finally {
      fs.rmSync(root, { recursive: true, force: true })
    }
  })
})
