import { describe, expect, it } from 'vitest'
import { blockedReason, parseIPv6 } from '../../src/http/url-blocker'
import { apiJson, createProject } from '../world'

/**
 * The SSRF filter webhooks and `include: remote` share. GitLab sources:
 * gems/gitlab-http/lib/gitlab/http_v2/url_blocker.rb (validate_local_request: localhost,
 * loopback, local network, link local, shared address, limited broadcast; get_address_info turns
 * v4-mapped IPv6 into IPv4), spec/.../url_blocker_spec.rb, lib/api/hooks (save_hook → 422).
 */
const LOCALHOST = 'Requests to localhost are not allowed'
const LOOPBACK = 'Requests to loopback addresses are not allowed'
const LOCAL = 'Requests to the local network are not allowed'
const LINK = 'Requests to the link local network are not allowed'
const SHARED = 'Requests to the shared address space are not allowed'
const BROADCAST = 'Requests to the limited broadcast address are not allowed'

describe('blockedReason', () => {
  it.each([
    // names
    ['localhost', LOCALHOST], ['LOCALHOST', LOCALHOST], ['localhost.', LOCALHOST], ['localhost..', LOCALHOST], ['api.localhost', LOCALHOST],
    ['api.localhost.', LOCALHOST], ['localhost.localdomain', LOCALHOST],
    // IPv4, however written
    ['127.0.0.1', LOCALHOST], ['127.0.0.1.', LOCALHOST], ['0.0.0.0', LOCALHOST], ['127.0.0.2', LOOPBACK], ['127.255.255.254', LOOPBACK],
    ['2130706433', LOCALHOST], ['0x7f.1', LOCALHOST], ['0177.0.0.1', LOCALHOST], ['0.1.2.3', LOCAL],
    ['10.0.0.5', LOCAL], ['172.16.0.1', LOCAL], ['172.31.255.255', LOCAL], ['192.168.1.2', LOCAL],
    ['169.254.169.254', LINK], ['100.64.0.1', SHARED], ['100.127.255.255', SHARED], ['255.255.255.255', BROADCAST],
    // IPv6
    ['[::1]', LOCALHOST], ['::1', LOCALHOST], ['[::]', LOCALHOST], ['[0:0:0:0:0:0:0:1]', LOCALHOST],
    ['[fe80::1]', LINK], ['[febf::1]', LINK], ['[fc00::1]', LOCAL], ['[fd12:3456::1]', LOCAL], ['[fec0::1]', LOCAL],
    // IPv4 inside IPv6: mapped (as parsed and as written), compatible, translated, NAT64, 6to4
    ['[::ffff:7f00:1]', LOCALHOST], ['[::ffff:127.0.0.1]', LOCALHOST], ['[::ffff:169.254.169.254]', LINK], ['[::ffff:a9fe:a9fe]', LINK],
    ['[0:0:0:0:0:ffff:10.0.0.1]', LOCAL], ['[::127.0.0.1]', LOCALHOST], ['[::7f00:1]', LOCALHOST], ['[::ffff:0:127.0.0.1]', LOCALHOST],
    ['[64:ff9b::127.0.0.1]', LOCALHOST], ['[64:ff9b::a9fe:a9fe]', LINK], ['[64:ff9b:1::10.1.2.3]', LOCAL], ['[2002:7f00:1::]', LOCALHOST],
    ['[::ffff:255.255.255.255]', BROADCAST], ['[::ffff:100.64.0.1]', SHARED],
  ])('%s → %s', (host, reason) => {
    expect(blockedReason(host)).toBe(reason)
  })

  it.each([
    'example.com', 'example.com.', 'localhost.example.com', '8.8.8.8', '172.32.0.1', '100.128.0.1', '169.255.0.1', '[2606:4700::1111]',
    '[::ffff:8.8.8.8]', '[64:ff9b::8.8.8.8]', '[2002:808:808::]', '[fe00::1]', '[ff02::1]',
  ])('%s is allowed', (host) => {
    expect(blockedReason(host)).toBeNull()
  })

  it('the URL parser\'s hostname is judged the same way', () => {
    for (const url of ['http://[::ffff:127.0.0.1]/', 'http://[::ffff:169.254.169.254]/', 'http://[::127.0.0.1]/', 'http://[64:ff9b::7f00:1]/', 'http://localhost./']) {
      expect(blockedReason(new URL(url).hostname), url).not.toBeNull()
    }
  })

  it('parses IPv6 text into eight groups', () => {
    expect(parseIPv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304])
    expect(parseIPv6('1::')).toEqual([1, 0, 0, 0, 0, 0, 0, 0])
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    for (const bad of ['1:2:3', '1::2::3', '1:2:3:4:5:6:7:8:9', '::1.2.3', '12345::', 'fe80::1%eth0', '::g']) expect(parseIPv6(bad), bad).toBeNull()
  })
})

describe('POST /projects/:id/hooks refuses the bypasses', () => {
  it('422 "Invalid url given" for IPv4 inside IPv6, a trailing-dot localhost, the broadcast and shared addresses', async () => {
    const project = await createProject()
    const token = project.owner.token
    for (const url of [
      'http://[::ffff:127.0.0.1]/', 'http://[::ffff:169.254.169.254]/latest/meta-data', 'http://[::127.0.0.1]/', 'http://[64:ff9b::a9fe:a9fe]/',
      'http://localhost./', 'http://255.255.255.255/', 'http://100.64.0.1/', 'http://[fe80::1]/',
    ]) {
      expect(await apiJson('POST', `/projects/${project.id}/hooks`, { token, body: { url } }), url).toMatchObject({ status: 422, body: { error: 'Invalid url given' } })
    }
    const list = await apiJson('GET', `/projects/${project.id}/hooks`, { token })
    expect(list.body).toEqual([])
    expect((await apiJson('POST', `/projects/${project.id}/hooks`, { token, body: { url: 'http://[::ffff:8.8.8.8]/' } })).status).toBe(201)
  })
})
