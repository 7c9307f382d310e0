/*
 * Render an Alipay page for real: its .axml (translated back to the WeChat syntax that
 * miniprogram-simulate compiles: `a:` -> `wx:`, `on<Event>=` -> `bind<event>=`) with the page's own
 * Page() config as the component's data and methods, so a test taps the template's elements
 * and reads what the user would see. Needs the jsdom test environment.
 */
const fs = require('fs')
const path = require('path')
const simulate = require('miniprogram-simulate')
const { ROOT } = require('./my')

function toWxml(axml) {
  return axml
    .replace(/\ba:/g, 'wx:')
    .replace(/\bon([A-Z][a-zA-Z]*)=/g, (_, ev) => 'bind' + ev.toLowerCase() + '=')
    .replace(/\bcatch([A-Z][a-zA-Z]*)=/g, (_, ev) => 'catch' + ev.toLowerCase() + '=')
}

/** transform: optional (wxml) => wxml applied to the translated template (the screenshots mark built-ins). */
function renderPage(name, query, transform) {
  let config = null
  global.Page = c => { config = c }
  jest.isolateModules(() => {
    require(path.join(ROOT, 'pages', name + '.js'))
  })
  const methods = {}
  Object.keys(config).forEach(k => { if (typeof config[k] === 'function') methods[k] = config[k] })
  const id = simulate.load({
    template: (transform || (t => t))(toWxml(fs.readFileSync(path.join(ROOT, 'pages', name + '.axml'), 'utf8'))),
    data: JSON.parse(JSON.stringify(config.data || {})),
    methods
  })
  const comp = simulate.render(id)
  comp.attach(document.createElement('parent-wrapper'))
  if (comp.instance.onLoad) comp.instance.onLoad(query || {})
  return comp
}

function text(comp, selector) {
  const node = comp.querySelector(selector)
  return node ? node.dom.textContent.trim() : null
}

module.exports = { renderPage, text, toWxml }
