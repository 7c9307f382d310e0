/*
 * Server answers recorded from the real server by tests/api/test_miniapp_fixtures.py (which fails when
 * the server stops answering a recorded field). The page-rendering tests of both apps answer the
 * pages' requests from these files, so what a test renders is what the server would send.
 */
const fs = require('fs')
const path = require('path')

const DIR = path.resolve(__dirname, '../../../miniapp-shared/test-fixtures')

function loadFixtures() {
  const out = {}
  fs.readdirSync(DIR).filter(f => f.endsWith('.json')).sort().forEach(f => {
    out[f.replace(/\.json$/, '')] = JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8'))
  })
  return out
}

/** Answer every recorded GET from its fixture (api or `wx`/`my` stub with the _route(method, path, fn) table). */
function routeFixtures(stub, fixtures) {
  fixtures = fixtures || loadFixtures()
  Object.keys(fixtures).forEach(name => {
    const f = fixtures[name]
    stub._route('GET', f.path, () => ({ data: JSON.parse(JSON.stringify(f.body)) }))
  })
  // /regions?parent=... answers from the same recorded list (the form only needs some items).
  if (fixtures.regions) stub._route('GET', '/regions', () => ({ data: JSON.parse(JSON.stringify(fixtures.regions.body)) }))
  return fixtures
}

module.exports = { DIR, loadFixtures, routeFixtures }
