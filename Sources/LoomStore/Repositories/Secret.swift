import Crypto
import Foundation
import LoomWorkflow

/// Random credentials and the hashes they are stored as.
public enum Secret {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    /// `PREFIX-` followed by 32 random letters and digits (≈190 bits).
    public static func generate(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return prefix + "-" + String((0..<32).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }

    public static func hash(_ secret: String) -> String {
        Hex.string(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Compares in time independent of where the strings differ.
    public static func equalInConstantTime(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
