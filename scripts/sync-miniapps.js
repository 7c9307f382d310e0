#!/usr/bin/env node
/*
 * One source for both mini-programs (issue 19 item 6).
 *
 * miniapp-shared/ is the master copy of everything the WeChat mini-program (miniprogram/) and
 * the Alipay mini-app (alipay_miniapp/) share. This script generates both apps' copies from it:
 *
 *   miniapp-shared/utils/*.js          -> miniprogram/utils/*.js and alipay_miniapp/utils/*.js (byte for byte)
 *   miniapp-shared/app.wxss            -> miniprogram/app.wxss and alipay_miniapp/app.acss
 *   miniapp-shared/pages/<p>.wxss      -> miniprogram/pages/<p>.wxss and alipay_miniapp/pages/<p>.acss
 *   miniapp-shared/pages/<p>.wxml      -> miniprogram/pages/<p>.wxml and, translated, alipay_miniapp/pages/<p>.axml
 *
 * The template translation is mechanical: `wx:` directives become `a:`, `bind<event>=` becomes
 * `on<Event>=` and `catch<event>=` becomes `catch<Event>=`. A template that needs more than that
 * (an `open-type` button, a WeChat-only component) is not shared: it lives in each app on its own
 * and this script refuses to translate it.
 *
 * Usage:
 *   node scripts/sync-miniapps.js          write the generated files (make sync-miniapps)
 *   node scripts/sync-miniapps.js --check  change nothing; list every generated file that differs
 *                                          from what the master would produce and exit 1 (make test-js)
 *
 * utils/vocabulary.js is itself generated from server/core/vocabulary.py by
 * `smart315 vocabulary --js --write`, which writes the master copy and both apps' copies.
 */
'use strict'

var fs = require('fs')
var path = require('path')

// SMART315_SYNC_ROOT: another checkout to work on (the script's own tests use a scratch copy).
var ROOT = process.env.SMART315_SYNC_ROOT || path.resolve(__dirname, '..')
var SHARED = path.join(ROOT, 'miniapp-shared')
var WECHAT = path.join(ROOT, 'miniprogram')
var ALIPAY = path.join(ROOT, 'alipay_miniapp')

var HEADER_NOTE = 'generated from miniapp-shared/ by scripts/sync-miniapps.js: edit the master copy, then run make sync-miniapps'

function walk(dir) {
  var out = []
  if (!fs.existsSync(dir)) return out
  fs.readdirSync(dir).sort().forEach(function (name) {
    var full = path.join(dir, name)
    if (fs.statSync(full).isDirectory()) out = out.concat(walk(full))
    else out.push(full)
  })
  return out
}

/** wxml -> axml: the mechanical part of the translation; throws where it does not hold. */
function toAxml(wxml, where) {
  var refused = [/\bopen-type=/, /\bbindgetphonenumber=/i, /\bwx\./, /<(official-account|ad|page-meta|navigation-bar)\b/]
  refused.forEach(function (re) {
    if (re.test(wxml)) throw new Error(where + ': ' + re + ' has no mechanical Alipay translation; keep this template per app')
  })
  return wxml
    .replace(/\bwx:/g, 'a:')
    .replace(/\bbind:?([a-z]+)=/g, function (_, ev) { return 'on' + ev.charAt(0).toUpperCase() + ev.slice(1) + '=' })
    .replace(/\bcatch:?([a-z]+)=/g, function (_, ev) { return 'catch' + ev.charAt(0).toUpperCase() + ev.slice(1) + '=' })
}

/** Every file the master produces: [{target, content}] (content a Buffer). */
function plan() {
  var out = []
  walk(SHARED).forEach(function (file) {
    var rel = path.relative(SHARED, file).split(path.sep).join('/')
    var content = fs.readFileSync(file)
    if (/^utils\/[^/]+\.js$/.test(rel)) {
      out.push({ target: path.join(WECHAT, rel), content: content })
      out.push({ target: path.join(ALIPAY, rel), content: content })
    } else if (/\.wxss$/.test(rel) && (rel === 'app.wxss' || /^pages\//.test(rel))) {
      out.push({ target: path.join(WECHAT, rel), content: content })
      out.push({ target: path.join(ALIPAY, rel.replace(/\.wxss$/, '.acss')), content: content })
    } else if (/^pages\/.+\.wxml$/.test(rel)) {
      out.push({ target: path.join(WECHAT, rel), content: content })
      out.push({ target: path.join(ALIPAY, rel.replace(/\.wxml$/, '.axml')), content: Buffer.from(toAxml(content.toString('utf8'), rel), 'utf8') })
    } else if (/^test-fixtures\/[^/]+\.json$/.test(rel)) {
      // Server answers recorded by tests/api/test_miniapp_fixtures.py; both apps' tests read them here.
    } else if (rel !== 'README.md') {
      throw new Error('miniapp-shared/' + rel + ': not a kind of file this script knows how to share')
    }
  })
  return out
}

function main(argv) {
  var check = argv.indexOf('--check') >= 0
  var items = plan()
  var differ = []
  items.forEach(function (it) {
    var current = fs.existsSync(it.target) ? fs.readFileSync(it.target) : null
    if (current && current.equals(it.content)) return
    differ.push(path.relative(ROOT, it.target))
    if (!check) {
      fs.mkdirSync(path.dirname(it.target), { recursive: true })
      fs.writeFileSync(it.target, it.content)
    }
  })
  if (check) {
    if (differ.length) {
      console.error('These mini-program files differ from miniapp-shared/ (' + HEADER_NOTE + '):')
      differ.forEach(function (f) { console.error('  ' + f) })
      return 1
    }
    console.log('mini-programs in sync with miniapp-shared/ (' + items.length + ' files)')
    return 0
  }
  differ.forEach(function (f) { console.log('wrote ' + f) })
  console.log(items.length + ' files generated from miniapp-shared/, ' + differ.length + ' changed')
  return 0
}

module.exports = { toAxml: toAxml, plan: plan, main: main, SHARED: SHARED }

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2))
  } catch (e) {
    console.error(e.message)
    process.exitCode = 2
  }
}
