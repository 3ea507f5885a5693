import LoomWorkflow
import Testing

@Suite struct JSONWriterTests {
    @Test func integersAndIntegralDoublesPrintAsSwiftPrintsIntegers() {
        var generator = SystemRandomNumberGenerator()
        let fixed = [0, 7, -7, 10, -10, 1_796_438_327, Int.max, Int.min]
        for number in fixed + (0..<1000).map({ _ in Int.random(in: Int.min...Int.max, using: &generator) >> Int.random(in: 0..<64) }) {
            #expect(JSONWriter.string(.int(number)) == String(number))
        }
        #expect(JSONWriter.string(.double(3)) == "3")
        #expect(JSONWriter.string(.double(-0.0)) == "0")
        #expect(JSONWriter.string(.double(-2.5e14)) == "-250000000000000")
        #expect(JSONWriter.string(.double(1e15)) == "1000000000000000.0")
        #expect(JSONWriter.string(.double(0.25)) == "0.25")
        #expect(JSONWriter.string(.array([.double(.infinity), .double(.nan)])) == "[null,null]")
    }

    @Test func objectsReadBackTheSameSortedOrNot() throws {
        let value: Value = [
            "b": [1, 2.5, "x\u{e9}\"\n\u{1}"], "a": ["z": .null, "y": true, "x": [:], "w": []], "c": .double(1_796_438_327.125),
        ]
        #expect(JSONWriter.string(value) == #"{"a":{"w":[],"x":{},"y":true,"z":null},"b":[1,2.5,"x\#u{e9}\"\n\u0001"],"c":1796438327.125}"#)
        for sorted in [true, false] {
            #expect(try JSONDocumentReader.parse(JSONWriter.string(value, sortKeys: sorted)).value == value)
        }
    }
}
