import Foundation
import LoomWorkflow
import Testing

@Test func lowercasedStringIsFoundationsTextInLowerCase() {
    let fixed = UUID(uuidString: "0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9")!
    #expect(fixed.lowercasedString == "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9")
    for _ in 0..<1000 {
        let id = UUID.random()
        #expect(id.lowercasedString == id.uuidString.lowercased())
        #expect(UUID(uuidString: id.lowercasedString) == id)
    }
}
