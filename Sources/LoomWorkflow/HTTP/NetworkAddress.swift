import Foundation

/// Classifies IP addresses for the outbound policy: what a workflow may not reach unless the operator allows.
public enum NetworkAddress {
    /// Why an address is refused, or nil when it is public. Accepts dotted IPv4 and IPv6 text.
    public static func restriction(of address: String) -> String? {
        if let v4 = ipv4(address) { return restriction(ipv4: v4) }
        if let v6 = ipv6(address) { return restriction(ipv6: v6) }
        return nil
    }

    /// Host names that always mean this machine.
    public static func isLocalName(_ host: String) -> Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        return name == "localhost" || name.hasSuffix(".localhost")
    }

    static func restriction(ipv4 b: [UInt8]) -> String? {
        switch (b[0], b[1]) {
        case (127, _): return "loopback"
        case (10, _), (192, 168): return "private"
        case (172, 16...31): return "private"
        case (169, 254): return "link-local"
        case (100, 64...127): return "shared (carrier-grade NAT)"
        case (0, _): return "unspecified"
        case (224...239, _): return "multicast"
        case (240...255, _): return "reserved"
        default: return nil
        }
    }

    static func restriction(ipv6 b: [UInt8]) -> String? {
        if b[0..<15].allSatisfy({ $0 == 0 }) { return b[15] == 1 ? "loopback" : "unspecified" }
        // IPv4-mapped ::ffff:a.b.c.d is the IPv4 address in disguise.
        if b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xFF, b[11] == 0xFF { return restriction(ipv4: Array(b[12..<16])) }
        if b[0] & 0xFE == 0xFC { return "private (unique local)" }
        if b[0] == 0xFE, b[1] & 0xC0 == 0x80 { return "link-local" }
        if b[0] == 0xFF { return "multicast" }
        return nil
    }

    static func ipv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isNumber), let byte = UInt8(part) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    static func ipv6(_ raw: String) -> [UInt8]? {
        var text = raw
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let zone = text.firstIndex(of: "%") { text = String(text[..<zone]) }
        guard text.contains(":") else { return nil }
        var tail: [UInt8] = []
        // A trailing dotted IPv4 part.
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard let v4 = ipv4(String(text[text.index(after: lastColon)...])) else { return nil }
            tail = v4
            text = String(text[...lastColon]) + "0:0"
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard !group.isEmpty, group.count <= 4, let value = UInt16(group, radix: 16) else { return nil }
                result.append(value)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        var words = head
        if halves.count == 2 {
            guard let rest = groups(halves[1]), head.count + rest.count < 8 else { return nil }
            words += Array(repeating: 0, count: 8 - head.count - rest.count) + rest
        }
        guard words.count == 8 else { return nil }
        var bytes = words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        if !tail.isEmpty { bytes.replaceSubrange(12..<16, with: tail) }
        return bytes
    }
}
