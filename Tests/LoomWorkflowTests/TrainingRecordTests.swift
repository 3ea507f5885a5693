import LoomWorkflow
import Testing

struct TrainingRecordTests {
    private func parse(_ json: String) throws -> TrainingRecord {
        try TrainingRecord(parsing: JSONDocumentReader.parse(json).value)
    }

    private func failure(_ json: String) -> String? {
        do {
            _ = try parse(json)
            return nil
        } catch let error as TrainingRecordError {
            return error.description
        } catch {
            return "\(error)"
        }
    }

    @Test func chatAndCompletionRecordsRoundTripThroughTheirJSON() throws {
        let chat = try parse(#"{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello","weight":1}]}"#)
        #expect(chat == .chat([.init(.system, "Be brief."), .init(.user, "Hi"), .init(.assistant, "Hello")]))
        #expect(try TrainingRecord(parsing: chat.value) == chat)
        #expect(chat.question == "Hi" && chat.answer == "Hello")
        let completion = try parse(#"{"prompt":"2+2=","completion":"4"}"#)
        #expect(completion.canonicalJSON == #"{"completion":"4","prompt":"2+2="}"#)
    }

    @Test func equalRecordsHaveEqualCanonicalTextWhateverTheKeyOrder() throws {
        let first = try parse(#"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}"#)
        let second = try parse(#"{"messages":[{"content":"a","role":"user"},{"content":"b","role":"assistant"}]}"#)
        #expect(first.canonicalJSON == second.canonicalJSON)
    }

    @Test func rolesOutOfOrderAreNamedByPosition() {
        #expect(failure(#"{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}"#)?.hasPrefix("message 2 is user where assistant was expected") == true)
        #expect(failure(#"{"messages":[{"role":"assistant","content":"a"}]}"#)?.hasPrefix("message 1 is assistant where user was expected") == true)
        #expect(failure(#"{"messages":[{"role":"user","content":"a"}]}"#) == "a conversation must end with an assistant message")
        #expect(failure(#"{"messages":[{"role":"system","content":"a"}]}"#) == "a conversation needs at least a user and an assistant message")
        #expect(failure(#"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b","weight":0}]}"#) == "every assistant message has weight 0: nothing to learn")
    }

    @Test func emptyTurnsAndWrongShapesAreRefused() {
        #expect(failure(#"{"messages":[{"role":"user","content":"  "},{"role":"assistant","content":"b"}]}"#) == "message 1 (user) is empty")
        #expect(failure(#"{"prompt":"x","completion":""}"#) == "the completion is empty")
        #expect(failure(#"{"prompt":"x"}"#) == "'prompt' and 'completion' must both be text")
        #expect(failure(#"{"messages":[{"role":"tool","content":"a"}]}"#) == "message 1 needs a role: system, user or assistant")
        #expect(failure(#"{"messages":[],"extra":1}"#) == "unknown key 'extra' beside 'messages'")
        #expect(failure(#"[1]"#)?.hasPrefix("a record must be a JSON object") == true)
        #expect(failure(#"{"text":"hello"}"#) == "a record needs 'messages' (chat) or 'prompt' and 'completion'")
    }
}
