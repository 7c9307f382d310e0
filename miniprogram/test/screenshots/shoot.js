#!/usr/bin/env node
/*
 * Screenshot rendered mini-program pages in headless Chromium (issue 19.5).
 *
 *   node test/screenshots/shoot.js <folder>
 *
 * <folder> holds one <name>.html per page, written by test/unit/screenshots.test.js from the page
 * rendered by miniprogram-simulate (j-component's DOM) with the app's and the page's styles. Each one is
 * opened at an iPhone-sized viewport (375 CSS px, so 750rpx fill the width), saved as <name>.png beside
 * it, and measured; the measurements go to stdout as JSON for the test to assert on. Plain Node, not the
 * jsdom test environment, because Playwright needs Node's own globals.
 */
'use strict'
const fs = require('fs')
const path = require('path')
const { chromium } = require('playwright-core')

const CHROMIUM = process.env.SMART315_CHROMIUM || '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-dev-shm-usage']

async function main(folder) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true })
  const out = {}
  try {
    const context = await browser.newContext({ viewport: { width: 375, height: 667 }, deviceScaleFactor: 2 })
    const page = await context.newPage()
    const names = fs.readdirSync(folder).filter(f => f.endsWith('.html')).sort()
    for (const file of names) {
      const name = file.replace(/\.html$/, '')
      await page.setViewportSize({ width: 375, height: 667 })
      await page.goto('file://' + path.join(folder, file))
      // The whole page at once: a viewport as tall as the page, so bars pinned with position: sticky
      // sit where the user finds them after scrolling to the end rather than over the content.
      const height = await page.evaluate(() => document.documentElement.scrollHeight)
      await page.setViewportSize({ width: 375, height: Math.max(667, Math.min(height, 8000)) })
      await page.screenshot({ path: path.join(folder, name + '.png') })
      out[name] = await page.evaluate(() => {
        const main = document.querySelector('main')
        const box = main ? main.getBoundingClientRect() : { width: 0, height: 0 }
        const body = getComputedStyle(document.body)
        // The visible text only (display:none and hidden parts excluded): what a user reads.
        return {
          mainWidth: box.width,
          mainHeight: box.height,
          text: main ? main.innerText : '',
          bodyFontSize: body.fontSize,
          background: body.backgroundColor,
          primaryButtons: Array.from(document.querySelectorAll('.main--btn-primary, main .btn-primary')).map(b => getComputedStyle(b).backgroundColor),
          overflowX: document.documentElement.scrollWidth > 375 + 1
        }
      })
    }
  } finally {
    await browser.close()
  }
  process.stdout.write(JSON.stringify(out))
}

main(path.resolve(process.argv[2])).catch(e => {
  console.error(e && e.stack || e)
  process.exit(1)
})
