#!/usr/bin/env node
/*
 * Refuses to package a mini-program release whose build configuration would not work on a
 * real phone: the trial / release API base URL in <app>/config.js must be https on a public
 * host (no loopback, private range or the shipped example.* placeholder), and the WeChat
 * project.config.json must carry a real app id (not `touristappid`).
 *
 *   node scripts/check-miniapp-release.js            # both apps
 *   node scripts/check-miniapp-release.js miniprogram
 *
 * Exit status 0 when every checked app is ready, 1 with one line per problem otherwise.
 * See docs/miniprogram-release.md.
 */
'use strict'
const fs = require('fs')
const path = require('path')

const ROOT = path.resolve(__dirname, '..')
const APPS = ['miniprogram', 'alipay_miniapp']
const RELEASE_ENVS = ['trial', 'release']

/** Why this URL cannot serve a trial / release build, or '' when it can. */
function urlProblem(raw) {
  let url
  try {
    url = new URL(String(raw || ''))
  } catch (e) {
    return 'is not a URL'
  }
  if (url.protocol !== 'https:') return 'must use https (WeChat and Alipay refuse http in release builds)'
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1' || host === '0.0.0.0' ||
      /^127\./.test(host) || host === '::') return 'points at a loopback address'
  if (/^10\./.test(host) || /^192\.168\./.test(host) || /^172\.(1[6-9]|2\d|3[01])\./.test(host) ||
      /^169\.254\./.test(host) || /^f[cd][0-9a-f]{2}:/.test(host) || /^fe80:/.test(host)) {
    return 'points at a private network address'
  }
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host) || host.indexOf(':') >= 0) {
    return 'is an IP address (the platforms only accept ICP-registered domain names)'
  }
  if (/(^|\.)example\.(cn|com|org|net)$/.test(host)) return 'is still the example placeholder'
  return ''
}

/** Problems of one app folder (default: the repository's), as strings. */
function checkApp(appDir) {
  const name = path.basename(appDir)
  const problems = []
  const configPath = path.join(appDir, 'config.js')
  let urls = null
  try {
    delete require.cache[require.resolve(configPath)]
    urls = require(configPath).API_BASE_URLS
  } catch (e) {
    problems.push(name + '/config.js: cannot be loaded (' + e.message + ')')
  }
  if (urls) {
    for (const env of RELEASE_ENVS) {
      const why = urls[env] ? urlProblem(urls[env]) : 'is missing'
      if (why) problems.push(name + '/config.js: API_BASE_URLS.' + env + ' (' + (urls[env] || '') + ') ' + why)
    }
  } else if (!problems.length) {
    problems.push(name + '/config.js: no API_BASE_URLS table')
  }
  const project = path.join(appDir, 'project.config.json')
  if (fs.existsSync(project)) {
    let conf = {}
    try {
      conf = JSON.parse(fs.readFileSync(project, 'utf8'))
    } catch (e) {
      problems.push(name + '/project.config.json: not valid JSON')
    }
    if (!conf.appid || conf.appid === 'touristappid') {
      problems.push(name + '/project.config.json: appid is "' + (conf.appid || '') + '"; set the real AppID')
    }
  }
  return problems
}

function main(argv) {
  const apps = argv.length ? argv : APPS
  let problems = []
  for (const app of apps) problems = problems.concat(checkApp(path.resolve(ROOT, app)))
  if (problems.length) {
    for (const p of problems) process.stderr.write('release check: ' + p + '\n')
    return 1
  }
  process.stdout.write('release check: ' + apps.join(', ') + ' ready\n')
  return 0
}

if (require.main === module) process.exit(main(process.argv.slice(2)))

module.exports = { urlProblem: urlProblem, checkApp: checkApp, main: main }
