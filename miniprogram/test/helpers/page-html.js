/*
 * A rendered page as a standalone HTML document, for the screenshots (issue 19.5).
 *
 * miniprogram-simulate renders a page to DOM (j-component: <main> with <wx-view>, <wx-button>…, class
 * names prefixed "main--"). This adds what the real client would: the app's and the page's styles
 * compiled the way miniprogram-simulate compiles them, rpx at an iPhone's 375px width (750rpx = 375px),
 * WXSS element selectors (page, view, button…) pointed at the rendered elements, a stand-in for the
 * built-in components' default look, and the navigation bar and tab bar from the page's and app's json.
 */
const fs = require('fs')
const path = require('path')
const wxss = require('miniprogram-simulate/src/wxss')

const TAGS = ['view', 'text', 'button', 'input', 'textarea', 'image', 'picker', 'checkbox', 'checkbox-group', 'radio',
  'radio-group', 'switch', 'navigator', 'scroll-view', 'web-view', 'label', 'icon', 'rich-text', 'form', 'swiper']

/** What WeChat's built-in components look like before our styles (roughly its base library's). */
const BASE = `
html, body { margin: 0; }
html { background: #ededed; }
body { min-height: 100vh; display: flex; flex-direction: column; -webkit-text-size-adjust: none; }
body > main { flex: 1; }
wx-view, wx-scroll-view, wx-form, wx-picker, wx-navigator, wx-rich-text, wx-swiper, wx-checkbox-group, wx-radio-group { display: block; }
wx-text, wx-label, wx-icon { display: inline; }
wx-button { display: block; position: relative; box-sizing: border-box; width: 184px; margin: 8px auto; padding: 0 24px;
  font-size: 17px; font-weight: 700; line-height: 2.55; text-align: center; color: #000; background: #f2f2f2;
  border-radius: 8px; overflow: hidden; }
wx-button.main--sim-mini, wx-button.sim-mini { display: inline-block; width: auto; margin: 0 4px; padding: 0 12px; font-size: 13px; line-height: 2.3; vertical-align: middle; }
wx-input { display: block; box-sizing: border-box; min-height: 1.4em; overflow: hidden; }
wx-textarea { display: block; box-sizing: border-box; width: 300px; height: 150px; }
wx-image { display: inline-block; width: 320px; height: 240px; background: #dcdcdc; overflow: hidden; }
wx-checkbox, wx-radio { display: inline-block; width: 20px; height: 20px; margin-right: 6px; vertical-align: middle;
  border: 1px solid #d1d1d1; border-radius: 3px; background: #fff; }
wx-switch { display: inline-block; width: 52px; height: 32px; border-radius: 16px; background: #dfdfdf; }
wx-web-view { display: block; height: 600px; background: repeating-linear-gradient(45deg, #f7f7f7, #f7f7f7 10px, #eee 10px, #eee 20px); }
.sim-nav { position: sticky; top: 0; z-index: 9; height: 44px; line-height: 44px; text-align: center; font-size: 17px;
  font-weight: 600; background: #ededed; color: #000; }
.sim-tabbar { display: flex; position: sticky; bottom: 0; height: 50px; border-top: 1px solid rgba(0,0,0,.1); background: #fff; }
.sim-tabbar div { flex: 1; line-height: 50px; text-align: center; font-size: 12px; color: #666; }
.sim-tabbar .on { color: #07c160; }
`

/**
 * j-component keeps only class and style on built-in components, so attributes that change their look
 * are turned into classes before the template is compiled (size="mini" -> class "sim-mini").
 */
function markBuiltins(wxml) {
  return wxml.replace(/<button\b([^>]*?)(\/?)>/g, (all, attrs, selfClose) => {
    if (!/\bsize="mini"/.test(attrs)) return all
    if (/\bclass="/.test(attrs)) attrs = attrs.replace(/\bclass="/, 'class="sim-mini ')
    else attrs += ' class="sim-mini"'
    return '<button' + attrs + selfClose + '>'
  })
}

/** Make miniprogram-simulate read templates through markBuiltins (this test file's module registry only). */
function installTemplateMarks() {
  const utils = require('miniprogram-simulate/src/utils')
  if (utils.readFile.marked) return
  const readFile = utils.readFile
  utils.readFile = function (file) {
    const content = readFile(file)
    return typeof content === 'string' && /\.wxml$/.test(file) ? markBuiltins(content) : content
  }
  utils.readFile.marked = true
}

function rpxToPx(css) {
  return css.replace(/(-?\d*\.?\d+)rpx/g, (_, n) => (parseFloat(n) / 2) + 'px')
}

/** Point WXSS element selectors at j-component's elements (selectors only, declarations untouched). */
function mapTags(css) {
  const tag = new RegExp('(^|[\\s,>+~(}])(' + TAGS.join('|') + ')(?=[\\s,.:#\\[{>+~)]|$)', 'g')
  return css.replace(/(^|})([^{}]+)\{/g, (all, close, selector) => {
    const mapped = (' ' + selector).replace(/(^|[\s,>+~(])page(?=[\s,.:#[{>+~)]|$)/g, '$1body')
      .replace(tag, (m, pre, name) => pre + 'wx-' + name).slice(1)
    return close + mapped + '{'
  })
}

/**
 * The app's and the page's styles as the browser gets them. prefix: the class prefix j-component gives
 * a page loaded from its path ("main"); none for a page loaded from a template string (the Alipay one).
 */
function compileStyles(root, page, opts) {
  const ext = (opts && opts.styleExt) || '.wxss'
  const prefix = opts && 'prefix' in opts ? opts.prefix : 'main'
  const files = [path.join(root, 'app' + ext), path.join(root, 'pages', page + ext)]
  return files.filter(f => fs.existsSync(f)).map(f => {
    const source = fs.readFileSync(f, 'utf8')
    const css = prefix ? wxss.compile(source, { prefix }) : source.replace(/\/\*[\s\S]*?\*\//g, '')
    return rpxToPx(mapTags(css))
  }).join('\n')
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]))
}

/**
 * The whole document: nav bar, the rendered page as <main>, the tab bar on tab pages. Reads WeChat's
 * app.json keys (window.navigationBarTitleText, tabBar.list[].text) or Alipay's (defaultTitle,
 * tabBar.items[].name); opts as for compileStyles.
 */
function pageHtml(root, page, comp, opts) {
  const app = JSON.parse(fs.readFileSync(path.join(root, 'app.json'), 'utf8'))
  const json = JSON.parse(fs.readFileSync(path.join(root, 'pages', page + '.json'), 'utf8'))
  const win = app.window || {}
  const title = json.navigationBarTitleText || json.defaultTitle || win.navigationBarTitleText || win.defaultTitle || ''
  const tabs = ((app.tabBar || {}).list || (app.tabBar || {}).items || [])
  const isTab = tabs.some(t => t.pagePath === 'pages/' + page)
  const tabbar = isTab ? '<div class="sim-tabbar">' + tabs.map(t =>
    '<div class="' + (t.pagePath === 'pages/' + page ? 'on' : '') + '">' + escapeHtml(t.text || t.name) + '</div>').join('') + '</div>' : ''
  return '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=375, initial-scale=1">' +
    '<title>' + escapeHtml(page) + '</title><style>' + BASE + '</style><style>' + compileStyles(root, page, opts) + '</style></head>' +
    '<body><div class="sim-nav">' + escapeHtml(title) + '</div><main>' + comp.dom.innerHTML + '</main>' + tabbar + '</body></html>'
}

module.exports = { pageHtml, compileStyles, mapTags, rpxToPx, markBuiltins, installTemplateMarks }
