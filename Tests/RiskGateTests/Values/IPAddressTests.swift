import Testing
@testable import RiskGatePolicy

@Suite struct IPAddressTests {
    @Test(arguments: ["1.2.3.4", "0.0.0.0", "255.255.255.255", "::", "::1", "2001:db8::1", "fe80::1:2:3:4", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8"])
    func roundTripsValidAddresses(text: String) throws {
        let ip = try #require(IPAddress(text))
        #expect(IPAddress(ip.description) == ip)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "::1::", "1:2:3:4:5:6:7:8:9", "gggg::", ":1", "1:", "abc", "1.2.3.-4", "12345::"])
    func rejectsInvalidAddresses(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func mappedAddressesUnmapToTheirIPv4() {
        #expect(IPAddress("::ffff:192.0.2.66")!.unmapped == IPAddress("192.0.2.66")!)
        #expect(IPAddress("::ffff:c000:242")!.unmapped == IPAddress("192.0.2.66")!)
        #expect(IPAddress("192.0.2.66")!.unmapped == IPAddress("192.0.2.66")!)
        // Not mapped: compatible (deprecated) form, a neighbouring prefix, ordinary IPv6.
        for text in ["::192.0.2.66", "::fffe:192.0.2.66", "::1:ffff:192.0.2.66", "2001:db8::ffff:c000:242", "::"] {
            let address = IPAddress(text)!
            #expect(address.unmapped == address, "\(text)")
            #expect(!address.unmapped.isV4, "\(text)")
        }
    }

    @Test func setMembershipFollowsNetworks() {
        let (set, count, bad) = IPListFile.parse("# header\n10.0.0.0/8\n192.168.1.7 # host\n\n2001:db8::/32\nnot-an-ip\n")
        #expect(count == 3)
        #expect(bad.map(\.line) == [6])
        #expect(set.contains(IPAddress("10.255.1.2")!))
        #expect(!set.contains(IPAddress("11.0.0.0")!))
        #expect(set.contains(IPAddress("192.168.1.7")!))
        #expect(!set.contains(IPAddress("192.168.1.8")!))
        #expect(set.contains(IPAddress("2001:db8:ffff::1")!))
        #expect(!set.contains(IPAddress("2001:db9::")!))
    }
}
