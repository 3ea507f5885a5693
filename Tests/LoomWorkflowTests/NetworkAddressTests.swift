import Testing

@testable import LoomWorkflow

@Suite struct NetworkAddressTests {
    @Test(arguments: [
        ("127.0.0.1", "loopback"), ("10.1.2.3", "private"), ("172.20.0.1", "private"), ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"), ("100.64.0.1", "shared (carrier-grade NAT)"), ("0.0.0.0", "unspecified"),
        ("::1", "loopback"), ("[::1]", "loopback"), ("fd00::1", "private (unique local)"), ("fe80::1%eth0", "link-local"),
        ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"), ("::", "unspecified"),
    ])
    func blocksInternalAddresses(address: String, reason: String) {
        #expect(NetworkAddress.restriction(of: address) == reason)
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700::1111", "example.com"])
    func allowsPublicAddresses(address: String) {
        #expect(NetworkAddress.restriction(of: address) == nil)
    }

    @Test func localhostNamesAreLocal() {
        #expect(NetworkAddress.isLocalName("localhost"))
        #expect(NetworkAddress.isLocalName("LOCALHOST."))
        #expect(NetworkAddress.isLocalName("api.localhost"))
        #expect(!NetworkAddress.isLocalName("localhost.example.com"))
    }
}
