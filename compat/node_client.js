// Drives commentguard serve with the unmodified npm package akismet-api, pointed at the server
// through its `host` and `protocol` settings. Usage: node -r ./localhost.js node_client.js PORT KEY
const { AkismetClient } = require('akismet-api')

const [port, key] = process.argv.slice(2)
const GIFT_CARDS =
  'Hey, I know how badly you need money. Earn money by Gift Cards, just follow this link'
const CIVIL = 'The council should fix the potholes on Main Street before winter.'
const settings = { blog: 'https://news.example.net', host: `localhost:${port}`, protocol: 'http' }
let failures = 0

function check(name, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`)
  if (!ok) failures++
}

async function main() {
  const client = new AkismetClient({ ...settings, key })
  check('akismet-api verifyKey', (await client.verifyKey()) === true, 'valid')
  const wrong = new AkismetClient({ ...settings, key: 'wrong-key-0123456789' })
  check('akismet-api verifyKey (wrong key)', (await wrong.verifyKey()) === false, 'invalid')
  const spam = await client.checkSpam({ ip: '203.0.113.7', content: GIFT_CARDS, type: 'reply' })
  check('akismet-api checkSpam (spam)', spam === true, String(spam))
  const ham = await client.checkSpam({ ip: '203.0.113.8', content: CIVIL, type: 'comment' })
  check('akismet-api checkSpam (civil)', ham === false, String(ham))
  const s = await client.submitSpam({ ip: '203.0.113.7', content: 'compat node spam: ' + GIFT_CARDS })
  check('akismet-api submitSpam', s.text === 'Thanks for making the web a better place.', s.text)
  const h = await client.submitHam({ ip: '203.0.113.8', content: 'compat node ham: ' + CIVIL })
  check('akismet-api submitHam', h.text === 'Thanks for making the web a better place.', h.text)
}

main()
  .catch(e => {
    check('akismet-api', false, String(e))
  })
  .finally(() => {
    if (failures) {
      console.log(`${failures} check(s) failed`)
      process.exit(1)
    }
    console.log('all Node client checks passed')
  })
